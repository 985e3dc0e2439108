"""Extraction result -> output record, and the record-level rules that pipelines and
``scrapy extract`` share (cleaning, validation), so both produce the same records."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

from crawler import __version__
from crawler.extract import cleaning, sanitize
from crawler.extract.extracted import EXTRACTOR, Extraction
from crawler.extract.urls import normalize_url
from crawler.items import ArticleItem

EXTRACTOR_NAME = f"newscrawl/{__version__} {EXTRACTOR}"


def record_id(url: str) -> str:
    """Stable id of an article: its canonical URL, normalised (``crawler.extract.urls``: host case,
    default port, query order, fragment, tracking parameters, AMP/print variants), hashed."""
    return hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:32]


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


def clean_item(item: ArticleItem, drop_phrases: tuple[str, ...] = ()) -> ArticleItem:
    """Normalised text fields, made safe to write (``sanitize``), and the fields derived from
    the final text."""
    item = sanitize.record(item)
    text = cleaning.clean_text(item.text or "", drop_phrases)
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
