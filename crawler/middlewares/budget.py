"""A per-site page budget: the last bound on a crawler trap (calendars, endless pagination)
that link depth and URL patterns did not catch.

Settings: ``NEWS_MAX_PAGES_PER_SITE`` (0: no budget); a site's ``max_pages`` overrides it.
"""

from __future__ import annotations

import logging
from collections import Counter

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.faults import PageFailed

logger = logging.getLogger(__name__)


class PageBudgetMiddleware:
    """Lets through at most a site's budget of page requests (``meta["page"]``); the rest fail
    as ``site_budget``. A retry or a redirect hop is the same page, not a new one."""

    def __init__(self, default_budget: int, site_budgets: dict[str, int]) -> None:
        self.default_budget = default_budget
        self.site_budgets = site_budgets
        self.used: Counter[str] = Counter()
        self.exhausted: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudgetMiddleware:
        sites = getattr(crawler.spider, "sites", {})
        budgets = {name: site.max_pages for name, site in sites.items() if site.max_pages}
        return cls(crawler.settings.getint("NEWS_MAX_PAGES_PER_SITE"), budgets)

    def process_request(self, request: Request) -> None:
        meta = request.meta
        if not meta.get("page") or "retry_times" in meta or "redirect_times" in meta:
            return
        site = meta.get("site", "")
        budget = self.site_budgets.get(site, self.default_budget)
        if budget and self.used[site] >= budget:
            if site not in self.exhausted:
                self.exhausted.add(site)
                logger.info(
                    "Site %(site)s has used its budget of %(budget)d pages; no more are fetched",
                    {"site": site, "budget": budget},
                )
            raise PageFailed("site_budget", f"{site} has used its {budget} pages")
        self.used[site] += 1
