"""One record per story within a run: the first record of a canonical URL or of a text wins.

Keeps only hashes (a few dozen bytes per article), never texts.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from crawler.items import ArticleItem


class DedupPipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen_ids: set[str] = set()
        self.seen_texts: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        for kind, key, seen in (
            ("same_url", item.id, self.seen_ids),
            ("same_text", item.text_hash, self.seen_texts),
        ):
            if key in seen:
                self.stats.inc_value(f"newscrawl/duplicates/{kind}")
                raise DropItem(f"duplicate ({kind}) of an earlier record: {item.url}", "INFO")
        self.seen_ids.add(item.id or "")
        self.seen_texts.add(item.text_hash or "")
        return item
