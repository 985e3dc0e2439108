"""The article verdict as a vote: every signal counts, none decides alone (a site's URL
patterns excepted). Pages built for it in tests/fixtures/verdict/: articles on URLs without a
date and without og:type or JSON-LD, and listings that a news sitemap or feed lists."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from crawler.extract.encoding import decode_html
from crawler.extract.extraction import extract_page
from crawler.extract.verdict import (
    PageSignals,
    article_verdict,
    has_byline,
    has_dateline,
    listing_structure,
    opens_with_dateline,
    url_kind,
)

PAGES = Path(__file__).parent / "fixtures" / "verdict"
FOUND_VIA = (None, "listing", "sitemap", "news_sitemap", "feed")


def _extract(name: str, url: str, found_via: str | None = None):
    html = decode_html((PAGES / name).read_bytes()).text
    return extract_page(html, url, found_via=found_via)


@pytest.mark.parametrize("found_via", FOUND_VIA)
@pytest.mark.parametrize(
    ("name", "url"),
    [
        # Headline, byline and dateline above three paragraphs, one <article>, twelve related
        # headlines beside it; no og:type, no JSON-LD, a URL without a date.
        ("article_en.html", "http://courier.example/news/00012.html"),
        # An old portal's brief: a bold headline, "2024年3月1日 来源：本报", one paragraph.
        ("brief_zh.html", "http://bao.example.cn/a/2481.html"),
        # A blog post: its page's only hAtom entry (class "hentry"), four paragraphs, no date.
        ("blog_post_entry.html", "http://allotment.example/p/autumn"),
        # The <title> is the section's, no date, no byline: the lead opens "LONDON (dpa) - ".
        ("article_wire.html", "http://courier.example/news/00015.html"),
        # No <h1>: the headline is what the <title> begins with ("Headline-Section-Site"), and
        # its dateline follows it with no space in the page's text; one paragraph.
        ("article_title_head.html", "http://courier.example/news/00016.html"),
    ],
)
def test_articles_without_type_or_dated_url_are_articles(name, url, found_via):
    ext = _extract(name, url, found_via)
    assert (ext.is_article, ext.verdict) == (True, "article"), ext.text


@pytest.mark.parametrize("found_via", FOUND_VIA)
@pytest.mark.parametrize(
    ("name", "url", "verdict"),
    [
        ("section.html", "http://courier.example/local-news", "too_little_text"),
        ("section.html", "http://courier.example/tag/local", "listing_url"),
        # Ten teasers with dates: all the page's prose stands under headline links.
        ("teasers.html", "http://courier.example/find?q=city", "listing_structure"),
        ("login.html", "http://courier.example/signin", "too_little_text"),
        # A blog's home: five hAtom entries, each a headline link, a date and a teaser.
        ("blog_home.html", "http://allotment.example/blog", "not_enough_signals"),
        # Every teaser opens with a wire dateline: teasers under headline links all the same.
        ("wire_listing.html", "http://courier.example/wires", "listing_structure"),
    ],
)
def test_listings_stay_out_whatever_found_them(name, url, verdict, found_via):
    ext = _extract(name, url, found_via)
    assert (ext.is_article, ext.verdict) == (False, verdict)


def test_teasers_after_the_article_are_not_its_text():
    """A "more stories" box of headline links with teasers that extraction takes in: the
    teasers go, the article stays an article."""
    ext = _extract("article_more_stories.html", "http://courier.example/news/00013.html")
    assert ext.is_article
    assert ext.text is not None
    assert ext.text.endswith("while the detour was in place.")
    assert "Councillors voted" not in ext.text


def _signals(**kw) -> PageSignals:
    """A page with a paragraph or so of prose and nothing else to say what it is."""
    base = dict(
        og_type=None,
        jsonld_article=False,
        title="Bridge reopens after repairs",
        text_chars=400,
        long_paragraphs=1,
        link_density=0.3,
        headline_links=5,
        headline_links_weight=300,
        prose_weight=350,
    )
    base.update(kw)
    return PageSignals(**base)


URL = "http://courier.example/p/bridge"


@pytest.mark.parametrize(
    ("found_via", "is_article"),
    [(None, False), ("listing", False), ("sitemap", True), ("news_sitemap", True), ("feed", True)],
)
def test_where_the_url_was_found_votes(found_via, is_article):
    assert article_verdict(URL, _signals(), None, found_via=found_via)[0] is is_article


def test_no_signal_decides_alone():
    # The URL's shape is one weak vote: not enough without prose, no veto against it.
    dated = "http://courier.example/2024/03/03/bridge.html"
    assert article_verdict(dated, _signals(prose_weight=0, text_chars=200), None)[0] is False
    listing = "http://courier.example/section/local"
    assert article_verdict(listing, _signals(og_type="article"), None) == (True, "article")
    # A headline with a dateline or byline above a paragraph makes a brief an article.
    assert article_verdict(URL, _signals(headline_above=True), None) == (True, "article")
    # Many links do not make a typed page with prose a listing.
    crowded = _signals(og_type="article", headline_links=80, headline_links_weight=5000)
    assert article_verdict(URL, crowded, None) == (True, "article")


def test_a_long_read_is_an_article_among_many_links():
    """Sixteen paragraphs of prose on a page of a magazine whose every link is a headline and
    whose og:type says "website": a long read, not a hub."""
    essay = _signals(
        og_type="website",
        text_chars=8000,
        long_paragraphs=16,
        prose_weight=9000,
        link_density=0.56,
        headline_links=160,
        headline_links_weight=16000,
        article_elements=80,
    )
    assert article_verdict(URL, essay, None) == (True, "article")
    assert article_verdict(URL, replace(essay, long_paragraphs=4), None)[0] is False


def test_a_listing_stays_one_even_from_a_news_sitemap():
    hub = _signals(headline_links=25, headline_links_weight=900, prose_weight=0, text_chars=150)
    for found_via in FOUND_VIA:
        assert article_verdict(URL, hub, None, found_via=found_via) == (
            False,
            "listing_structure",
        )
    assert article_verdict("http://courier.example/tag/local", hub, None) == (
        False,
        "listing_url",
    )


def test_a_cjk_page_is_weighed_as_cjk_before_it_is_called_a_listing():
    """One long paragraph among headline links: 350 Chinese or Japanese characters are a
    story, 350 Latin ones a section's blurb (CJK characters count twice)."""
    story = _signals(
        text_chars=350,
        long_paragraphs=1,
        prose_weight=600,
        headline_links=16,
        headline_links_weight=465,
        link_density=0.27,
    )
    assert listing_structure(replace(story, text_weight=350), typed=False)
    assert not listing_structure(replace(story, text_weight=700), typed=False)


def test_one_entry_votes_as_one_article_element_does():
    page = _signals(long_paragraphs=3, prose_weight=400)
    assert article_verdict(URL, page, None)[0] is False
    assert article_verdict(URL, replace(page, entries=1), None) == (True, "article")
    assert article_verdict(URL, replace(page, entries=5), None)[0] is False


def test_wire_datelines():
    for lead in (
        "LAS VEGAS - The Democratic primary",
        "WASHINGTON (AP) — The Senate voted",
        "London (dpa) - Joey Barton will appear",
        "PARIS, 3 mars (AFP) - Le gouvernement",
        "WASHINGTON, Jan 3 (Reuters) - The Fed",
    ):
        assert opens_with_dateline(lead), lead
    for lead in (
        "Home - News - the story so far",
        "The mayor - who spoke first - said",
        "Joey Barton - the midfielder - will appear",
        "In 2020 - the year of the pandemic",
    ):
        assert not opens_with_dateline(lead), lead


def test_datelines_and_bylines():
    dates = ("3 March 2024", "March 3, 2024", "2024-03-03", "03.03.2024", "2024年3月3日")
    for text in (*dates, "15 августа 2016, 13:43", "3 березня 2024"):
        assert has_dateline(f"Bridge reopens {text} The old bridge"), text
    assert has_dateline("Updated 3 hours ago")
    # Blocks run together in a page's text: a headline glued to its dateline.
    assert has_dateline("Bridge reopens after repairs3 Mar 2024, 0900 hrs")
    assert not has_dateline("The bridge is 120 metres long and 12 wide")
    assert has_byline("Bridge reopens By Anna Keller")
    assert has_byline("Bridge reopens Written By: Anna Keller - Oct 31 12")
    assert has_byline("市区新增三条公交线路 来源：本报")
    assert not has_byline("Bridge reopens after repairs")


def test_a_dated_item_under_an_archive_folder_is_an_article_url():
    assert url_kind("http://blog.example.cn/u/archive/2005/07/31/255509.aspx") == "article"
    assert url_kind("http://blog.example.cn/u/archive/2005/07/") == "listing"
