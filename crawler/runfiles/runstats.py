"""Writes the crawl stats as JSON when the crawl ends, next to the output, so a scheduler or a
test can read what happened (articles, skips and rejects by reason) without parsing logs.

Besides the counters, ``newscrawl/bad_urls`` maps each reason a URL yielded nothing (the
``page_failed`` reasons, and ``rejected/<reason>``) to those URLs, the first
``NEWS_BAD_URLS_MAX`` of each: the counters say how many, the lists say which.

Settings: ``NEWS_STATS_FILE`` (empty: beside the output, ``crawler.runfiles.paths``), ``FEEDS``,
``NEWS_BAD_URLS_MAX``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from crawler import signals as news_signals
from crawler.runfiles import jobs, paths

logger = logging.getLogger(__name__)


class StatsFile:
    def __init__(self, path: str, stats: StatsCollector, max_urls: int = 1000) -> None:
        self.path = path
        self.stats = stats
        self.max_urls = max_urls
        # Kept here, not in the stats collector, so Scrapy's stats dump in the log stays short.
        self.bad_urls: dict[str, list[str]] = {}
        # Where the stats were written (the run manifest lists the file), or why they were not.
        self.written: Path | None = None
        self.error: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        template = crawler.settings.get("NEWS_STATS_FILE") or paths.beside_output(
            crawler.settings, ".stats.json", "stats", ".json"
        )
        paths.check_writable(template, "stats file")
        ext = cls(
            template,
            crawler.stats,
            crawler.settings.getint("NEWS_BAD_URLS_MAX"),
        )
        # After the stats collector has its finish_reason and finish_time.
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.page_failed, signal=news_signals.page_failed)
        crawler.signals.connect(ext.page_rejected, signal=news_signals.page_rejected)
        return ext

    def page_failed(self, url: str | None, reason: str) -> None:
        self._note(reason, url)

    def page_rejected(self, url: str | None, reason: str) -> None:
        self._note(f"rejected/{reason}", url)

    def _note(self, reason: str, url: str | None) -> None:
        urls = self.bad_urls.setdefault(reason, [])
        if url and len(urls) < self.max_urls:
            urls.append(url)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._spider_name = spider.name
        self._crawl_id = getattr(spider, "crawl_id", "") or "crawl"
        self._worker_id = getattr(spider, "worker_id", "")
        self._reason = reason

    def engine_stopped(self) -> None:
        name = getattr(self, "_spider_name", "crawl")
        crawl_id = getattr(self, "_crawl_id", "crawl")
        path = paths.fill(self.path, crawl_id, name, getattr(self, "_worker_id", ""))
        data: dict[str, Any] = {"finish_reason": getattr(self, "_reason", None)}
        data.update(self.stats.get_stats())
        data["newscrawl/bad_urls"] = self.bad_urls
        try:
            jobs.write_json_atomically(path, data, sort_keys=True, default=str)
        except OSError as exc:
            self.error = exc.strerror or str(exc)
            logger.error(
                "Crawl stats could not be written to %(path)s: %(error)s",
                {"path": path, "error": self.error},
            )
            return
        self.written = path
        logger.info("Crawl stats written to %(path)s", {"path": path})
