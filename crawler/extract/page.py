"""The one page-to-record path: bytes and URL in, a record or the reason there is none out.

Decode -> extract (article verdict, template lines) -> clean -> build the record -> validate.
The crawl's workers, ``scrapy extract`` and the benches all call ``page_to_record``, so they agree
by construction; nothing else builds a record. No Scrapy or Twisted here, and trafilatura only
once a page is extracted: the crawl's own process imports this module without the extraction
stack (it runs in the workers).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from crawler import __version__
from crawler.extract import cleaning, sanitize, structure, urls
from crawler.extract.dates import FoundDate
from crawler.extract.encoding import decode_html
from crawler.extract.extracted import EXTRACTOR, Extraction
from crawler.extract.fingerprints import fingerprint
from crawler.extract.templates import SiteKnowledge
from crawler.items import ArticleItem
from crawler.sites import SiteConfig

EXTRACTOR_NAME = f"newscrawl/{__version__} {EXTRACTOR}"

# Verdicts of a page that may be unreadable rather than not an article: the crawl looks closer.
UNCLEAR_VERDICTS = frozenset({"error_page", "too_little_text", "not_enough_signals"})


@dataclass(frozen=True)
class Page:
    """One fetched (or stored) page and what is known of it before extraction."""

    body: bytes
    url: str
    content_type: str | None = None  # the Content-Type header: its charset is an encoding hint
    site: SiteConfig | None = None
    date_hint: FoundDate | None = None  # the date a sitemap or feed gave for the URL
    knowledge: SiteKnowledge = field(default_factory=SiteKnowledge)
    # Where the URL was found: "news_sitemap", "sitemap", "feed", "listing", or None (a seed,
    # a stored file): evidence for the article verdict.
    found_via: str | None = None
    discovered_via: str = "file"  # the record's discovered_via
    http_status: int | None = None

    @property
    def site_name(self) -> str:
        return self.site.name if self.site else (urlsplit(self.url).hostname or "local")


@dataclass(frozen=True)
class RecordRules:
    """What a record must satisfy, as plain values (the crawl reads them from its settings)."""

    min_text_chars: int = 200  # NEWS_MIN_TEXT_CHARS
    # True: the crawl's gate, no record for a page the article verdict calls no article. False
    # (``scrapy extract``): such a page with main text still yields one, with the warning
    # ``not_article:<verdict>``.
    articles_only: bool = True


@dataclass
class PageResult:
    """A record, or ``reason`` why there is none; and what the crawl needs of a non-article
    (its links, feeds and counters). The decoded HTML stays where the page was extracted."""

    record: ArticleItem | None
    reason: str | None  # "not_article/<verdict>", "text_too_short", "missing_text" ...
    is_article: bool
    verdict: str  # the article verdict, or "too_deep" for markup nested past the parser
    encoding: str
    date: FoundDate | None = None  # the published date found (the crawl's age limit)
    detail: str = ""
    links: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)  # counters, under newscrawl/


def page_to_record(page: Page, rules: RecordRules = RecordRules()) -> PageResult:
    """The record of one page, or why there is none. Raises only what the extraction stack
    raises on a page it chokes on (the caller names it)."""
    # Imported here: the workers have it preloaded; the crawl's process never needs it.
    from crawler.extract.extraction import extract_page

    decoded = decode_html(page.body, page.content_type)
    ext = extract_page(
        decoded.text,
        page.url,
        page.site,
        page.date_hint,
        page.knowledge,
        found_via=page.found_via,
    )
    stats = {f"encoding/{warning}": 1 for warning in decoded.warnings}
    verdict = ext.verdict
    if not ext.is_article and verdict == "too_little_text" and structure.too_deep(decoded.text):
        verdict = "too_deep"
    result = PageResult(
        record=None,
        reason=None,
        is_article=ext.is_article,
        verdict=verdict,
        encoding=decoded.encoding,
        date=ext.date,
        stats=stats,
    )
    warnings = decoded.warnings
    if not ext.is_article:
        result.links, result.feeds = ext.links, ext.feeds
        for scheme in urls.refused_link_schemes(decoded.text):
            stats[f"links_refused/{scheme}"] = stats.get(f"links_refused/{scheme}", 0) + 1
        if ext.unparsable_links:
            stats["links_unparsable"] = ext.unparsable_links
        if rules.articles_only or not ext.text:
            result.reason = f"not_article/{verdict}"
            return result
        warnings = (*warnings, f"not_article:{verdict}")
    drop = page.site.drop_phrases if page.site else ()
    text = cleaning.clean_text(ext.text or "", drop)
    untemplated = cleaning.clean_text(ext.untemplated_text, drop) if ext.untemplated_text else text
    item = build_item(
        ext,
        url=page.url,
        site=page.site_name,
        discovered_via=page.discovered_via,
        encoding=decoded.encoding,
        http_status=page.http_status,
        warnings=warnings,
        fingerprint=fingerprint(text) if text else None,
        content_hash=cleaning.text_hash(untemplated) if untemplated else None,
    )
    result.record, result.reason, result.detail = finish_record(item, rules, drop, text)
    return result


def without_template(
    item: ArticleItem, knowledge: SiteKnowledge, rules: RecordRules
) -> tuple[ArticleItem | None, str | None, str]:
    """A record without the site's template lines learned since its page was extracted (the
    crawl learns while pages are in the workers), validated again: what a record contains must
    not depend on how many pages were in flight."""
    lines = (item.text or "").split("\n")
    kept = knowledge.strip(lines)
    if len(kept) == len(lines):
        return item, None, ""
    return finish_record(replace(item, text="\n".join(kept)), rules)


def finish_record(
    item: ArticleItem,
    rules: RecordRules,
    drop_phrases: tuple[str, ...] = (),
    cleaned: str | None = None,
) -> tuple[ArticleItem | None, str | None, str]:
    """(cleaned record, None, "") or (None, reject reason, detail); ``cleaned`` as in
    ``clean_item``."""
    item = clean_item(item, drop_phrases, cleaned)
    reason = rejection(item, rules.min_text_chars)
    if reason is None:
        return item, None, ""
    chars = cleaning.text_chars(item.text or "")
    return None, reason, f"{item.url} (title={item.title!r}, chars={chars})"


def record_id(url: str) -> str:
    """Stable id of an article: its canonical URL, normalised (``crawler.extract.urls``: host case,
    default port, query order, fragment, tracking parameters, AMP/print variants), hashed."""
    return hashlib.sha256(urls.normalize_url(url).encode("utf-8")).hexdigest()[:32]


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_item(
    ext: Extraction,
    *,
    url: str,
    site: str,
    discovered_via: str,
    encoding: str | None,
    http_status: int | None = None,
    fetched_at: str | None = None,
    warnings: tuple[str, ...] = (),
    fingerprint: int | None = None,
    content_hash: str | None = None,
) -> ArticleItem:
    """The record for an article page, before cleaning (see ``clean_item``)."""
    date = ext.date
    return ArticleItem(
        id=record_id(ext.canonical_url or url),
        url=url,
        canonical_url=ext.canonical_url,
        site=site,
        title=ext.title,
        description=ext.description,
        text=ext.text,
        authors=list(ext.authors),
        date_published=date.iso if date else None,
        date_published_raw=date.raw if date else None,
        date_published_source=date.source if date else None,
        date_modified=ext.date_modified,
        language=ext.language,
        image_url=ext.image_url,
        categories=list(ext.categories),
        tags=list(ext.tags),
        fetched_at=fetched_at or utc_now(),
        http_status=http_status,
        encoding=encoding,
        discovered_via=discovered_via,
        extractor=EXTRACTOR_NAME,
        warnings=list(dict.fromkeys([*warnings, *ext.warnings])),
        fingerprint=fingerprint,
        content_hash=content_hash,
    )


def clean_item(
    item: ArticleItem, drop_phrases: tuple[str, ...] = (), cleaned: str | None = None
) -> ArticleItem:
    """Normalised text fields, made safe to write (``sanitize``), and the fields derived from
    the final text. ``cleaned``: the item's text through ``cleaning.clean_text`` already (the
    fingerprint needed it), taken as is unless sanitizing changes the text."""
    safe = sanitize.record(item)
    if cleaned is not None and safe.text is item.text:
        text = cleaned
    else:
        text = cleaning.clean_text(safe.text or "", drop_phrases)
    item = safe
    title = cleaning.clean_line(item.title or "") or None
    description = cleaning.clean_line(item.description or "") or None
    return replace(
        item,
        title=title,
        description=description,
        text=text,
        authors=[a for a in (cleaning.clean_line(a) for a in item.authors) if a],
        categories=[c for c in (cleaning.clean_line(c) for c in item.categories) if c],
        tags=[t for t in (cleaning.clean_line(t) for t in item.tags) if t],
        word_count=cleaning.word_count(text),
        text_hash=cleaning.text_hash(text),
        # A headline that cannot be found costs the record its title, not the article.
        warnings=item.warnings if title else list(dict.fromkeys([*item.warnings, "title_missing"])),
    )


def rejection(item: ArticleItem, min_text_chars: int) -> str | None:
    """Why a cleaned record may not be written, or None when it is valid."""
    if not item.url:
        return "missing_url"
    if not item.text:
        return "missing_text"
    if cleaning.text_chars(item.text) < min_text_chars:
        return "text_too_short"
    return None
