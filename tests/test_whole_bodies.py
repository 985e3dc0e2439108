"""Whole bodies: text the page's HTML does not show, but the page ships for its readers, is the
article's too (tests/fixtures/bodies/: pages built like script-rendered and paywalled ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract import furniture
from crawler.extract.encoding import decode_html
from crawler.extract.extraction import extract_page

PAGES = Path(__file__).parent / "fixtures" / "bodies"
URL = "http://courier.example/news/00012.html"


def _text(name: str) -> list[str]:
    return _lines(decode_html((PAGES / name).read_bytes()).text)


def _lines(page: str) -> list[str]:
    ext = extract_page(page, URL)
    assert ext.is_article, ext.verdict
    return (ext.text or "").split("\n")


def test_the_rest_of_a_cut_article_comes_from_its_json_ld_body():
    """Three paragraphs shown, then a paywall; the JSON-LD articleBody has all six, with
    Markdown links and emphasis and a layout directive, which go."""
    lines = _text("jsonld_rest.html")
    assert len(lines) == 6
    assert lines[2].endswith("during the long and wet winter.")
    assert "starting with the iron footbridge near the station" in lines[3]
    assert lines[4].startswith("A festival on the bridge")
    assert lines[5].endswith("the road is marked.")
    assert not any(mark in "\n".join(lines) for mark in ("+++", "](", "{:", "*", "Subscribe"))


def test_a_json_ld_body_of_another_text_adds_nothing():
    """Only what follows the shown text's last paragraph is taken: a body that does not
    contain it tells another story (or a different edit)."""
    lines = _text("jsonld_other.html")
    assert len(lines) == 3
    assert not any("ferry" in line or "festival" in line for line in lines)


def test_a_script_rendered_article_is_read_from_the_page_state():
    """The body shows a headline and navigation; the article's HTML is a string in a state
    script: its paragraphs and sub-heading are the text, its caption and ad markers are not."""
    lines = _text("script_rendered.html")
    assert lines[0].startswith("The old stone bridge over the river")
    assert "What comes next" in lines
    assert lines[-1].endswith("last repaired in 1962.")
    assert not any("Photo: City" in line or "ARTICLEAD" in line for line in lines)


def test_a_portal_pages_navigation_and_disclaimer_are_not_the_article():
    """Breadcrumb, login notice and previous/next links above a headline that carries a
    kicker ("独家："), a disclaimer under the article: the text is the three paragraphs."""
    lines = _text("portal_nav.html")
    assert len(lines) == 3
    assert lines[0].startswith("记者从市交通局获悉")
    assert lines[-1].endswith("让市民出行更加便捷。")


@pytest.mark.parametrize(
    "line",
    [
        "【免责声明】本文仅代表作者本人观点，与本网无关。",
        "登录超时，稍后再试",
        "上一篇 : 今日股市行情分析",
        "当前位置：首页 > 本地",
        "Toggle navigation",
    ],
)
def test_portal_furniture_lines(line):
    assert furniture.classify(line) is not None


def test_source_wrapping_inside_a_paragraph_is_no_line_break():
    """Paragraphs in ``<span>``s between ``<br>`` pairs, each wrapped over three source lines:
    one line each; a ``<pre>`` keeps its lines."""
    lines = _text("wrapped_spans.html")
    assert lines[0].startswith("The old stone bridge over the river reopened")
    assert lines[0].endswith("more than two million euros.")
    assert lines[2].endswith("while the detour was in place.")
    assert lines[3:] == ["make install", "make test"]


@pytest.mark.parametrize("between", ["\n", "\n<!--end header-->\n"])
def test_a_page_after_an_included_page_is_read(between: str):
    """A server-side include that is a whole document of its own, then the article's (after
    a comment, "<!--end header-->", too): a browser shows both, and the article is the text."""
    page = (
        (PAGES / "two_documents.html")
        .read_text("utf-8")
        .replace("</html>\n", f"</html>{between}", 1)
    )
    lines = _lines(page)
    assert len(lines) == 3
    assert lines[0].startswith("The old stone bridge")
    assert "Temperature" not in "\n".join(lines)


def test_a_slideshow_after_the_article_is_not_its_text():
    """Other stories' pictures after the article ("1/50 …", caption, credit): they go, from
    the first slide through the last one's credit; a page whose article is its slideshow
    keeps it."""
    article = [
        f"Paragraph {n} of the article on hotels, which is long enough to be prose, as they are."
        for n in "123"
    ]
    slides = [
        line
        for n in range(1, 5)
        for line in (f"{n}/4 Other story {n}", f"Caption of story {n}, with a sentence.", "Getty")
    ]
    assert furniture.without_slideshow([*article, *slides, "Tags: hotels"]) == [
        *article,
        "Tags: hotels",
    ]
    assert furniture.without_slideshow(slides) == slides
    # A list that counts something else (a date, numbers that do not rise) is no slideshow.
    counted = [*article, "3/4 of voters agree", "1/4 said no", "2/4 did not answer"]
    assert furniture.without_slideshow(counted) == counted
