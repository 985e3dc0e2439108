"""Bounds on how far one page or one site can make the crawl sprawl before anything is fetched:
a page with 60,000 links queued 60,000 requests, and a sitemap index listing ten new sitemaps in
each of them was followed through thousands of sitemaps. A spider middleware, so that what is
dropped is never scheduled.

Settings: ``NEWS_MAX_LINKS_PER_PAGE`` (links of one page followed; the rest counted as
``newscrawl/links_capped``), ``NEWS_MAX_DISCOVERY_PER_SITE`` (sitemaps and feeds requested per
site; the rest counted as ``newscrawl/discovery/capped``); 0: no bound.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


@dataclass
class _Page:
    """What one response's output has taken so far."""

    links: int = 0


class SprawlMiddleware:
    def __init__(self, stats: StatsCollector, max_links: int, max_discovery: int) -> None:
        self.stats = stats
        self.max_links = max_links
        self.max_discovery = max_discovery
        self.discovery: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SprawlMiddleware:
        settings = crawler.settings
        return cls(
            crawler.stats,
            settings.getint("NEWS_MAX_LINKS_PER_PAGE"),
            settings.getint("NEWS_MAX_DISCOVERY_PER_SITE"),
        )

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        page = _Page()
        for entry in result:
            if self._keep(entry, page):
                yield entry

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        page = _Page()
        async for entry in result:
            if self._keep(entry, page):
                yield entry

    def _keep(self, entry: Any, page: _Page) -> bool:
        if not isinstance(entry, Request) or "site" not in entry.meta:
            return True
        meta = entry.meta
        if meta.get("page"):
            if meta.get("via") != "link" or not self.max_links:
                return True
            page.links += 1
            if page.links <= self.max_links:
                return True
            self.stats.inc_value("newscrawl/links_capped")
            return False
        site = meta["site"]
        self.discovery[site] += 1
        if not self.max_discovery or self.discovery[site] <= self.max_discovery:
            return True
        if self.discovery[site] == self.max_discovery + 1:
            logger.warning(
                "Site %(site)s has listed %(n)d sitemaps and feeds; no more are requested "
                "(NEWS_MAX_DISCOVERY_PER_SITE)",
                {"site": site, "n": self.max_discovery},
            )
        self.stats.inc_value("newscrawl/discovery/capped")
        return False
