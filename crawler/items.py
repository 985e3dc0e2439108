"""The output record: one dataclass whose field order is the JSON Lines schema (version 1.2)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from importlib import resources
from typing import Any

from crawler.extract.dates import date_precision, utc_instant

SCHEMA_VERSION = "1.2"


@dataclass
class ArticleItem:
    """One article; every key is always written (``None`` / ``[]`` when unknown).

    ``crawler/schema/article.schema.json`` is the same contract as JSON Schema; tests check that
    the two agree and that every emitted record validates.
    """

    schema_version: str = SCHEMA_VERSION
    id: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    site: str | None = None
    title: str | None = None
    description: str | None = None
    text: str | None = None
    authors: list[str] = field(default_factory=list)
    date_published: str | None = None
    date_published_raw: str | None = None
    date_published_source: str | None = None
    # 1.2: what the date pins down, and its UTC instant when it has one. Derived from the dates
    # on every construction (``dataclasses.replace`` too), so they cannot disagree with them.
    date_published_precision: str | None = field(default=None, init=False)
    published_at: str | None = field(default=None, init=False)
    date_modified: str | None = None
    date_modified_precision: str | None = field(default=None, init=False)
    modified_at: str | None = field(default=None, init=False)
    language: str | None = None
    image_url: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    word_count: int | None = None
    fetched_at: str | None = None
    http_status: int | None = None
    encoding: str | None = None
    discovered_via: str | None = None
    text_hash: str | None = None
    extractor: str | None = None
    warnings: list[str] = field(default_factory=list)
    # 1 for an article's first record; each changed text delivered later counts one up (1.1).
    version: int = 1
    # Not written: the near-duplicate fingerprint, computed where the text was extracted (a
    # worker process) so the crawl's main process does not spend its time hashing.
    fingerprint: int | None = field(default=None, metadata={"export": False})
    # Not written: the hash of the text before the site's learned template lines were removed,
    # which is what change detection compares (``change_hash``): a line learned as template
    # after an article was delivered must not make the article look changed on a re-check.
    content_hash: str | None = field(default=None, metadata={"export": False})

    def __post_init__(self) -> None:
        self.date_published_precision = date_precision(self.date_published)
        self.published_at = utc_instant(self.date_published)
        self.date_modified_precision = date_precision(self.date_modified)
        self.modified_at = utc_instant(self.date_modified)

    @property
    def change_hash(self) -> str | None:
        return self.content_hash or self.text_hash


FIELD_ORDER: list[str] = [f.name for f in fields(ArticleItem) if f.metadata.get("export", True)]


def record_dict(item: ArticleItem) -> dict[str, Any]:
    """The record as written: the schema's fields, in order."""
    return {name: getattr(item, name) for name in FIELD_ORDER}


def json_schema() -> dict[str, Any]:
    """The packaged JSON Schema of the record."""
    text = resources.files("crawler").joinpath("schema/article.schema.json").read_text("utf-8")
    return json.loads(text)
