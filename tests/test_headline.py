"""No article is lost for its title: when ``<title>`` is missing or empty the headline is found
where the page shows it (tests/fixtures/headline/: pages built like old portals and blogs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract.encoding import decode_html
from crawler.extract.extraction import extract_page

PAGES = Path(__file__).parent / "fixtures" / "headline"
URL = "http://bao.example.cn/a/2481.html"


def _extract(name: str):
    return extract_page(decode_html((PAGES / name).read_bytes()).text, URL)


@pytest.mark.parametrize(
    "name",
    [
        # A table-layout page saved without <head>: a bold cell, the dateline, the body.
        "table_no_head.html",
        # An empty <title>; the post's own permalink stands above the body.
        "blog_permalink.html",
    ],
)
def test_the_short_line_above_the_body_is_the_headline(name):
    ext = _extract(name)
    assert ext.title == "市区新增三条公交线路"
    # With its headline found, the brief is an article (a headline above prose votes).
    assert (ext.is_article, ext.verdict) == (True, "article")
    assert ext.text is not None and ext.text.startswith("记者从市交通局获悉")


def test_the_dateline_under_the_headline_dates_the_page():
    date = _extract("table_no_head.html").date
    assert date is not None and date.iso == "2024-03-01T10:20:00"


def test_json_ld_headline_when_title_is_blank():
    assert _extract("jsonld_only.html").title == "Bridge reopens after repairs"


def test_a_sentence_above_the_body_is_no_headline():
    """Only a short line that does not end as a sentence is taken: otherwise no title (the
    record then carries the title_missing warning), never a paragraph for one."""
    ext = _extract("no_headline.html")
    assert ext.title is None
    assert ext.is_article
