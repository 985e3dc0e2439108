"""The crawl state between scheduled runs: which article pages were fetched, what their sitemap
or feed said, their HTTP validators, and which record each delivered in which version, so that
a run fetches and emits only what is new or changed, and delivers nothing twice; and the counts
of template learning (``crawler.extract.templates``), so that later runs start out knowing a site.

``StateTracker`` is the Scrapy extension that owns the store (``crawler.state.store``) for a
crawl. A record counts as delivered only once the output file holding it has its
final name: the tracker stages the file's records in the store before the feed storage renames
it (``crawler.runfiles.feedstorage``), and settles them after, so a crawl killed at any point either
delivered a file, with its records, or neither; the next crawl finds out which from the file.

Settings: ``NEWS_STATE`` (path of the SQLite file, locked for the crawl, see ``crawler.state.lock``,
or a ``redis://`` URL; empty: no state), ``NEWS_LOCKED_EXIT_CODE``,
``NEWS_RECHECK_DAYS``, ``NEWS_NEAR_DUPLICATE_BITS``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedExporter, FeedSlot
from scrapy.http import Request, Response
from scrapy.statscollectors import StatsCollector

from crawler import signals as news_signals
from crawler.errors import StartupError
from crawler.extract.fingerprints import BANDS, bands, distance
from crawler.extract.urls import normalize_url
from crawler.items import ArticleItem
from crawler.runfiles import feedstorage
from crawler.state import open_state, sqlite_path
from crawler.state.lock import StateLock, StateLocked
from crawler.state.store import (
    Batch,
    CrawlState,
    PageState,
    RecordState,
    StateUnavailable,
    utc_now,
)

logger = logging.getLogger(__name__)
# SQLite errors of a state file that is damaged, not merely unwritable for now.
_DAMAGED = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})
T = TypeVar("T")

# Sent with site, url and how (skipped, not_modified, same_text) for an article page known and
# unchanged: the run manifest counts them per site.
article_unchanged = object()


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
        # Held from start to end of a crawl on a SQLite state (crawler.state.lock).
        self.lock: StateLock | None = None
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
        # The record the feed exporter is writing: what it emitted, and each file's count before.
        self._writing: tuple[tuple[RecordState, list[PageState]], list[tuple[FeedSlot, int]]] | None
        self._writing = None
        # Fingerprint bands of the records emitted in this crawl, for near duplicates.
        self._run_bands: dict[tuple[str, int, int], list[tuple[str, int]]] = defaultdict(list)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StateTracker:
        uri = crawler.settings.get("NEWS_STATE")
        if not uri:
            raise NotConfigured("NEWS_STATE is empty")
        lock = None
        if (path := sqlite_path(uri)) is not None:
            # Distributed crawls share a Redis state on purpose, under a lease of their own.
            lock = StateLock(path)
            try:
                lock.acquire()
            except StateLocked as exc:
                code = crawler.settings.getint("NEWS_LOCKED_EXIT_CODE")
                raise StartupError(str(exc), code) from None
        try:
            state = open_state(uri)
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorname", "") in _DAMAGED:
                advice = "restore it, or move it away to start afresh (every article is then new)"
            else:  # a full disk, a read-only folder: the state itself is fine, keep it
                advice = "keep it: free disk space or make its folder writable, then run again"
            raise StartupError(f"the crawl state {uri} cannot be read ({exc}); {advice}") from exc
        tracker = cls(
            state,
            crawler.stats,
            crawler,
            crawler.settings.getfloat("NEWS_RECHECK_DAYS"),
            crawler.settings.getint("NEWS_NEAR_DUPLICATE_BITS"),
            crawler.settings.getfloat("NEWS_REDIS_RETRY_SECONDS"),
        )
        tracker.lock = lock
        crawler.signals.connect(tracker.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(tracker.listen_after_exporter, signal=signals.spider_opened)
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

    def listen_after_exporter(self) -> None:
        """Connected at spider_opened, after every extension connected its own handlers, so
        that item_written runs after the feed exporter's item_scraped."""
        self.crawler.signals.connect(self.item_written, signal=signals.item_scraped)

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

    def page_record(self, url: str) -> str | None:
        """The id of the record the page at ``url`` delivered last, if any."""
        page = self.state.page(normalize_url(url))
        return page.record_id if page is not None else None

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
        self._writing = None
        emitted = self._emitted.pop(getattr(item, "id", None) or "", None)
        exporter = self.crawler.get_extension(FeedExporter)
        if emitted is None or exporter is None:
            return
        slots = [(slot, slot.itemcount) for slot in exporter.slots if slot.filter.accepts(item)]
        self._writing = (emitted, slots)

    def item_written(self, item: Any) -> None:
        """After the feed exporter: the record is delivered with the files that counted it
        written. One it failed on (a value its encoder refuses, a full disk) is a reject
        (``unwritable``) and not delivered, so the next crawl emits it again."""
        if self._writing is None:
            return
        emitted, slots = self._writing
        self._writing = None
        written = [slot for slot, before in slots if slot.itemcount > before]
        for slot in written:
            self._pending[id(slot.storage)].append(emitted)
        if slots and not written:
            self.stats.inc_value("newscrawl/delivery/unwritten")
            self.crawler.signals.send_catch_log(news_signals.record_unwritten, item=item)
            self.crawler.signals.send_catch_log(
                news_signals.page_rejected,
                url=getattr(item, "url", None),
                reason="unwritable",
                detail="the feed exporter could not write the record",
                site=getattr(item, "site", None),
            )

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
        if self.lock is not None:
            self.lock.release()


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
