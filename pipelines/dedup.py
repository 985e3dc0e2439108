"""One record per story within a run: the first record of a canonical URL or of a text wins.

Keeps only hashes (a few dozen bytes per article), never texts.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from crawler.items import ArticleItem


class Duplicate(DropItem):
    """A record the output already has; ``reason`` names how it was recognised."""

    log_level = "INFO"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}", log_level=self.log_level)
        self.reason = reason


class DedupPipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen_ids: set[str] = set()
        self.seen_texts: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        kind = (
            "same_url"
            if item.id in self.seen_ids
            else "same_text"
            if item.text_hash in self.seen_texts
            else None
        )
        # Both keys are remembered even for a dropped record, so that which kind a duplicate
        # is called does not depend on the order the copies arrive in.
        self.seen_ids.add(item.id or "")
        self.seen_texts.add(item.text_hash or "")
        if kind:
            self.stats.inc_value(f"newscrawl/duplicates/{kind}")
            raise Duplicate(f"duplicates/{kind}", f"an earlier record of this run: {item.url}")
        return item
