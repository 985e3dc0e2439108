"""The rejects file: every page that was fetched but could not become a record, one JSON line
each with its URL and reason, and a per-reason counter in the crawl stats.

Settings: ``NEWS_REJECTS`` (path; ``%(crawl_id)s``, ``%(name)s`` and ``%(time)s`` are filled in;
empty: beside the output, ``crawler.runfiles.paths``). A file of a fixed name is this run's
rejects only: the previous run's is removed when the crawl opens.
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import StatsCollector

from crawler import signals as news_signals
from crawler.runfiles import paths

logger = logging.getLogger(__name__)

# Stats key: rejects the file could not take (a full disk); the log has each of them.
UNWRITTEN = "newscrawl/rejects_unwritten"


class RejectItem(DropItem):
    """A record that fails validation: it goes to the rejects file, not only to the log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason, log_level="WARNING")
        self.reason = reason
        self.detail = detail


class RejectsFile:
    def __init__(
        self, path_template: str, stats: StatsCollector, signal_manager: SignalManager
    ) -> None:
        self.path_template = path_template
        self.stats = stats
        self.signals = signal_manager
        self.path: Path | None = None
        # Whether this run rejected any page (the file exists only then).
        self.written = False
        self._file: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RejectsFile:
        settings = crawler.settings
        template = settings.get("NEWS_REJECTS") or paths.beside_output(
            settings, ".rejects.jsonl", "rejects", ".jsonl"
        )
        paths.check_writable(template, "rejects file")
        ext = cls(template, crawler.stats, crawler.signals)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.page_rejected, signal=news_signals.page_rejected)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        crawl_id = getattr(spider, "crawl_id", "") or "crawl"
        worker = getattr(spider, "worker_id", "")
        self.path = paths.fill(self.path_template, crawl_id, spider.name, worker)
        if "%(" not in self.path_template:
            # A fixed name (out.jsonl.rejects.jsonl beside -O out.jsonl) holds this run's
            # rejects, as the output and manifest beside it hold this run's.
            self.path.unlink(missing_ok=True)

    def spider_closed(self, spider: Spider) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            logger.info("Rejected pages written to %(path)s", {"path": self.path})

    def item_dropped(self, item: Any, response: Any, exception: BaseException) -> None:
        if isinstance(exception, RejectItem):
            # As a signal, so that whoever lists rejected URLs (the stats file) hears of it too.
            self.signals.send_catch_log(
                news_signals.page_rejected,
                url=getattr(item, "url", None),
                reason=exception.reason,
                detail=exception.detail,
                site=getattr(item, "site", None),
            )

    def page_rejected(
        self, url: str | None, reason: str, detail: str = "", site: str | None = None
    ) -> None:
        self.stats.inc_value(f"newscrawl/rejected/{reason}")
        self.stats.inc_value("newscrawl/rejected")
        record = {
            "url": url,
            "reason": reason,
            "detail": detail,
            "site": site,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        try:
            file = self._open()
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
            # A killed crawl keeps what it had rejected so far.
            file.flush()
        except OSError as exc:
            # A full disk: the log keeps the reject, and the run manifest fails the run. The
            # file is opened again for the next one, without what its buffer failed to write.
            if self._file is not None:
                with contextlib.suppress(OSError):
                    self._file.close()
                self._file = None
            self.stats.inc_value(UNWRITTEN)
            logger.error(
                "Rejected page not written to %(path)s (%(error)s): %(url)s %(reason)s %(detail)s",
                {
                    "path": self.path,
                    "error": exc.strerror or exc,
                    "url": url,
                    "reason": reason,
                    "detail": detail,
                },
            )

    def _open(self) -> IO[str]:
        if self._file is None:
            assert self.path is not None, "spider_opened not seen"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
            self.written = True
        return self._file
