"""Where article URLs come from and which pages are articles; pure functions, no Scrapy.

Sitemaps and feeds are parsed with entity resolution and network access off, so a hostile
XML file cannot expand entities or make the parser fetch anything.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from crawler.sites import SiteConfig

# Feed paths probed on a site's root when its pages link no feed; most CMSs answer one of them.
COMMON_FEED_PATHS = ("/feed", "/rss.xml", "/feed.xml", "/atom.xml", "/rss")
COMMON_SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml")


@dataclass(frozen=True, slots=True)
class Entry:
    """A URL a sitemap or feed lists, with the date it gives (raw) and where that came from."""

    url: str
    date: str | None = None
    date_source: str | None = None  # sitemap or feed


@dataclass(frozen=True, slots=True)
class Sitemap:
    is_index: bool
    entries: tuple[Entry, ...]


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    """``Sitemap:`` lines of a robots.txt, made absolute."""
    found = []
    for line in robots_txt.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and (url := join_url(base_url, value.strip())):
            found.append(url)
    return list(dict.fromkeys(found))


_XML_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "recover": True,
    "remove_comments": True,
    "huge_tree": False,
}


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(**_XML_OPTIONS)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def parse_sitemap(body: bytes, base_url: str, max_entries: int = 50_000) -> Sitemap | None:
    """A sitemap index or urlset (Google News extension included); None if it is neither.

    Read as a stream, each entry dropped from the tree once read: a big sitemap never stands in
    the crawl's memory as a whole tree, whose pages the allocator would keep for the rest of the
    crawl (a 50,000-entry sitemap: 12 MB instead of 54)."""
    events = etree.iterparse(io.BytesIO(body), **_XML_OPTIONS)
    root: etree._Element | None = None
    entries: list[Entry] = []
    # What was read before a syntax error the parser could not recover from stands.
    with contextlib.suppress(etree.XMLSyntaxError):
        for _, node in events:
            parent = node.getparent()
            if root is None:
                root = node.getroottree().getroot()
                if _local(root.tag) not in ("urlset", "sitemapindex"):
                    return None
            if parent is root:
                if entry := _sitemap_entry(node, base_url):
                    entries.append(entry)
                root.remove(node)
                if len(entries) >= max_entries:
                    break
    if root is None:
        return None
    return Sitemap(_local(root.tag) == "sitemapindex", tuple(entries))


def _sitemap_entry(node: etree._Element, base_url: str) -> Entry | None:
    if _local(node.tag) not in ("url", "sitemap"):
        return None
    loc = lastmod = published = None
    for child in node.iter():
        name = _local(child.tag)
        text = (child.text or "").strip()
        if name == "loc" and loc is None:
            loc = text
        elif name == "lastmod":
            lastmod = text
        elif name == "publication_date":
            published = text
    url = join_url(base_url, loc)
    return Entry(url, published or lastmod, "sitemap") if url else None


def join_url(base_url: str, href: str | None) -> str | None:
    """``href`` made absolute; None for one urllib refuses ("http://[bad"), so that one broken
    entry or link costs only itself, not the sitemap, feed or page it is on."""
    if not href:
        return None
    try:
        url = urljoin(base_url, href)
        _ = urlsplit(url).port  # raises for a port that is not a number
    except ValueError:
        return None
    return url


def parse_feed(body: bytes, base_url: str) -> list[Entry] | None:
    """Items of an RSS 1/2 or Atom feed (link and date); None if it is not a feed."""
    try:
        root = etree.fromstring(body, parser=_xml_parser())
    except etree.XMLSyntaxError:
        return None
    if root is None or _local(root.tag) not in ("rss", "feed", "rdf"):
        return None
    entries = []
    for item in root.iter():
        if _local(item.tag) not in ("item", "entry"):
            continue
        link = date = None
        for child in item:
            name = _local(child.tag)
            if name == "link" and link is None:
                href = child.get("href")
                if href and child.get("rel", "alternate") != "alternate":
                    continue
                link = (href or child.text or "").strip()
            elif name in ("pubdate", "published", "date", "updated", "issued") and date is None:
                date = (child.text or "").strip() or None
            elif name == "guid" and link is None and child.get("isPermaLink") != "false":
                link = (child.text or "").strip() or None
        if url := join_url(base_url, link):
            entries.append(Entry(url, date, "feed"))
    return entries


def looks_like_xml_feed(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith(b"<?xml") or head.startswith(b"<rss") or head.startswith(b"<feed")


def absolute_http_url(href: str, base_url: str) -> str | None:
    """Resolve a link; only http(s) URLs survive (no javascript:, mailto:, data:, file:)."""
    href = href.strip()
    if href.startswith("#") or not (joined := join_url(base_url, href)):
        return None
    url = urldefrag(joined)[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


# --- is this an article? -----------------------------------------------------------------------

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
_ERROR_TITLE = re.compile(
    r"(?i)(\b(404|410)\b|not found|page (not|no longer) (found|available)|error|"
    r"页面不存在|页面未找到|找不到|出错|seite nicht gefunden|página no encontrada|page introuvable|"
    r"nie znaleziono|access denied|forbidden|just a moment|attention required)"
)


def url_kind(url: str) -> str | None:
    """ "listing", "article" or None, from the URL's shape alone."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if path in ("/", "") and not parts.query:
        return "listing"
    if _LISTING_URL.search(path + ("?" + parts.query if parts.query else "")):
        return "listing"
    if _ARTICLE_URL.search(path):
        return "article"
    return None


@dataclass(frozen=True, slots=True)
class PageSignals:
    """What the verdict needs from a parsed page."""

    og_type: str | None
    jsonld_article: bool
    title: str | None
    text_chars: int  # characters of kept article text, whitespace excluded
    long_paragraphs: int  # paragraphs long enough to be prose
    link_density: float  # share of the page's body text inside links


def article_verdict(
    url: str | None, signals: PageSignals, site: SiteConfig | None, min_chars: int = 80
) -> tuple[bool, str]:
    """(is_article, reason). Site URL patterns are authoritative; otherwise the URL shape,
    og:type/JSON-LD type and the amount of prose vote.

    A page that claims to be an article (pattern, type or URL shape) stays one even with too
    little text: validation then rejects it with a reason instead of it vanishing as a skip.
    """
    if signals.title and _ERROR_TITLE.search(signals.title) and signals.long_paragraphs < 3:
        return False, "error_page"
    site_says = site.is_article_url(url) if site and url else None
    if site_says is False:
        return False, "site_pattern"
    typed = signals.jsonld_article or signals.og_type == "article"
    kind = url_kind(url) if url and url.startswith("http") else None
    if signals.text_chars < min_chars:
        if site_says or (typed and kind != "listing"):
            return True, "article"
        # A listing's text is its links, which extraction leaves out.
        return False, "listing_url" if kind == "listing" else "too_little_text"
    score = 2 if site_says else 0
    if typed:
        score += 2
    if kind == "article":
        score += 1
    elif kind == "listing":
        score -= 2
    if signals.long_paragraphs >= 2:
        score += 1
    if signals.long_paragraphs >= 5 or signals.text_chars >= 1500:
        score += 1
    if signals.link_density > 0.5:
        score -= 2
    if score >= 2:
        return True, "article"
    return False, "listing_url" if kind == "listing" else "not_enough_signals"


def expects_article(url: str, site: SiteConfig, via: str) -> bool:
    """Whether a page was expected to be an article before it was fetched; if it then is not
    one, that is a reject to report, not a listing page to skip."""
    if via in ("sitemap", "feed"):
        return True
    says = site.is_article_url(url)
    return says if says is not None else url_kind(url) == "article"


# --- hostile input ------------------------------------------------------------------------------

# Query parameters that carry a session, not a page: each visit mints a new one, so a site that
# puts them in links is an endless supply of "new" URLs for the same pages.
_SESSION_PARAMS = frozenset(
    {"jsessionid", "phpsessid", "sid", "sessionid", "session_id", "aspsessionid", "cfid",
     "cftoken", "zenid", "oscsid"}
)  # fmt: skip
_PATH_SESSION = re.compile(r"(?i);(jsessionid|phpsessid|sid|sessionid)=[^/?#]*")


def strip_session_ids(url: str) -> str:
    """``url`` without session IDs (``?sid=…``, ``;jsessionid=…``), so the duplicate filter sees
    the same page as the same URL."""
    parts = urlsplit(url)
    path = _PATH_SESSION.sub("", parts.path)
    query = parts.query
    if query:
        pairs = [p for p in query.split("&") if p.split("=", 1)[0].lower() not in _SESSION_PARAMS]
        query = "&".join(pairs)
    if (path, query) == (parts.path, parts.query):
        return url
    return parts._replace(path=path, query=query).geturl()


_ENTITY_DECLARATION = re.compile(rb"(?is)<!DOCTYPE[^>\[]*\[.*?<!ENTITY")


def declares_entities(body: bytes) -> bool:
    """Whether an XML document declares entities in its DOCTYPE. Sitemaps and feeds never need
    any; one that does is an entity-expansion ("billion laughs") or external-entity attack."""
    return bool(_ENTITY_DECLARATION.search(body[:65536]))


_HREF_SCHEME = re.compile(r"""(?i)<a\b[^>]*?\bhref\s*=\s*["']?\s*([a-z][a-z0-9+.-]*):""")
_NAMED_SCHEMES = frozenset({"javascript", "mailto", "data", "file", "tel", "ftp", "sms"})


def refused_link_schemes(html: str) -> list[str]:
    """The schemes of a page's links that are never fetched (anything but http and https);
    unusual ones as "other", so a hostile page cannot invent stats keys."""
    schemes = (m.group(1).lower() for m in _HREF_SCHEME.finditer(html))
    return [s if s in _NAMED_SCHEMES else "other" for s in schemes if s not in ("http", "https")]
