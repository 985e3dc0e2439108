"""Is this page an article? The verdict from the page's own signals, the site's URL patterns
and the URL's shape; pure functions, no Scrapy."""

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
