"""Is this page an article? A weighted vote of the page's own signals, where its URL was found
and the URL's shape, as a news reader would judge it; pure functions, no Scrapy.

No signal decides alone (a site's own URL patterns excepted): an article without og:type on a
URL without a date is still an article when its headline, dateline and prose say so, and a
section page a sitemap lists is still a listing when it is made of headline links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.sites import SiteConfig

_LISTING_URL = re.compile(
    r"(?i)(/(tags?|topics?|categor(y|ies)|section|sections|authors?|search|archives?|page|"
    r"label|columns?|channel|list|lists|index|node|special)(/|$|[_-]\d)|[?&](page|p|tag|cat|s)=|"
    r"/(index|default|list|node_\d+)[\w-]*\.(s?html?|php|aspx?)$|/page/\d+)"
)
_ARTICLE_URL = re.compile(
    r"(?i)(/(19|20)\d\d[/_-]?[01]\d([/_-]?[0-3]\d)?/|/(19|20)\d\d[01]\d[0-3]\d/|"
    r"[/_-](content|article|story|news|detail|doc)[_-]?\w*\d{4,}|\d{6,}\.(s?html?|php)$|"
    r"/[a-z0-9]+(-[a-z0-9]+){3,}(\.s?html?|/)?$)"
)
# A whole day in the path and an item after it: an article, even under "/archive/".
_DATED_ITEM = re.compile(r"/(19|20)\d\d[/_-]?[01]\d[/_-]?[0-3]\d/[^/]*\d[^/]*$")
_ERROR_TITLE = re.compile(
    r"(?i)(\b(404|410)\b|not found|page (not|no longer) (found|available)|error|"
    r"页面不存在|页面未找到|找不到|出错|seite nicht gefunden|página no encontrada|page introuvable|"
    r"nie znaleziono|access denied|forbidden|just a moment|attention required)"
)
# A dateline: a day with its month and year, in figures, in CJK or with a month's name.
_MONTHS = (
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|januar|februar|märz|mai|juni|juli|"
    r"oktober|dezember|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|"
    r"novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|"
    r"octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|"
    r"ottobre|dicembre|stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|"
    r"października|listopada|grudnia|январ|феврал|марта|апрел|мая|июн|июл|август|сентябр|"
    r"октябр|ноябр|декабр|січ|лют|берез|квіт|трав|черв|лип|серп|верес|жовт|листопад|груд"
)
_DATELINE = re.compile(
    rf"(?i)((19|20)\d\d[-/.年]\s*[01]?\d[-/.月]\s*[0-3]?\d|[0-3]?\d[-/.][01]?\d[-/.](19|20)\d\d|"
    rf"(?<!\d)[0-3]?\d\.?\s+({_MONTHS})\w*\.?,?\s+(19|20)\d\d|\b({_MONTHS})\w*\.?\s+[0-3]?\d,?\s+"
    rf"(19|20)\d\d|\d+\s*(minutes?|hours?|days?|min|hrs?|Stunden|heures|horas)\s+ago|"
    rf"\d+\s*(分钟|小时|天)前)"
)
# A wire dateline opening the lead: "LAS VEGAS - ", "WASHINGTON (AP) — ", "London (dpa) - ",
# "PARIS, 3 mars (AFP) - ": a place in capitals, or any place with an agency in brackets.
_PLACE = r"[^\W\d_][\w'.-]*(?: [^\W\d_][\w'.-]*){0,3}"
_WIRE_DATELINE = re.compile(
    rf"^(?:(?=[^a-z]{{3}})[^\W\d_a-z][^\s,a-z]*(?: [^\W\d_a-z][^\s,a-z]*){{0,3}}"
    rf"(?:, [^()\-–—]{{1,30}})?(?: \([\w/ .-]{{2,25}}\))?|{_PLACE}(?:, [^()\-–—]{{1,30}})?"
    rf" \([\w/ .-]{{2,25}}\)) ?[-–—] ",
)
_BYLINE = re.compile(
    r"(?i)(^|\s)(by|von|por|par|di|door|av|przez|autor|author|written by):?\s+\w|"
    r"(作者|记者|来源|编辑|责任编辑|撰文|通讯员)\s*[:：]?"
)

# Votes. A page is an article from ``_ENOUGH`` points on.
_ENOUGH = 2
_FOUND_VIA_VOTE = {"news_sitemap": 3, "feed": 3, "sitemap": 1}
# A listing has at least this many headline links.
_LISTING_LINKS = 8
# Prose, in weight (CJK counted twice): a paragraph under a headline, some prose, much prose.
_BRIEF, _SOME_PROSE, _MUCH_PROSE = 150, 300, 1000
# A long read: this much prose in at least _LONG_READ_PARAGRAPHS paragraphs is no hub's.
_LONG_READ, _LONG_READ_PARAGRAPHS = 3000, 8


def url_kind(url: str) -> str | None:
    """ "listing", "article" or None, from the URL's shape alone."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if path in ("/", "") and not parts.query:
        return "listing"
    if _DATED_ITEM.search(path):
        return "article"
    if _LISTING_URL.search(path + ("?" + parts.query if parts.query else "")):
        return "listing"
    if _ARTICLE_URL.search(path):
        return "article"
    return None


def has_dateline(text: str) -> bool:
    """A date as datelines give it (figures, CJK, a month's name, "3 hours ago")."""
    return _DATELINE.search(text) is not None


def opens_with_dateline(paragraph: str) -> bool:
    """A lead that opens with a wire dateline ("LAS VEGAS - ", "London (dpa) - "): a news
    report's first words, as no listing's or hub's prose opens."""
    return _WIRE_DATELINE.match(paragraph) is not None


def has_byline(text: str) -> bool:
    """A byline or source line ("By …", "作者：", "来源：")."""
    return _BYLINE.search(text) is not None


@dataclass(frozen=True, slots=True)
class PageSignals:
    """What the verdict needs from a parsed page."""

    og_type: str | None
    jsonld_article: bool
    title: str | None
    text_chars: int  # characters of kept article text, whitespace excluded
    long_paragraphs: int  # paragraphs long enough to be prose
    link_density: float  # share of the page's body text inside links
    article_elements: int = 0  # <article> elements: one is the article, many are teasers
    headline_above: bool = False  # a headline with a dateline or byline under it
    headline_links: int = 0  # links with a headline's length (listing entries, related links)
    headline_links_weight: int = 0  # their text, CJK counted twice
    prose_weight: int = 0  # the kept text's prose paragraphs, CJK counted twice
    teaser_prose: int = 0  # prose paragraphs that stand under a headline link (teasers)
    text_weight: int = 0  # the kept text, CJK counted twice (0: as text_chars)
    entries: int = 0  # hAtom entries, else schema.org article items (microdata), in the page
    lead_dateline: bool = False  # the first prose paragraph opens with a wire dateline


def listing_structure(signals: PageSignals, typed: bool) -> bool:
    """Many headline links and little prose: a home, section, tag or search page, whatever
    its URL or where it was found; so is a page whose prose is teasers under headline links.
    A page that says it is an article (its type, a headline with a dateline or byline) is
    not refused for its links alone: an article's related links can outweigh a short article.
    """
    if signals.headline_links < _LISTING_LINKS:
        return False
    if signals.teaser_prose >= 3 and 2 * signals.teaser_prose >= signals.long_paragraphs:
        return True
    if typed or signals.headline_above:
        return False
    if signals.long_paragraphs <= 1 and (signals.text_weight or signals.text_chars) < 500:
        return True
    return (
        signals.article_elements != 1 and signals.headline_links_weight > 3 * signals.prose_weight
    )


def article_verdict(
    url: str | None,
    signals: PageSignals,
    site: SiteConfig | None,
    min_chars: int = 80,
    *,
    found_via: str | None = None,
) -> tuple[bool, str]:
    """(is_article, reason). Site URL patterns are authoritative; otherwise the page's type
    (og:type, JSON-LD), an only ``<article>``, a headline with dateline or byline above prose,
    the amount of prose, where the URL was found (``found_via``: "news_sitemap" and "feed"
    count much, "sitemap" some, "listing" nothing) and the URL's shape vote.

    A page that claims to be an article (pattern, type or URL shape) stays one even with too
    little text: validation then rejects it with a reason instead of it vanishing as a skip.
    """
    if signals.title and _ERROR_TITLE.search(signals.title) and signals.long_paragraphs < 3:
        return False, "error_page"
    site_says = site.is_article_url(url) if site and url else None
    if site_says is False:
        return False, "site_pattern"
    typed = signals.jsonld_article or signals.og_type in ("article", "news")
    kind = url_kind(url) if url and url.startswith("http") else None
    not_article = "listing_url" if kind == "listing" else "not_enough_signals"
    if signals.text_chars < min_chars:
        if site_says or (typed and kind != "listing"):
            return True, "article"
        # A listing's text is its links, which extraction leaves out.
        return False, "listing_url" if kind == "listing" else "too_little_text"
    if not site_says and listing_structure(signals, typed):
        return False, "listing_url" if kind == "listing" else "listing_structure"
    prose = signals.prose_weight
    score = 3 if site_says else 0
    score += _FOUND_VIA_VOTE.get(found_via or "", 0)
    if typed:
        score += 2
    # One <article>, one hAtom entry or one schema.org article item: the page holds one.
    if signals.article_elements == 1 or signals.entries == 1:
        score += 1
    # A headline with its dateline or byline above a brief's worth of text, prose or a list of
    # items (a post's roundup of links); a wire dateline opening a paragraph of prose.
    text = signals.text_weight or signals.text_chars
    if (signals.headline_above and text >= _BRIEF) or (signals.lead_dateline and prose >= _BRIEF):
        score += 2
    if kind == "article":
        score += 1
    elif kind == "listing":
        score -= 1
    if prose >= _SOME_PROSE:
        score += 1
    if prose >= _MUCH_PROSE or signals.long_paragraphs >= 5:
        score += 1
    if prose >= _LONG_READ and signals.long_paragraphs >= _LONG_READ_PARAGRAPHS:
        score += 2
    # Prose with few links around it: a page of text, not a hub.
    if (
        signals.long_paragraphs >= 2
        and signals.link_density < 0.2
        and signals.headline_links_weight < prose
    ):
        score += 1
    if signals.link_density > 0.5:
        score -= 2
    if score >= _ENOUGH:
        return True, "article"
    return False, not_article


def expects_article(url: str, site: SiteConfig, via: str) -> bool:
    """Whether a page was expected to be an article before it was fetched; if it then is not
    one, that is a reject to report, not a listing page to skip."""
    if via in ("sitemap", "feed"):
        return True
    says = site.is_article_url(url)
    return says if says is not None else url_kind(url) == "article"
