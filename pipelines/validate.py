"""Refuse records that a data team could not use; they go to the rejects file with the reason.

Settings: ``NEWS_MIN_TEXT_CHARS``.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from crawler.extract.records import rejection
from crawler.items import ArticleItem
from crawler.runfiles.rejects import RejectItem


class ValidatePipeline:
    def __init__(self, min_text_chars: int, stats: StatsCollector) -> None:
        self.min_text_chars = min_text_chars
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler.settings.getint("NEWS_MIN_TEXT_CHARS"), crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        reason = rejection(item, self.min_text_chars)
        if reason:
            raise RejectItem(
                reason, f"{item.url} (title={item.title!r}, chars={len(item.text or '')})"
            )
        self.stats.inc_value("newscrawl/articles_valid")
        return item
