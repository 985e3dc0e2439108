"""Only new and changed articles go on to the output; unchanged ones are counted and dropped.

Runs after dedup, against the crawl state (``crawler.state``): a record whose id was delivered
before with the same text hash is unchanged; with another text it is changed, and goes out
again under the same ``id`` with ``version`` one up and ``date_modified`` set: the page's own
when it is later than the previous delivery, else when the change was found (a page that
changed without touching its ``dateModified`` must not pass on the stale one). A new record
that repeats the text of a delivered record of the same site under another id, exactly or
within ``NEWS_NEAR_DUPLICATE_BITS`` bits of its simhash, or one already emitted in this crawl,
is dropped as a duplicate: the record delivered first wins.

While the store is unavailable (Redis went away) a record waits, for as long as the scheduler
waits for Redis (``NEWS_REDIS_RETRY_SECONDS``); then it is rejected as ``state_unavailable``.

Settings: ``NEWS_STATE`` (no state, no pipeline), ``NEWS_NEAR_DUPLICATE_BITS``.
"""

from __future__ import annotations

from dataclasses import replace

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from crawler.extract.dates import later_than
from crawler.extract.page import utc_now
from crawler.items import ArticleItem
from crawler.runfiles.rejects import RejectItem
from crawler.state.store import RecordState, StateUnavailable
from crawler.state.tracker import StateTracker
from pipelines.dedup import (
    Duplicate,
    claims_other_url,
    item_fingerprint,
    other_text,
    untrust_canonical,
)


class Unchanged(Duplicate):
    """Delivered before with the same text: expected on every scheduled run, not an error."""

    log_level = "DEBUG"


class IncrementalPipeline:
    def __init__(self, tracker: StateTracker, stats: StatsCollector) -> None:
        self.tracker = tracker
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalPipeline:
        tracker = crawler.get_extension(StateTracker)
        if tracker is None:
            raise NotConfigured("no crawl state (NEWS_STATE is empty)")
        return cls(tracker, crawler.stats)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        try:
            return await self.tracker.patiently(lambda: self._judge(item))
        except StateUnavailable as exc:
            # Not delivered, so the next crawl emits it; never emitted without being judged.
            raise RejectItem("state_unavailable", f"{item.url}: {exc}") from exc

    def _hijacks(self, item: ArticleItem, previous: RecordState) -> bool:
        """Whether ``item`` claims, through its canonical URL, a delivered article that is not
        it: another text, and its page never delivered that record."""
        if not claims_other_url(item) or previous.text_hash == item.change_hash:
            return False
        if self.tracker.page_record(item.url or "") == previous.id:
            return False  # this page delivered that record before: the same article, edited
        return other_text(item, previous.fingerprint)

    def _judge(self, item: ArticleItem) -> ArticleItem:
        previous = self.tracker.delivered(item.id or "")
        if previous is not None and self._hijacks(item, previous):
            item = untrust_canonical(item, self.stats)
            previous = self.tracker.delivered(item.id or "")
        if previous is not None and previous.text_hash == item.change_hash:
            self.tracker.unchanged(item, previous)
            self.stats.inc_value("newscrawl/articles/unchanged")
            raise Unchanged("unchanged", f"unchanged since {previous.delivered_at}: {item.url}")
        fp = item_fingerprint(item)
        if previous is None:
            found = self.tracker.duplicate_of(item, fp)
            if found is not None:
                kind, original = found
                self.stats.inc_value(f"newscrawl/duplicates/{kind}")
                raise Duplicate(f"duplicates/{kind}", f"{item.url} repeats record {original}")
            item = replace(item, version=1)
        else:
            item = replace(
                item,
                version=previous.version + 1,
                date_modified=item.date_modified
                if later_than(item.date_modified, previous.delivered_at)
                else item.fetched_at or utc_now(),
            )
        self.tracker.emitting(item, fp, previous)
        self.stats.inc_value(f"newscrawl/articles/{'new' if previous is None else 'changed'}")
        return item
