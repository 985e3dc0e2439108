"""Metadata helpers: dates keep time and offset, titles lose the site suffix, bylines clean."""

from pathlib import Path

import pytest
from lxml.html import fromstring
from trafilatura.metadata import extract_author
from trafilatura.utils import load_html

from crawler.encoding import decode_html
from crawler.metadata import (
    _dom_author,
    clean_authors,
    clean_title,
    detect_language,
    find_published,
    parse_date,
    read_jsonld,
)
from tests.conftest import FIXTURES


@pytest.mark.parametrize(
    ("raw", "tz", "iso"),
    [
        ("2022-03-01T10:22:33+08:00", None, "2022-03-01T10:22:33+08:00"),
        ("2022-03-01 10:22:33", None, "2022-03-01T10:22:33"),
        ("2022-03-01 10:22:33", "Asia/Shanghai", "2022-03-01T10:22:33+08:00"),
        ("2005年06月12日 08:30", "Asia/Shanghai", "2005-06-12T08:30:00+08:00"),
        ("2005年6月12日", None, "2005-06-12"),
        ("Tue, 01 Mar 2022 10:22:33 +0800", None, "2022-03-01T10:22:33+08:00"),
        ("2021-11-24T08:00:00Z", None, "2021-11-24T08:00:00Z"),
        ("2023-10-18T12:50:38+0200", None, "2023-10-18T12:50:38+02:00"),
        ("no date here", None, None),
        ("2022-13-45", None, None),
    ],
)
def test_parse_date(raw, tz, iso):
    assert parse_date(raw, tz) == iso


def test_date_sources_in_order():
    page = fromstring(
        """<html><head><meta property="article:published_time" content="2022-03-02T08:00:00+08:00">
        <script type="application/ld+json">{"@type": "NewsArticle",
        "datePublished": "2022-03-01T10:22:33+08:00", "author": [{"name": "张三"}]}</script>
        </head><body><h1>T</h1></body></html>"""
    )
    found = find_published(page, None, read_jsonld(page), "")
    assert (found.iso, found.source) == ("2022-03-01T10:22:33+08:00", "jsonld")
    bare = fromstring("<html><body><h1>T</h1><p>x</p></body></html>")
    dateline = find_published(bare, None, read_jsonld(bare), "T 2022-03-01 10:22:33　来源：中国网")
    assert (dateline.iso, dateline.source) == ("2022-03-01T10:22:33", "html")
    from_url = find_published(bare, "http://a.cn/2022-03/01/content_1.htm", read_jsonld(bare), "")
    assert (from_url.iso, from_url.source) == ("2022-03-01", "url")


@pytest.mark.parametrize(
    ("title", "h1", "names", "host", "clean"),
    [
        (
            "京东科技助力江苏数字经济_中国网科技",
            None,
            ["中国网科技"],
            "tech.china.com.cn",
            "京东科技助力江苏数字经济",
        ),
        (
            "Markets rally on rate hopes | Reuters",
            None,
            ["Reuters"],
            "www.reuters.com",
            "Markets rally on rate hopes",
        ),
        ("BBC News - Storm hits coast", None, [], "www.bbc.co.uk", "Storm hits coast"),
        (
            "Long headline here - China.org.cn",
            "Long headline here",
            [],
            "www.china.org.cn",
            "Long headline here",
        ),
        ("A plain title", None, [], "example.com", "A plain title"),
    ],
)
def test_clean_title(title, h1, names, host, clean):
    assert clean_title(title, h1, names, host) == clean


def test_clean_authors():
    assert clean_authors(["By Jane Doe and John Smith"]) == ["Jane Doe", "John Smith"]
    assert clean_authors(["作者：张三、李四"]) == ["张三", "李四"]
    assert clean_authors(["jane@example.com", "https://x.com/jane", "Jane Doe", "jane doe"]) == [
        "Jane Doe"
    ]
    assert clean_authors([], "2022-03-01 10:22 来源：中国网 作者：王五 ") == ["王五"]


def test_language_from_text_when_undeclared_or_wrong():
    zh = "京东科技助力江苏数字经济发展，数字人民币试点工作取得进展。" * 5
    de = "Die Bundesregierung hat am Mittwoch neue Regeln beschlossen, die ab Januar gelten. " * 4
    assert detect_language(zh, None) == ("zh", False)
    assert detect_language(zh, "en") == ("zh", True)
    assert detect_language(de, None) == ("de", False)
    assert detect_language(de, "en") == ("de", True)
    assert detect_language("Short text.", "fr") == ("fr", False)


BYLINES = (
    "<html><body><div class='comments'><span class='author'>Commenter Joe</span></div>"
    "<figure><span class='byline'>Photo by Ann Lens</span></figure>"
    "<p class='byline'>By Jane Reporter <time>3 May 2022</time> in London</p>"
    "</body></html>"
)


@pytest.mark.parametrize(
    "path",
    [BYLINES, *sorted(str(p) for p in (FIXTURES / "corpus" / "pages").glob("*.html"))],
    ids=lambda p: Path(p).name if p.endswith(".html") else "bylines",
)
def test_dom_author_search_finds_what_trafilaturas_does(path):
    # The byline search runs without trafilatura's copy of the page; what it finds must not
    # change: comments, figures and dates are skipped as trafilatura prunes them.
    html = path if path is BYLINES else decode_html(Path(path).read_bytes()).text
    tree = load_html(html)
    assert _dom_author(tree) == extract_author(tree)
    if path is BYLINES:
        assert _dom_author(tree) == "Jane Reporter"
