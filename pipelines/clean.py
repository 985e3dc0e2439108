"""Normalise each record's text and apply the site's ``drop_phrases`` (from the sites file)."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.extract.records import clean_item
from crawler.items import ArticleItem


class CleanPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        site = getattr(self.crawler.spider, "sites", {}).get(item.site)
        return clean_item(item, site.drop_phrases if site else ())
