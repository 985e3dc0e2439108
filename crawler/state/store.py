"""The crawl state's contract: what a store keeps (pages, delivered records, staged batches,
template counts) and the one interface, ``CrawlState``, that the SQLite and Redis stores
implement. Imports neither store, so neither imports back."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class StateUnavailable(Exception):
    """The store cannot be reached for now (Redis went away). Never means "not known": the
    caller waits (``StateTracker.patiently``) or goes on without what it wanted to look up."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class PageState:
    """What the crawl knows about one article page (``url`` normalised: ``extract.urls``)."""

    url: str
    site: str
    record_id: str | None
    first_seen: str
    last_fetched: str | None = None
    # The sitemap lastmod or feed date the page was last listed with, as written there.
    source_date: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class RecordState:
    """The last delivered version of one record."""

    id: str
    site: str
    canonical_url: str | None
    # ArticleItem.change_hash: of the text before the site's template lines went.
    text_hash: str
    fingerprint: int
    version: int
    times_changed: int
    first_seen: str
    delivered_at: str
    delivered_file: str | None = None


@dataclass(frozen=True)
class Batch:
    """The records (and their pages) written to one output file, staged before the file gets
    its final name; ``sha256`` tells afterwards whether it did."""

    id: str
    file: str
    sha256: str | None
    records: tuple[RecordState, ...]
    pages: tuple[PageState, ...]


class CrawlState(Protocol):
    """The store of the crawl state; ``open_state`` picks the implementation from the URI."""

    def page(self, url: str) -> PageState | None: ...

    def record(self, record_id: str) -> RecordState | None: ...

    def similar(self, site: str, text_hash: str, fp: int, max_bits: int) -> list[RecordState]:
        """Delivered records of ``site`` with this text hash or a fingerprint at most
        ``max_bits`` (below ``BANDS``) bits away."""
        ...

    def save_pages(self, pages: Iterable[PageState]) -> None: ...

    def stage(self, batch: Batch) -> None: ...

    def settle(self, batch_id: str, delivered: bool) -> None:
        """Apply a staged batch (its file was committed) or forget it (it was not)."""
        ...

    def staged(self) -> list[Batch]: ...

    def reset_site(self, site: str) -> int:
        """Forget everything about one site; the number of pages and records forgotten."""
        ...

    def sites(self) -> dict[str, dict[str, int]]: ...

    def learn_lines(self, site: str, document: str, keys: Collection[str], min_pages: int) -> int:
        """Template learning (``crawler.extract.templates.TemplateStore``), kept with the crawl."""
        ...

    def template_lines(self, site: str) -> frozenset[str]: ...

    def close(self) -> None: ...


def _batch(data: dict[str, Any]) -> Batch:
    return Batch(
        id=data["id"],
        file=data["file"],
        sha256=data["sha256"],
        records=tuple(RecordState(**r) for r in data["records"]),
        pages=tuple(PageState(**p) for p in data["pages"]),
    )
