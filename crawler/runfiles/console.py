"""What a person or a scheduler's log sees of a crawl: a progress line every
``NEWS_PROGRESS_INTERVAL`` seconds while it runs (on a terminal only: in a log file it would be
noise), and at the end one ``RESULT`` line, always, on standard error: the exit status, health,
new and changed records, rejects by reason, where the manifest and the job's ``latest.json``
are, then one line per health failure. Scrapy's own log is at ``LOG_LEVEL`` WARNING by
default; ``-L INFO`` or a ``LOG_FILE`` gives the full log (``crawler.commands.crawl``).

Settings: ``NEWS_PROGRESS_INTERVAL`` (0: no progress lines), ``NEWS_CONSOLE`` (False: neither).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import IO, Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import create_looping_call

from crawler.runfiles.manifest import RunManifest


class ConsoleReport:
    def __init__(
        self,
        stats: StatsCollector,
        interval: float,
        out: IO[str] | None = None,
        progress: bool | None = None,
    ) -> None:
        self.stats = stats
        self.interval = interval
        self.out = out or sys.stderr
        # Progress lines on a terminal only, unless told.
        self.progress = self.out.isatty() if progress is None else progress
        self.started = time.monotonic()
        self.last: tuple[float, int] = (self.started, 0)
        self.task: Any = None
        # Finds the run manifest extension (set by from_crawler).
        self._get_extension: Callable[[type[Any]], Any] = lambda cls: None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConsoleReport:
        if not crawler.settings.getbool("NEWS_CONSOLE"):
            raise NotConfigured("NEWS_CONSOLE is off")
        ext = cls(crawler.stats, crawler.settings.getfloat("NEWS_PROGRESS_INTERVAL"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        # After the run manifest (earlier in EXTENSIONS) has judged the run.
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        ext._get_extension = crawler.get_extension
        return ext

    def spider_opened(self) -> None:
        self.started = time.monotonic()
        self.last = (self.started, 0)
        if self.progress and self.interval > 0:
            self.task = create_looping_call(self.print_progress)
            self.task.start(self.interval, now=False)

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def progress_line(self, now: float | None = None) -> str:
        """``412 pages, 37 records, 3 rejects, 8.2 pages/s, 120 queued, 0:50 elapsed``."""
        now = time.monotonic() if now is None else now
        value = self.stats.get_value
        pages = value("response_received_count", 0)
        since, before = self.last
        rate = (pages - before) / (now - since) if now > since else 0.0
        self.last = (now, pages)
        queued = value("scheduler/enqueued", 0) - value("scheduler/dequeued", 0)
        return (
            f"{pages} pages, {value('item_scraped_count', 0)} records, "
            f"{value('newscrawl/rejected', 0)} rejects, {rate:.1f} pages/s, {queued} queued, "
            f"{_clock(now - self.started)} elapsed"
        )

    def print_progress(self) -> None:
        print(self.progress_line(), file=self.out, flush=True)

    def engine_stopped(self) -> None:
        manifest = self._get_extension(RunManifest)
        written = manifest.written if manifest is not None else None
        for line in result_lines(
            written, manifest and manifest.path, time.monotonic() - self.started
        ):
            print(line, file=self.out, flush=True)


def result_lines(manifest: dict[str, Any] | None, path: Any, elapsed: float) -> list[str]:
    """The summary of a run from its manifest: one ``RESULT`` line, then its health failures."""
    if manifest is None:
        return [f"RESULT no manifest was written ({_clock(elapsed)})"]
    totals = manifest.get("totals", {})
    health = manifest["health"]
    rejects: Counter[str] = Counter()
    for site in manifest["sites"].values():
        rejects.update(site.get("rejected", {}))
    reasons = ", ".join(f"{k} {n}" for k, n in rejects.most_common(3))
    line = (
        f"RESULT exit={health['exit_code']} {'healthy' if health['ok'] else 'UNHEALTHY'} "
        f"new={totals.get('new', 0)} changed={totals.get('changed', 0)} "
        f"unchanged={totals.get('unchanged', 0) + totals.get('skipped', 0)} "
        f"rejects={sum(rejects.values())}{f' ({reasons})' if reasons else ''} "
        f"files={sum(1 for f in manifest['files'] if f.get('records'))} "
        f"elapsed={_clock(elapsed)} manifest={path}"
    )
    if manifest.get("latest"):
        line += f" latest={manifest['latest']}"
    return [line, *(f"  unhealthy: {failure}" for failure in health["failures"])]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return (
        f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"
        if minutes >= 60
        else f"{minutes}:{secs:02d}"
    )
