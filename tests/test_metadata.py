"""Metadata helpers: dates keep time and offset, titles lose the site suffix, bylines clean."""

from pathlib import Path

import pytest
from lxml.html import fromstring
from trafilatura.metadata import extract_author, extract_catstags
from trafilatura.utils import load_html
from trafilatura.xpaths import AUTHOR_XPATHS

from crawler.extract import jsonbounds
from crawler.extract.dates import (
    date_in_dateline,
    date_precision,
    later_than,
    parse_date,
    utc_instant,
)
from crawler.extract.encoding import decode_html
from crawler.extract.metadata import (
    _catstags,
    byline_candidates,
    choose_title,
    clean_title,
    detect_language,
    dom_author,
    find_published,
    meta_tags,
    read_jsonld,
    strip_site,
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


@pytest.mark.parametrize(
    ("iso", "precision", "instant"),
    [
        ("2022-03-01T10:22:33+08:00", "instant", "2022-03-01T02:22:33Z"),
        ("2021-11-24T08:00:00Z", "instant", "2021-11-24T08:00:00Z"),
        ("2022-01-10T09:00:00-05:00", "instant", "2022-01-10T14:00:00Z"),
        ("2022-03-01T10:22:33", "local", None),
        ("2022-03-01", "day", None),
        (None, None, None),
    ],
)
def test_date_precision_and_utc_instant(iso, precision, instant):
    assert date_precision(iso) == precision
    assert utc_instant(iso) == instant


def test_dateline_words_not_a_birth_date():
    assert date_in_dateline("出生日期：1975年1月28日 职业：演员") is None
    found = date_in_dateline("标题 发布时间：2022-03-01 10:22 来源：中国网")
    assert found is not None and found.iso == "2022-03-01T10:22:00"


def test_later_than_an_instant():
    delivered = "2024-05-02T10:00:00Z"
    assert later_than("2024-05-02T12:30:00+02:00", delivered)
    assert not later_than("2024-05-02T11:30:00+02:00", delivered)
    assert not later_than("2024-05-02T23:00:00", delivered)  # a local time: its day only
    assert later_than("2024-05-03", delivered)
    assert not later_than(None, delivered)


def test_date_sources_in_order():
    page = fromstring(
        """<html><head><meta property="article:published_time" content="2022-03-02T08:00:00+08:00">
        <script type="application/ld+json">{"@type": "NewsArticle",
        "datePublished": "2022-03-01T10:22:33+08:00", "author": [{"name": "张三"}]}</script>
        </head><body><h1>T</h1></body></html>"""
    )
    found = find_published(page, None, read_jsonld(page), meta_tags(page), "")
    assert (found.iso, found.source) == ("2022-03-01T10:22:33+08:00", "jsonld")
    bare = fromstring("<html><body><h1>T</h1><p>x</p></body></html>")
    header = "T 2022-03-01 10:22:33　来源：中国网"
    dateline = find_published(bare, None, read_jsonld(bare), {}, header)
    assert (dateline.iso, dateline.source) == ("2022-03-01T10:22:33", "html")
    from_url = find_published(
        bare, "http://a.cn/2022-03/01/content_1.htm", read_jsonld(bare), {}, ""
    )
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
        # A three-character name is a headline (CJK counts twice), not the site name beside it.
        ("蔡健雅_百度百科", "蔡健雅", [], "baike.baidu.com", "蔡健雅"),
        # The h1 names the section: the longer part beside it is the headline.
        (
            "Football365.com - SPECIAL CITY KIT FOR DERBY GAME - All The News - Football365 News",
            "All The News",
            [],
            "www.football365.com",
            "SPECIAL CITY KIT FOR DERBY GAME",
        ),
        # The <title> goes on after the h1 without a separator: a deck, not a headline beside.
        (
            "Mother assails governor, says he should not run for president",
            "Mother assails governor",
            [],
            "example.com",
            "Mother assails governor",
        ),
    ],
)
def test_clean_title(title, h1, names, host, clean):
    assert clean_title(title, h1, names, host) == clean


@pytest.mark.parametrize(
    ("h1s", "og", "headline", "page_title", "title"),
    [
        # og:title agrees with the h1: the publisher's headline, site name off.
        (
            ["Storm hits coast"],
            "Storm hits coast | Daily Mail Online",
            None,
            None,
            "Storm hits coast",
        ),
        # A kicker before the h1 ("Neue Leipziger Schule: …") is not the headline…
        (
            ["Neue Leipziger Schule: Judy Lybke, ganz und gar nicht eigenartig"],
            "Judy Lybke, ganz und gar nicht eigenartig",
            None,
            None,
            "Judy Lybke, ganz und gar nicht eigenartig",
        ),
        # … nor one before og:title, nor a section after it.
        (
            ["Newborns left in dustbins: Madhya Pradesh tops India again"],
            "Infant Abandonment: Newborns left in dustbins: Madhya Pradesh tops India again"
            " | Bhopal News",
            None,
            None,
            "Newborns left in dustbins: Madhya Pradesh tops India again",
        ),
        # Two kickers, one headline.
        (
            ["Eskalation im Nahen Osten - «Die Zurückhaltung hat viel mit den USA zu tun»"],
            "Iranischer Angriff auf Israel: «Die Zurückhaltung hat viel mit den USA zu tun»",
            None,
            None,
            "«Die Zurückhaltung hat viel mit den USA zu tun»",
        ),
        # Dashes inside the headline stay; zero-width characters go.
        (
            ["Zwei Rücktritte - und viele offene Fragen"],
            "Zwei Rück\u200btritte - und viele offene Fragen | tagesschau.de",
            None,
            None,
            "Zwei Rücktritte - und viele offene Fragen",
        ),
        # An og:title cut at an unescaped quote: the h1.
        (
            ['Senador califica a Biden de "incapacitado"'],
            "Senador califica a Biden de",
            None,
            None,
            'Senador califica a Biden de "incapacitado"',
        ),
        # An og:title shortened with an ellipsis: the h1 it begins.
        (
            ["Sweden tells 5,000,000 households how to survive a war"],
            "Sweden tells 5,000,000 households how…",
            None,
            None,
            "Sweden tells 5,000,000 households how to survive a war",
        ),
        # … but an ellipsis that is the headline's own stays.
        (
            ["他放弃百万年薪来到这里 唯一的要求竟是……"],
            "他放弃百万年薪来到这里 唯一的要求竟是……",
            None,
            None,
            "他放弃百万年薪来到这里 唯一的要求竟是……",
        ),
        # The quotes and apostrophes the h1 prints, not the <meta>'s straight ones…
        (
            ["Mexico to fight ‘illogical’ steel tariffs, citing US’s surplus"],
            "Mexico to fight 'illogical' steel tariffs, citing US's surplus | Reuters",
            None,
            None,
            "Mexico to fight ‘illogical’ steel tariffs, citing US’s surplus",
        ),
        # … also where the h1 adds a kicker; but not its capitals (a look, not the words).
        (
            ["Wahlkampf: Biden’s plan für die Wirtschaft"],
            "Biden's plan für die Wirtschaft",
            None,
            None,
            "Biden’s plan für die Wirtschaft",
        ),
        (["STORM HITS THE COAST"], "Storm hits the coast", None, None, "Storm hits the coast"),
        # An h1 in other words does not replace og:title, even where JSON-LD repeats the h1.
        (
            ["Forscher aus Osnabrück warnt: Studierende verlernen das Lesen"],
            "Forscher warnt: Verlernen Studierende das Lesen?",
            "Forscher aus Osnabrück warnt: Studierende verlernen das Lesen",
            None,
            "Forscher warnt: Verlernen Studierende das Lesen?",
        ),
        # Entities escaped twice in JSON-LD are decoded.
        ([], None, "Türkiye&#039;de orman yangınları", None, "Türkiye'de orman yangınları"),
        # No og:title: JSON-LD's headline; neither: the <title> less its site suffix.
        ([], None, "Markets rally", "Markets rally | Reuters", "Markets rally"),
        (["中国网"], None, None, "京东科技助力江苏数字经济_中国网科技", "京东科技助力江苏数字经济"),
    ],
)
def test_choose_title(h1s, og, headline, page_title, title):
    names = ["Daily Mail", "Reuters", "中国网科技"]
    assert choose_title(h1s, og, headline, page_title, names, "www.example.de") == title


def test_a_site_name_holding_the_headline_is_no_site_name():
    """A name guessed from the <title> (its first part with a dot in it) that is the h1 does
    not strip the headline off the <title>."""
    h1 = "Dyson ties steals record as Connecticut beats St. John's 81-65"
    page_title = f"{h1} - International Herald Tribune"
    assert choose_title([h1], None, None, page_title, [h1], "www.iht.com") == h1


def test_the_h1_the_title_holds_beats_a_logo_h1():
    h1s = ["Audio", "2007: A year in review, September"]
    page_title = "2007: A year in review, September - Pocket-lint.co.uk - gadget news and reviews"
    assert choose_title(h1s, None, None, page_title, [], "www.pocket-lint.co.uk") == h1s[1]


def test_strip_site_keeps_the_headline_whole():
    names = ["한국일보"]
    assert strip_site("장동혁, 제명했지만 부담 커졌다-정치ㅣ한국일보", names, None) == (
        "장동혁, 제명했지만 부담 커졌다"
    )
    assert strip_site("Zinsen: Sinkt der Leitzins? Klare Ansage", [], "www.morgenpost.de") == (
        "Zinsen: Sinkt der Leitzins? Klare Ansage"
    )
    assert strip_site("Streit um die Corona-Pandemie | tagesschau.de", [], "www.tagesschau.de") == (
        "Streit um die Corona-Pandemie"
    )
    assert strip_site("BBC News - Storm hits coast", [], "www.bbc.co.uk") == "Storm hits coast"
    assert (
        strip_site("有英勇的你，才有英雄的城！-新华网", ["新华网"], None)
        == "有英勇的你，才有英雄的城！"
    )
    assert strip_site("»Kein Geld mehr« (neues deutschland)", ["neues deutschland"], None) == (
        "»Kein Geld mehr«"
    )
    # Old blog themes set the blog's name off with "«"; in French it opens a quote.
    assert strip_site("Storm blues « Wonk Economist", [], "wonk-economist.com") == "Storm blues"
    assert strip_site("Macron : « Nous gagnerons »", ["Le Monde"], "lemonde.fr") == (
        "Macron : « Nous gagnerons »"
    )
    assert strip_site("NDTV.com: Modi, BJP leaders meet", [], "www.ndtv.com") == (
        "Modi, BJP leaders meet"
    )
    aoc = ["AOC media - Analyse Opinion Critique"]
    assert strip_site("La retraite | AOC media - Analyse Opinion Critique", aoc, "aoc.media") == (
        "La retraite"
    )
    # A kicker that only mentions the site is no site name.
    assert strip_site('Kate Moss auf dem VOGUE-Cover: "Gewöhnlich"', [], "www.vogue.de") == (
        'Kate Moss auf dem VOGUE-Cover: "Gewöhnlich"'
    )
    # A hyphenated word or a parenthesis that is not the site stays.
    assert strip_site("Rückkehr der Corona-Pandemie", [], "www.ndr.de") == (
        "Rückkehr der Corona-Pandemie"
    )
    assert strip_site("Warnock wins (again): report", [], "www.bbc.co.uk") == (
        "Warnock wins (again): report"
    )


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
    assert dom_author(tree) == extract_author(tree)
    if path is BYLINES:
        assert dom_author(tree) == "Jane Reporter"


# One element for each condition of trafilatura's three author XPaths, and near misses.
BYLINE_CANDIDATES = """<html><head><link rel="author" href="/jane"></head><body>
<em class="writer">Level 3 first in the page</em>
<author>Jane</author><span data-testid="AuthorCard">Jane</span>
<div class="post-AuthorName">Jane</div><p itemprop="author name">Jane</p>
<strong id="author">Jane</strong><div><rel>me</rel>Jane</div><div class="author">Jane</div>
<h3 class="byl">Jane</h3><h4 itemprop="xauthor">Jane</h4><span id="bianji">Jane</span>
<a class="submitted-by" href="/j">Jane</a><p class="byline">Jane</p>
<section data-component="Byline">Jane</section><li itemprop="author">Jane</li>
<td id="Author">Jane</td><b class="screenname">Jane</b><i class="Byline">Jane</i>
<section class="authors">Level 3: not one of the second XPath's tags</section>
<em class="author-link">Level 3</em><h2 class="byline">Level 3</h2>
<p class="Authorship">Level 3</p><div><rel>you</rel>none</div><span id="co-author-ref">L2</span>
<p class="by-line">none</p><div data-testid="AuthorX">none</div><span rel="me">none</span>
</body></html>"""


def test_byline_candidates_are_trafilaturas_author_xpath_matches():
    # Written as one pass over the elements for speed; if trafilatura's XPaths change, this
    # fails and the pass must follow them.
    tree = load_html(BYLINE_CANDIDATES)
    expected = list(dict.fromkeys(el for xpath in AUTHOR_XPATHS for el in xpath(tree)))
    assert byline_candidates(tree) == expected
    assert len(expected) == 24  # all but the four "none" elements


@pytest.mark.parametrize(
    "path", sorted(str(p) for p in (FIXTURES / "corpus" / "pages").glob("*.html"))
)
def test_byline_candidates_on_fixture_pages(path):
    tree = load_html(decode_html(Path(path).read_bytes()).text)
    expected = list(dict.fromkeys(el for xpath in AUTHOR_XPATHS for el in xpath(tree)))
    assert byline_candidates(tree) == expected


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><div class='entry-meta'><a href='/category/world/'>World</a>"
        "<a href='/tag/eu/'>EU</a><a href='/about/'>About</a></div></body></html>",
        "<html><head><meta name='dc.subject' content='Politics'></head><body>"
        "<div class='tags'><a href='/tags/x/'>X</a></div></body></html>",
        "<html><head><meta property='article:section' content='Economy'></head>"
        "<body><p><a href='/x'>x</a></p></body></html>",
        "<html><body><div class='entry-meta'><a href='/news/world/'>World</a></div></body></html>",
    ],
)
def test_categories_and_tags_as_trafilatura_finds_them(html):
    # Its XPath search is skipped when no link can qualify; what it finds must not change.
    tree = load_html(html)
    hrefs = tree.xpath("//a/@href")
    for kind in ("category", "tag"):
        assert _catstags(kind, tree, hrefs) == extract_catstags(kind, tree)


def test_a_json_ld_block_out_of_bounds_costs_only_itself():
    """Nested 200,000 deep (RecursionError) or with a 5,000-digit number (ValueError), a block
    failed the page in newscrawl's reading and in trafilatura's; now it is taken out unread."""
    good = '{"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ann Example"}}'
    for bad in ("[" * 200_000 + "]" * 200_000, '{"wordCount": ' + "7" * 5000 + "}"):
        tree = fromstring(
            f'<html><head><script type="application/ld+json">{bad}</script>'
            f'<script type="application/ld+json">{good}</script></head><body></body></html>'
        )
        jsonld = read_jsonld(tree)
        assert jsonld.refused == 1 and jsonld.authors == ["Ann Example"]
        assert len(tree.xpath("//script")) == 1, "the bad block is out of the tree"
    assert jsonbounds.loads('{"a": "[[[[ 99999 ]]]]"}') == {"a": "[[[[ 99999 ]]]]"}
    with pytest.raises(jsonbounds.JsonOutOfBounds):
        jsonbounds.loads("[" * 65 + "]" * 65)


@pytest.mark.parametrize(
    "form",
    [
        "<form id='commentform'><p class='comment-form-author'><label for='author'>Name</label>"
        "<input id='author' name='author'></p></form>",
        "<div class='comment-respond'><p class='comment-form-author'><label>Name</label>"
        "<textarea name='author'></textarea></p></div>",
    ],
    ids=["in_form", "without_form"],
)
def test_a_form_field_label_is_no_byline(form):
    # trafilatura takes the comment form's "author" field label for the byline.
    page = f"<html><body><article><p>Text.</p></article>{form}</body></html>"
    assert extract_author(load_html(page)) == "Name"
    assert dom_author(load_html(page)) is None
    byline = "<article><span class='byline'>By Jane Reporter</span>"
    assert dom_author(load_html(page.replace("<article>", byline))) == "Jane Reporter"


def test_a_byline_in_a_page_wide_form_is_still_one():
    # ASP.NET pages wrap the whole page, byline and all, in one <form>.
    page = (
        "<html><body><form id='aspnetForm'><input type='hidden' name='__VIEWSTATE'>"
        "<article><span class='byline'>By Jane Reporter</span><p>Text.</p></article>"
        "</form></body></html>"
    )
    assert dom_author(load_html(page)) == "Jane Reporter"
