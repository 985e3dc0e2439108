"""The crawl state between scheduled runs: which article pages were fetched, what their sitemap
or feed said, their HTTP validators, and which record each delivered in which version, so that
a run fetches and emits only what is new or changed, and delivers nothing twice; and the counts
of template learning (``crawler.templates``), so that later runs start out knowing a site.

``CrawlState`` is the whole interface a store implements (SQLite here; ``crawler.state_redis``
for ``NEWS_STATE=redis://…``); ``StateTracker`` is the Scrapy extension that owns the
store for a crawl. A record counts as delivered only once the output file holding it has its
final name: the tracker stages the file's records in the store before the feed storage renames
it (``crawler.feedstorage``), and settles them after, so a crawl killed at any point either
delivered a file, with its records, or neither; the next crawl finds out which from the file.

Settings: ``NEWS_STATE`` (path of the SQLite file, or a ``redis://`` URL; empty: no state),
``NEWS_RECHECK_DAYS``, ``NEWS_NEAR_DUPLICATE_BITS``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, astuple, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedExporter, FeedSlot
from scrapy.http import Request, Response
from scrapy.statscollectors import StatsCollector

from crawler import feedstorage
from crawler.fingerprints import BANDS, bands, distance
from crawler.items import ArticleItem
from crawler.templates import MAX_LINES
from crawler.urls import normalize_url

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Sent with site, url and how (skipped, not_modified, same_text) for an article page known and
# unchanged: the run manifest counts them per site.
article_unchanged = object()


class StateUnavailable(Exception):
    """The store cannot be reached for now (Redis went away). Never means "not known": the
    caller waits (``StateTracker.patiently``) or goes on without what it wanted to look up."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class PageState:
    """What the crawl knows about one article page (``url`` normalised, ``crawler.urls``)."""

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
        """Template learning (``crawler.templates.TemplateStore``), kept with the crawl."""
        ...

    def template_lines(self, site: str) -> frozenset[str]: ...

    def close(self) -> None: ...


def open_state(uri: str) -> CrawlState:
    """The store ``NEWS_STATE`` names: a file path (or ``sqlite:///path``), or a Redis URL
    (``redis://host:port/db``: shared by the workers of a distributed crawl)."""
    if uri.startswith(("redis://", "rediss://", "unix://")):
        # Imported only here: a crawl without Redis does not need the redis package.
        from crawler.state_redis import RedisState

        return RedisState(uri)
    return SqliteState(uri.removeprefix("sqlite://"))


_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY, site TEXT NOT NULL, record_id TEXT, first_seen TEXT NOT NULL,
    last_fetched TEXT, source_date TEXT, etag TEXT, last_modified TEXT);
CREATE INDEX IF NOT EXISTS pages_site ON pages (site);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, site TEXT NOT NULL, canonical_url TEXT, text_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL, band0 INTEGER, band1 INTEGER, band2 INTEGER, band3 INTEGER,
    version INTEGER NOT NULL, times_changed INTEGER NOT NULL, first_seen TEXT NOT NULL,
    delivered_at TEXT NOT NULL, delivered_file TEXT);
CREATE INDEX IF NOT EXISTS records_text ON records (site, text_hash);
CREATE INDEX IF NOT EXISTS records_band0 ON records (site, band0);
CREATE INDEX IF NOT EXISTS records_band1 ON records (site, band1);
CREATE INDEX IF NOT EXISTS records_band2 ON records (site, band2);
CREATE INDEX IF NOT EXISTS records_band3 ON records (site, band3);
CREATE TABLE IF NOT EXISTS staged (id TEXT PRIMARY KEY, batch TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS template_documents (
    site TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (site, document)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS template_counts (
    site TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (site, key))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS template_lines (
    site TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (site, key)) WITHOUT ROWID;
"""
_TEMPLATE_TABLES = ("template_documents", "template_counts", "template_lines")
# How often (documents counted) a site's template counts are checked against MAX_LINES.
_PRUNE_EVERY = 1000
_PAGE_COLUMNS = "url, site, record_id, first_seen, last_fetched, source_date, etag, last_modified"
_RECORD_COLUMNS = (
    "id, site, canonical_url, text_hash, fingerprint, version, times_changed, first_seen, "
    "delivered_at, delivered_file"
)


class SqliteState:
    """The crawl state in one SQLite file (WAL: readers never wait for the writer; synchronous
    FULL: a settled delivery survives a power cut as the renamed file does)."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        # A second crawl on the same state (or `scrapy state reset`) waits rather than fails.
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.executescript(_SCHEMA)
        self._documents = 0

    def page(self, url: str) -> PageState | None:
        row = self.db.execute(f"SELECT {_PAGE_COLUMNS} FROM pages WHERE url = ?", (url,))
        found = row.fetchone()
        return PageState(*found) if found else None

    def record(self, record_id: str) -> RecordState | None:
        query = f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ?"
        found = self.db.execute(query, (record_id,)).fetchone()
        return _record(found) if found else None

    def similar(self, site: str, text_hash: str, fp: int, max_bits: int) -> list[RecordState]:
        select = f"SELECT {_RECORD_COLUMNS} FROM records WHERE site = ? AND "
        parts = [select + "text_hash = ?"]
        params: list[Any] = [site, text_hash]
        if max_bits > 0:
            for i, band in enumerate(bands(fp)):
                parts.append(select + f"band{i} = ?")
                params += [site, band]
        rows = self.db.execute(" UNION ".join(parts), params).fetchall()
        found = [_record(row) for row in rows]
        return [
            r for r in found if r.text_hash == text_hash or distance(r.fingerprint, fp) <= max_bits
        ]

    def save_pages(self, pages: Iterable[PageState]) -> None:
        with self._transaction():
            self._save_pages(pages)

    def stage(self, batch: Batch) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO staged (id, batch) VALUES (?, ?)",
                (batch.id, json.dumps(asdict(batch))),
            )

    def settle(self, batch_id: str, delivered: bool) -> None:
        with self._transaction():
            row = self.db.execute("SELECT batch FROM staged WHERE id = ?", (batch_id,)).fetchone()
            if row is None:
                return
            if delivered:
                batch = _batch(json.loads(row[0]))
                self._save_records(batch.records)
                self._save_pages(batch.pages)
            self.db.execute("DELETE FROM staged WHERE id = ?", (batch_id,))

    def staged(self) -> list[Batch]:
        rows = self.db.execute("SELECT batch FROM staged ORDER BY id").fetchall()
        return [_batch(json.loads(row[0])) for row in rows]

    def reset_site(self, site: str) -> int:
        with self._transaction():
            pages = self.db.execute("DELETE FROM pages WHERE site = ?", (site,)).rowcount
            records = self.db.execute("DELETE FROM records WHERE site = ?", (site,)).rowcount
            for table in _TEMPLATE_TABLES:
                self.db.execute(f"DELETE FROM {table} WHERE site = ?", (site,))
        return pages + records

    def learn_lines(self, site: str, document: str, keys: Collection[str], min_pages: int) -> int:
        # Counts are not worth a disk sync per page: a lost one is learned again.
        self.db.execute("PRAGMA synchronous=NORMAL")
        try:
            with self._transaction():
                self._count_lines(site, document, keys, min_pages)
        finally:
            self.db.execute("PRAGMA synchronous=FULL")
        query = "SELECT count(*) FROM template_lines WHERE site = ?"
        return int(self.db.execute(query, (site,)).fetchone()[0])

    def template_lines(self, site: str) -> frozenset[str]:
        rows = self.db.execute("SELECT key FROM template_lines WHERE site = ?", (site,))
        return frozenset(key for (key,) in rows)

    def sites(self) -> dict[str, dict[str, int]]:
        summary: dict[str, dict[str, int]] = defaultdict(lambda: {"pages": 0, "records": 0})
        for table, key in (("pages", "pages"), ("records", "records")):
            query = f"SELECT site, count(*) FROM {table} GROUP BY site"
            for site, count in self.db.execute(query):
                summary[site][key] = count
        return dict(sorted(summary.items()))

    def close(self) -> None:
        self.db.close()

    def _transaction(self) -> sqlite3.Connection:
        # The connection is in autocommit mode (isolation_level=None); as a context manager it
        # commits or rolls back the transaction this BEGIN opens.
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def _count_lines(self, site: str, document: str, keys: Collection[str], min_pages: int) -> None:
        new = "INSERT OR IGNORE INTO template_documents (site, document) VALUES (?, ?)"
        if not self.db.execute(new, (site, document)).rowcount:
            return
        rows = [(site, key) for key in keys]
        self.db.executemany(
            "INSERT INTO template_counts (site, key, n) VALUES (?, ?, 1) "
            "ON CONFLICT (site, key) DO UPDATE SET n = n + 1",
            rows,
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO template_lines (site, key) SELECT site, key "
            f"FROM template_counts WHERE site = ? AND key = ? AND n >= {int(min_pages)}",
            rows,
        )
        self._documents += 1
        if self._documents % _PRUNE_EVERY == 0:
            counted = "SELECT count(*) FROM template_counts WHERE site = ?"
            if self.db.execute(counted, (site,)).fetchone()[0] > MAX_LINES:
                self.db.execute("DELETE FROM template_counts WHERE site = ? AND n = 1", (site,))

    def _save_pages(self, pages: Iterable[PageState]) -> None:
        # A page keeps its first_seen, and the date it was listed with when not listed now.
        self.db.executemany(
            f"INSERT INTO pages ({_PAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET site = excluded.site, "
            "record_id = excluded.record_id, last_fetched = excluded.last_fetched, "
            "source_date = coalesce(excluded.source_date, pages.source_date), "
            "etag = excluded.etag, last_modified = excluded.last_modified",
            [astuple(p) for p in pages],  # fields in the order of _PAGE_COLUMNS
        )

    def _save_records(self, records: Iterable[RecordState]) -> None:
        self.db.executemany(
            f"INSERT OR REPLACE INTO records ({_RECORD_COLUMNS}, band0, band1, band2, band3) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                # Fields in the order of _RECORD_COLUMNS; the unsigned 64-bit fingerprint as hex.
                (*astuple(r)[:4], f"{r.fingerprint:016x}", *astuple(r)[5:], *bands(r.fingerprint))
                for r in records
            ],
        )


def _record(row: tuple[Any, ...]) -> RecordState:
    values = list(row)
    values[4] = int(values[4], 16)  # fingerprints are unsigned 64-bit: stored as hex text
    return RecordState(*values)


def _batch(data: dict[str, Any]) -> Batch:
    return Batch(
        id=data["id"],
        file=data["file"],
        sha256=data["sha256"],
        records=tuple(RecordState(**r) for r in data["records"]),
        pages=tuple(PageState(**p) for p in data["pages"]),
    )


@dataclass(frozen=True)
class _Fetch:
    """A page response's validators, kept until its record is judged."""

    urls: tuple[str, ...]
    site: str
    fetched_at: str
    listed: str | None
    etag: str | None
    last_modified: str | None


class StateTracker:
    """The crawl state of one crawl: decides which article pages to fetch and how, remembers
    what this crawl emitted, and marks it delivered when its output file is committed.

    Stats: ``newscrawl/articles/skipped_unchanged`` (not fetched), ``…/not_modified`` (HTTP
    304), ``newscrawl/state/recovered`` and ``…/discarded`` (files of a killed crawl).
    """

    # Page rows of unchanged articles are written in batches: losing them costs a re-check.
    FLUSH_EVERY = 500

    def __init__(
        self,
        state: CrawlState,
        stats: StatsCollector,
        crawler: Crawler,
        recheck_days: float = 2.0,
        near_bits: int = 3,
        patience: float = 60.0,
    ) -> None:
        if not 0 <= near_bits < BANDS:
            raise NotConfigured(f"NEWS_NEAR_DUPLICATE_BITS must be 0 to {BANDS - 1}")
        self.state = state
        self.stats = stats
        self.crawler = crawler
        self.recheck = timedelta(days=recheck_days)
        self.near_bits = near_bits
        self.patience = patience
        self.crawl_id = "crawl"
        self._fetched: dict[str, _Fetch] = {}
        # The date each page to fetch was listed with: it may be fetched through a link first.
        self._listed: dict[str, str] = {}
        # Pages not fetched, counted when the crawl closes: a page a link made skippable may
        # turn up in a sitemap with a new date later, and be fetched after all.
        self._skipped: dict[str, tuple[str, str]] = {}
        self._requested: set[str] = set()
        self._unchanged_pages: list[PageState] = []
        # Emitted by the pipeline, waiting for the feed exporter to take them.
        self._emitted: dict[str, tuple[RecordState, list[PageState]]] = {}
        # What each output file (by its storage) holds, until it is committed.
        self._pending: dict[int, list[tuple[RecordState, list[PageState]]]] = defaultdict(list)
        self._batches: dict[int, Batch] = {}
        # Fingerprint bands of the records emitted in this crawl, for near duplicates.
        self._run_bands: dict[tuple[str, int, int], list[tuple[str, int]]] = defaultdict(list)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StateTracker:
        uri = crawler.settings.get("NEWS_STATE")
        if not uri:
            raise NotConfigured("NEWS_STATE is empty")
        tracker = cls(
            open_state(uri),
            crawler.stats,
            crawler,
            crawler.settings.getfloat("NEWS_RECHECK_DAYS"),
            crawler.settings.getint("NEWS_NEAR_DUPLICATE_BITS"),
            crawler.settings.getfloat("NEWS_REDIS_RETRY_SECONDS"),
        )
        crawler.signals.connect(tracker.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(tracker.response_received, signal=signals.response_received)
        crawler.signals.connect(tracker.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(tracker.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(tracker.item_dropped, signal=signals.item_error)
        crawler.signals.connect(tracker.feed_committing, signal=feedstorage.feed_committing)
        crawler.signals.connect(tracker.feed_slot_closed, signal=signals.feed_slot_closed)
        crawler.signals.connect(tracker.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(tracker.engine_stopped, signal=signals.engine_stopped)
        return tracker

    # --- before fetching ---------------------------------------------------------------------

    def plan(self, url: str, site: str, listed: str | None) -> dict[str, str] | None:
        """How to request an article page: None to skip it (delivered before, listed with the
        same date if at all, first seen longer than NEWS_RECHECK_DAYS ago); else the headers of
        a conditional request, empty for a page that has not been delivered."""
        key = normalize_url(url)
        try:
            page = self.state.page(key)
        except StateUnavailable:
            # Fetched as a new page: the pipeline judges the record once the store is back.
            self.unavailable()
            return {}
        moved = listed is not None and (page is None or listed != page.source_date)
        if page is not None and page.record_id is not None and not moved:
            first_seen = datetime.strptime(page.first_seen, "%Y-%m-%dT%H:%M:%SZ")
            if datetime.now(UTC) - first_seen.replace(tzinfo=UTC) >= self.recheck:
                if key not in self._requested:
                    self._skipped.setdefault(key, (site, url))
                return None
        self._skipped.pop(key, None)
        self._requested.add(key)
        if listed is not None:
            self._listed[key] = listed
        if page is None or page.record_id is None:
            return {}
        headers = {}
        if page.etag:
            headers["If-None-Match"] = page.etag
        if page.last_modified:
            headers["If-Modified-Since"] = page.last_modified
        return headers

    # --- after fetching ----------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self.crawl_id = getattr(spider, "crawl_id", None) or self.crawl_id
        for batch in self.state.staged():
            # Left by a crawl killed between staging a file and settling it: the file tells.
            delivered = batch.sha256 is not None and feedstorage.sha256_of(batch.file) == (
                batch.sha256
            )
            self.state.settle(batch.id, delivered)
            outcome = "recovered" if delivered else "discarded"
            self.stats.inc_value(f"newscrawl/state/{outcome}")
            logger.info(
                "Output of an interrupted crawl %(outcome)s: %(file)s (%(n)d records)",
                {"outcome": outcome, "file": batch.file, "n": len(batch.records)},
            )

    def response_received(self, response: Response, request: Request) -> None:
        if request.meta.get("page") and response.status == 304 and request.meta.get("conditional"):
            self._not_modified(_fetch(response))

    def fetched(self, response: Response) -> None:
        """Keep the validators of a page that yields a record, until the record is judged or
        dropped. Only such pages: noting every page fetched kept those that yield none
        (listing pages, rejects) for the whole crawl."""
        self._fetched[response.url] = _fetch(response)

    def item_dropped(self, item: Any) -> None:
        """Dropped or failed before it was judged: its page's validators go."""
        self._fetched.pop(getattr(item, "url", None) or "", None)

    def _not_modified(self, fetch: _Fetch) -> None:
        for url in fetch.urls:
            try:
                page = self.state.page(normalize_url(url))
            except StateUnavailable:
                self.unavailable()  # its validators are not renewed: a re-check costs a fetch
                continue
            if page is not None:
                self._keep_unchanged(page, fetch)
        self.stats.inc_value("newscrawl/articles/not_modified")
        self.stats.inc_value("newscrawl/articles/unchanged")
        self._send_unchanged(fetch.site, fetch.urls[-1], "not_modified")

    # --- judged by the pipeline --------------------------------------------------------------

    async def patiently(self, call: Callable[[], T]) -> T:
        """``call()``, tried again with backoff while the store is unavailable, for up to
        ``NEWS_REDIS_RETRY_SECONDS`` (as long as the scheduler waits for Redis); then the
        ``StateUnavailable`` goes to the caller."""
        deadline = time.monotonic() + self.patience
        delay = 0.25
        while True:
            try:
                return call()
            except StateUnavailable:
                self.unavailable()
                if time.monotonic() + delay > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 8.0)

    def unavailable(self) -> None:
        self.stats.inc_value("newscrawl/state/unavailable")

    def delivered(self, record_id: str) -> RecordState | None:
        return self.state.record(record_id)

    def duplicate_of(self, item: ArticleItem, fp: int) -> tuple[str, str] | None:
        """(kind, record id) of a delivered record, or one emitted earlier in this crawl, that
        ``item`` (an article not delivered before) repeats; None when it is new."""
        site, text_hash = item.site or "", item.change_hash or ""
        for record in self.state.similar(site, text_hash, fp, self.near_bits):
            if record.id != item.id:
                kind = "same_text" if record.text_hash == text_hash else "near_text"
                return f"delivered_{kind}", record.id
        if self.near_bits:
            for i, band in enumerate(bands(fp)):
                for record_id, other in self._run_bands.get((site, i, band), ()):
                    if record_id != item.id and distance(fp, other) <= self.near_bits:
                        return "near_text", record_id
        return None

    def unchanged(self, item: ArticleItem, record: RecordState) -> None:
        """``item`` repeats ``record``, delivered before: only its pages are noted."""
        fetch = self._fetched.pop(item.url or "", None)
        for page in self._pages(item, record.id, fetch):
            self._keep_unchanged(page, fetch)
        self._send_unchanged(item.site or "", item.url or "", "same_text")

    def emitting(self, item: ArticleItem, fp: int, previous: RecordState | None) -> None:
        """``item`` goes to the output; delivered once the file holding it is committed."""
        record = RecordState(
            id=item.id or "",
            site=item.site or "",
            canonical_url=item.canonical_url,
            text_hash=item.change_hash or "",
            fingerprint=fp,
            version=item.version,
            times_changed=previous.times_changed + 1 if previous else 0,
            first_seen=previous.first_seen if previous else utc_now(),
            delivered_at="",
        )
        fetch = self._fetched.pop(item.url or "", None)
        self._emitted[record.id] = (record, self._pages(item, record.id, fetch))
        for i, band in enumerate(bands(fp)):
            self._run_bands[(record.site, i, band)].append((record.id, fp))

    def _pages(self, item: ArticleItem, record_id: str, fetch: _Fetch | None) -> list[PageState]:
        urls = fetch.urls if fetch else (item.url or "",)
        now = utc_now()
        return [
            PageState(
                url=url,
                site=item.site or "",
                record_id=record_id,
                first_seen=now,  # kept from the stored page when there is one
                last_fetched=fetch.fetched_at if fetch else now,
                source_date=fetch.listed if fetch else None,
                etag=fetch.etag if fetch else None,
                last_modified=fetch.last_modified if fetch else None,
            )
            for url in dict.fromkeys(normalize_url(u) for u in urls)
        ]

    def _keep_unchanged(self, page: PageState, fetch: _Fetch | None) -> None:
        if fetch is not None:
            page = replace(
                page,
                last_fetched=fetch.fetched_at,
                source_date=fetch.listed or page.source_date,
                etag=fetch.etag or page.etag,
                last_modified=fetch.last_modified or page.last_modified,
            )
        self._unchanged_pages.append(page)
        if len(self._unchanged_pages) >= self.FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        if self._unchanged_pages:
            try:
                self.state.save_pages(self._with_listed(self._unchanged_pages))
            except StateUnavailable:
                self.unavailable()  # kept for the next flush
                return
            self._unchanged_pages = []

    def _with_listed(self, pages: Iterable[PageState]) -> list[PageState]:
        """Pages with the date a sitemap or feed listed them with in this crawl, also when the
        page was fetched through a link, before the sitemap was read."""
        return [replace(p, source_date=self._listed.get(p.url) or p.source_date) for p in pages]

    def _send_unchanged(self, site: str, url: str, how: str) -> None:
        self.crawler.signals.send_catch_log(article_unchanged, site=site, url=url, how=how)

    # --- delivery ----------------------------------------------------------------------------

    def item_scraped(self, item: Any) -> None:
        """Note which output files take the record. Runs before the feed exporter's handler
        (EXTENSIONS order), so the slots are those the record is about to be written to."""
        emitted = self._emitted.pop(getattr(item, "id", None) or "", None)
        exporter = self.crawler.get_extension(FeedExporter)
        if emitted is None or exporter is None:
            return
        for slot in exporter.slots:
            if slot.filter.accepts(item):
                self._pending[id(slot.storage)].append(emitted)

    def feed_committing(self, storage: feedstorage.AtomicFileFeedStorage) -> None:
        """Stage the file's records before it is renamed into place."""
        batch = self._batch(id(storage), str(storage.path), storage.sha256)
        if batch is not None:
            self.state.stage(batch)

    def feed_slot_closed(self, slot: FeedSlot) -> None:
        key = id(slot.storage)
        committed = getattr(slot.storage, "committed", None)
        batch = self._batches.pop(key, None)
        if committed is None:
            # A storage that cannot say (S3, FTP, …): delivered once it is closed.
            batch = self._batch(key, slot.uri, None, keep=False)
            if batch is not None:
                self.state.stage(batch)
        self._pending.pop(key, None)
        if batch is None:
            return
        self.state.settle(batch.id, committed is not False)
        if committed is False:
            logger.warning(
                "%(n)d records were not delivered (%(uri)s not stored); the next crawl emits "
                "them again",
                {"n": len(batch.records), "uri": slot.uri},
            )

    def _batch(self, key: int, file: str, sha256: str | None, keep: bool = True) -> Batch | None:
        entries = self._pending.get(key)
        if not entries:
            return None
        now = utc_now()
        records = {r.id: _delivered(r, now, file) for r, _ in entries}
        pages = {p.url: p for p in self._with_listed(p for _, ps in entries for p in ps)}
        batch = Batch(
            # Unique across the workers of one distributed crawl, which share the crawl id.
            id=f"{self.crawl_id}/{uuid.uuid4().hex}",
            file=file,
            sha256=sha256,
            records=tuple(records.values()),
            pages=tuple(pages.values()),
        )
        if keep:
            self._batches[key] = batch
        return batch

    def spider_closed(self) -> None:
        for site, url in self._skipped.values():
            self.stats.inc_value("newscrawl/articles/skipped_unchanged")
            self._send_unchanged(site, url, "skipped")

    def engine_stopped(self) -> None:
        self._flush()
        if self._unchanged_pages:
            logger.warning(
                "The crawl state is unavailable: %(n)d unchanged pages not updated; the next "
                "crawl re-checks them",
                {"n": len(self._unchanged_pages)},
            )
        self.state.close()


def _fetch(response: Response) -> _Fetch:
    meta = response.meta
    return _Fetch(
        urls=tuple(dict.fromkeys([*meta.get("redirect_urls", ()), response.url])),
        site=meta.get("site", ""),
        fetched_at=utc_now(),
        listed=(meta.get("date_hint") or (None,))[0],
        etag=_header(response, "ETag"),
        last_modified=_header(response, "Last-Modified"),
    )


def _delivered(record: RecordState, at: str, file: str) -> RecordState:
    values = asdict(record)
    values.update(delivered_at=at, delivered_file=file)
    return RecordState(**values)


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
