"""A per-site fetch budget: the last bound on a crawler trap (calendars, endless pagination,
sitemap indexes without end) that link depth, URL patterns and the sprawl bounds did not catch.
Every fetch of a site counts: pages, sitemaps, feeds and robots.txt (a sitemap-index trap went
through 2,518 sitemaps against ``max_pages = 5`` when only pages counted).

Settings: ``NEWS_MAX_PAGES_PER_SITE`` (0: no budget); a site's ``max_pages`` overrides it. In a
distributed crawl the workers share the budget (``crawler.crawl.distributed.SharedBudget``).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Protocol

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.crawl.faults import PageFailed

logger = logging.getLogger(__name__)


class PageCounter(Protocol):
    def take(self, site: str) -> int:
        """Counts one page of ``site``; the pages counted so far, this one included."""
        ...


class LocalCounter:
    def __init__(self) -> None:
        self.used: Counter[str] = Counter()

    def take(self, site: str) -> int:
        self.used[site] += 1
        return self.used[site]


class PageBudgetMiddleware:
    """Lets through at most a site's budget of requests (any with ``meta["site"]``); the rest
    fail as ``site_budget``. A retry or a redirect hop is the same fetch, not a new one."""

    def __init__(
        self, default_budget: int, site_budgets: dict[str, int], counter: PageCounter | None = None
    ) -> None:
        self.default_budget = default_budget
        self.site_budgets = site_budgets
        self.counter: PageCounter = counter if counter is not None else LocalCounter()
        self.exhausted: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudgetMiddleware:
        spider = crawler.spider
        sites = getattr(spider, "sites", {})
        budgets = {name: site.max_pages for name, site in sites.items() if site.max_pages}
        counter = None
        if crawler.settings.get("NEWS_REDIS_URL"):
            from crawler.crawl.distributed import SharedBudget

            counter = SharedBudget(crawler.settings, spider.name, getattr(spider, "crawl_id", ""))
        return cls(crawler.settings.getint("NEWS_MAX_PAGES_PER_SITE"), budgets, counter)

    def process_request(self, request: Request) -> None:
        meta = request.meta
        counted = meta.get("page") or "site" in meta  # not Scrapy's own robots.txt requests
        if not counted or "retry_times" in meta or "redirect_times" in meta:
            return
        site = meta.get("site", "")
        budget = self.site_budgets.get(site, self.default_budget)
        if not budget:
            return
        if self.counter.take(site) > budget:
            if site not in self.exhausted:
                self.exhausted.add(site)
                logger.info(
                    "Site %(site)s has used its budget of %(budget)d fetches; no more are made",
                    {"site": site, "budget": budget},
                )
            raise PageFailed("site_budget", f"{site} has used its {budget} fetches")
