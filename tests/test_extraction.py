"""extract_page on hand-made pages: site hints, date fallbacks and cross-checks, structure."""

from __future__ import annotations

import re
from pathlib import Path

import justext.core
import pytest
import trafilatura.external
from justext.utils import get_stoplist, get_stoplists
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from crawler.extract import stoplist
from crawler.extract.dates import FoundDate
from crawler.extract.encoding import decode_html
from crawler.extract.extraction import _MARKUP_AFTER_END, _parse, extract_page
from crawler.sites import SiteConfig
from tests.conftest import FIXTURES, PORTAL, PORTAL_TRUTH

PROSE = [
    "The regional council approved a plan on Tuesday to rebuild the old harbour bridge by 2026.",
    "Engineers said the new bridge would carry trams as well as cars, bicycles and pedestrians.",
    "Residents asked for a temporary ferry while the crossing is closed for about two years.",
]
URL = "https://news.example.org/2022/05/03/harbour-bridge-rebuild-approved"


def page(body: str, head: str = "") -> str:
    return (
        f"<html><head><title>Bridge plan approved | Example News</title>{head}</head><body>"
        f"<div id='nav'><a href='/'>Home</a> <a href='/world'>World</a></div>{body}"
        "<div id='footer'><p>Example News is read in forty countries every single day.</p></div>"
        "</body></html>"
    )


ARTICLE = (
    "<article><h1>Bridge plan approved</h1>" + "".join(f"<p>{p}</p>" for p in PROSE) + "</article>"
)


def test_title_without_site_suffix_and_text_without_headline():
    ext = extract_page(page(ARTICLE), URL)
    assert ext.is_article
    assert ext.title == "Bridge plan approved"
    assert ext.text is not None and ext.text.split("\n") == PROSE


def test_sitemap_date_is_the_fallback_and_the_cross_check():
    hint = FoundDate("2022-05-03T08:00:00+00:00", "2022-05-03T08:00:00Z", "sitemap")
    undated = extract_page(
        page(ARTICLE), "https://news.example.org/harbour-bridge-plan", date_hint=hint
    )
    assert undated.date == hint
    assert "no_date" not in undated.warnings
    dated = page(
        ARTICLE, '<meta property="article:published_time" content="2021-01-10T09:00:00+01:00">'
    )
    ext = extract_page(dated, URL, date_hint=hint)
    assert (ext.date.iso, ext.date.source) == ("2021-01-10T09:00:00+01:00", "meta")
    assert "date_disagrees_with_sitemap" in ext.warnings
    assert (
        "date_disagrees_with_sitemap"
        not in extract_page(page(ARTICLE), URL, date_hint=hint).warnings
    )


def test_site_body_xpath_prune_xpath_and_timezone():
    body = (
        "<div class='story'><p>Posted 2022-05-03 10:15</p>"
        + "<br>".join(PROSE)
        + "<div class='share'>Share on Twitter</div></div>"
    )
    site = SiteConfig(
        name="example",
        allowed_hosts=("news.example.org",),
        body_xpath="//div[@class='story']",
        prune_xpath=("//div[@class='share']",),
        timezone="Asia/Shanghai",
    )
    ext = extract_page(page(body), URL, site)
    assert ext.text is not None and ext.text.split("\n")[-3:] == PROSE
    assert "Share on Twitter" not in ext.text
    assert ext.date is not None and ext.date.iso == "2022-05-03T10:15:00+08:00"


OLDER_EVENT = {"zh": "2020年12月11日20时00分02秒，", "en": "On 2020-12-11 20:00:02, "}


@pytest.mark.parametrize("path", sorted(PORTAL_TRUTH["articles"]))
def test_the_datelines_date_when_the_first_sentence_names_an_older_one(path: str):
    """Every demo portal template, without its JSON-LD (so the dateline is the page's only
    date marker), its first paragraph opening with an older date: the dateline's date."""
    truth = PORTAL_TRUTH["articles"][path]
    html = decode_html((PORTAL / path.lstrip("/")).read_bytes()).text
    html = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
    first = truth["paragraphs"][0]
    assert first in html, "the paragraph must be in the page for the test to test anything"
    html = html.replace(first, OLDER_EVENT[truth["language"]] + first, 1)
    ext = extract_page(html, "http://127.0.0.1:8000/article.htm")
    assert ext.date is not None and ext.text is not None
    assert ext.text.split("\n")[0].startswith(OLDER_EVENT[truth["language"]].strip())
    assert (ext.date.iso, ext.date.source) == (truth["date"], "html")
    assert "date_from_text" not in ext.warnings


def test_a_date_in_the_standfirst_is_not_the_articles():
    standfirst = "<p class='lead'>On 2019-06-01 09:30 the first plan was rejected.</p>"
    dateline = "<p class='meta'>Updated: 2022-05-03 10:15</p>"
    body = f"<article><h1>Bridge plan approved</h1>{standfirst}{dateline}" + "".join(
        f"<p>{p}</p>" for p in PROSE
    )
    ext = extract_page(page(body + "</article>"), "https://news.example.org/bridge")
    assert ext.date is not None and ext.date.iso == "2022-05-03T10:15:00"


def test_a_date_in_the_prose_is_the_last_resort_and_says_so():
    body = "<article><h1>Bridge plan approved</h1><p>2020年12月11日20时00分02秒，" + (
        "".join(f"{p}</p><p>" for p in PROSE) + "</p></article>"
    )
    ext = extract_page(page(body), "https://news.example.org/bridge")
    assert ext.date is not None and ext.date.iso == "2020-12-11T20:00:02"
    assert "date_from_text" in ext.warnings
    hint = FoundDate("2022-05-03", "2022-05-03", "sitemap")
    hinted = extract_page(page(body), "https://news.example.org/bridge", date_hint=hint)
    assert hinted.date == hint
    assert "date_from_text" not in hinted.warnings


def test_a_local_time_takes_the_sites_timezone():
    body = "<article><h1>Bridge plan approved</h1><p>Published 2022-01-10 09:00 | Desk</p>" + (
        "".join(f"<p>{p}</p>" for p in PROSE) + "</article>"
    )
    site = SiteConfig(
        name="example", allowed_hosts=("news.example.org",), timezone="America/New_York"
    )
    ext = extract_page(page(body), "https://news.example.org/bridge", site)
    assert ext.date is not None and ext.date.iso == "2022-01-10T09:00:00-05:00"
    local = extract_page(page(body), "https://news.example.org/bridge")
    assert local.date is not None and local.date.iso == "2022-01-10T09:00:00"


def test_br_separated_table_cell_paragraphs_and_centred_caption():
    cell = "<br><br>".join("　　" + p for p in PROSE)
    html = page(
        "<table><tr><td width='150'><a href='/a'>Other story one</a><br><a href='/b'>Other story"
        " two</a></td><td><h1>Bridge plan approved</h1>"
        "<p align='center'><img src='/x.jpg'></p><p align='center'>The old bridge at dusk</p>"
        f"{cell}</td></tr></table>"
    )
    ext = extract_page(html, URL)
    assert ext.text is not None
    assert [re.sub(r"^\u3000+", "", line) for line in ext.text.split("\n")] == PROSE
    assert "The old bridge at dusk" not in ext.text


def test_listing_page_is_not_an_article_and_gives_links_and_feeds():
    links = "".join(
        f"<li><a href='/2022/05/0{i}/story-number-{i}-here'>Story {i}</a></li>" for i in range(1, 8)
    )
    html = page(
        f"<ul>{links}</ul>",
        '<link rel="alternate" type="application/rss+xml" href="/rss.xml">',
    )
    ext = extract_page(html, "https://news.example.org/")
    assert not ext.is_article
    assert "https://news.example.org/2022/05/01/story-number-1-here" in ext.links
    assert ext.feeds == ["https://news.example.org/rss.xml"]


def test_urls_urllib_cannot_parse_cost_only_themselves():
    broken = "<a href='http://[broken/x'>x</a> <a href='http://news.example.org:port/y'>y</a>"
    ext = extract_page(page(ARTICLE + broken, "<base href='http://[broken/'>"), URL)
    assert ext.is_article
    assert ext.text is not None and ext.text.split("\n")[:3] == PROSE
    listing = extract_page(
        page(broken, "<base href='http://[broken/'>"), "https://news.example.org/"
    )
    assert listing.links == ["https://news.example.org/", "https://news.example.org/world"]
    assert listing.unparsable_links == 2


def test_headline_lists_go_a_lone_linked_line_stays():
    # A headline list whose lines are partly link text (a bullet, a date) is still a run of
    # link lines; a linked source line between paragraphs is part of the article.
    headlines = "".join(
        f"<p>·<a href='/2022/05/0{i}/story-{i}'>Another story about the harbour number {i}</a>"
        f" 2022-05-0{i}</p>"
        for i in range(1, 5)
    )
    cell = (
        "<h1>Bridge plan approved</h1>"
        + "".join(f"<p>{p}</p>" for p in PROSE[:2])
        + "<p>Source: <a href='/minutes'>council minutes of 3 May</a></p>"
        + f"<p>{PROSE[2]}</p>{headlines}"
    )
    ext = extract_page(page(f"<table><tr><td>{cell}</td></tr></table>"), URL)
    assert ext.text == "\n".join([*PROSE[:2], "Source: council minutes of 3 May", PROSE[2]])


def test_caption_classes_of_other_languages():
    # Italian portals name the caption "dida" (didascalia), German ones "bildunterschrift".
    body = (
        f"<p>{PROSE[0]}</p><div><div><img src='/a.jpg'></div>"
        "<div class='dida'>Il ponte vecchio al tramonto, visto dal porto</div></div>"
        f"<p>{PROSE[1]}</p><div><div><img src='/b.jpg'></div>"
        "<p class='bildunterschrift'>Die alte Brücke in der Abenddämmerung</p></div>"
        f"<p>{PROSE[2]}</p>"
    )
    ext = extract_page(page(f"<article><h1>Bridge plan approved</h1>{body}</article>"), URL)
    assert ext.text == "\n".join(PROSE)


def test_a_page_that_opens_with_a_script_before_its_doctype():
    # A 2005 portal page (sohu.com): blank lines and a <script> before the doctype, and a CMS
    # tag in <head>. trafilatura's loader refuses it (its tree has no body); read as a whole
    # document it has its article.
    html = (
        "\n" * 16
        + "<script>check()</script>\n"
        + "<!DOCTYPE HTML PUBLIC -//W3C//DTD HTML 4.01 Transitional//EN>\n"
        + page(ARTICLE, head="<cms_include:style><link href='/a.css' rel='stylesheet'>")
    )
    ext = extract_page(html, URL)
    assert ext.verdict == "article"
    assert ext.text == "\n".join(PROSE)


LEAD = "The council voted eleven to four for a new crossing after two years of debate and delays."
DESCRIBED = f"<meta name='description' content='{LEAD}'>"


def under_headline(markup: str) -> str:
    """The headline and ``markup`` in a header above an <article> of the prose."""
    return (
        f"<header><h1>Bridge plan approved</h1>{markup}</header><article>"
        + "".join(f"<p>{p}</p>" for p in PROSE)
        + "</article>"
    )


def test_a_standfirst_outside_the_article_container_opens_the_text():
    # trafilatura takes the <article> and drops the lead above it; the page's description names
    # it, so it goes back on top, under the headline.
    body = under_headline(f"<p class='standfirst'>{LEAD}</p>")
    ext = extract_page(page(body, DESCRIBED), URL)
    assert ext.text == "\n".join([LEAD, *PROSE])


def test_a_description_not_shown_as_a_standfirst_stays_out():
    hidden = f"<script>var pageDescription = '{LEAD}';</script>{ARTICLE}"
    glued = f"<div><span>© Harbour Photo Agency</span> {LEAD}</div>{ARTICLE}"
    subtitle = under_headline(f"<h2>{LEAD}</h2>")
    teaser_below = f"{ARTICLE}<div class='box'><p class='summary'>{LEAD}</p></div>"
    for body in (hidden, glued, subtitle, teaser_below):
        assert extract_page(page(body, DESCRIBED), URL).text == "\n".join(PROSE)


@pytest.mark.parametrize(
    "path", sorted(str(p) for p in (FIXTURES / "corpus" / "pages").glob("*.html"))
)
def test_pages_parse_as_trafilaturas_loader_parses_them(path):
    # newscrawl parses pages itself (whole documents, element classes chosen in C); the tree
    # must be the one trafilatura's loader gives for an ordinary page.
    html = decode_html(Path(path).read_bytes()).text
    ours, theirs = _parse(html), load_html(html)
    if _MARKUP_AFTER_END.search(html):
        # A stray </html> with the page going on after it: its end tags are dropped, which
        # moves white space only when libxml2 had kept what follows.
        assert ours.text_content().split() == theirs.text_content().split()
    else:
        assert etree.tostring(ours) == etree.tostring(theirs)
    assert {type(el) for el in ours.iter(etree.Element)} == {HtmlElement}


def test_the_shared_stoplist_holds_the_words_justext_would_use_and_is_not_copied():
    stoplist.share()
    stoplist.share()  # a second call changes nothing
    words = trafilatura.external.JT_STOPLIST
    expected = frozenset(w.lower() for lang in get_stoplists() for w in get_stoplist(lang))
    assert justext.core.define_stoplist(words) is words
    assert words == expected
    # Another stoplist (one language's) is still lower-cased by jusText itself.
    assert justext.core.define_stoplist(("The", "And")) == frozenset({"the", "and"})
