"""Writes the crawl stats as JSON when the crawl ends, next to the output, so a scheduler or a
test can read what happened (articles, skips and rejects by reason) without parsing logs.

Settings: ``NEWS_STATS_FILE``, ``FEEDS``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class StatsFile:
    def __init__(self, path: str, stats: StatsCollector) -> None:
        self.path = path
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        ext = cls(crawler.settings.get("NEWS_STATS_FILE") or _beside_feed(crawler), crawler.stats)
        # After the stats collector has its finish_reason and finish_time.
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._spider_name = spider.name
        self._reason = reason

    def engine_stopped(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%S")
        name = getattr(self, "_spider_name", "crawl")
        path = Path(self.path % {"name": name, "time": stamp})
        data: dict[str, Any] = {"finish_reason": getattr(self, "_reason", None)}
        data.update(self.stats.get_stats())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, sort_keys=True, default=str), "utf-8")
        logger.info("Crawl stats written to %(path)s", {"path": path})


def _beside_feed(crawler: Crawler) -> str:
    for uri in crawler.settings.getdict("FEEDS"):
        parts = urlsplit(str(uri))
        if parts.scheme in ("", "file") and "%(" not in str(uri):
            local = parts.path if parts.scheme == "file" else str(uri)
            return local + ".stats.json"
    return "data/stats/%(name)s-%(time)s.json"
