"""``scrapy crawl``, with an exit status a scheduler can act on: non-zero when the run manifest
finds the run unhealthy (``NEWS_UNHEALTHY_EXIT_CODE``, see ``crawler.runfiles.manifest``), and
the status of a ``crawler.errors.StartupError`` (a clash in the configuration, a locked crawl
state) with its message instead of a traceback."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from scrapy.commands import crawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spiders import Spider

from crawler.checks import check_settings
from crawler.crawl import pool
from crawler.errors import StartupError
from crawler.runfiles import formats
from crawler.runfiles.manifest import RunManifest

logger = logging.getLogger(__name__)


class Command(crawl.Command):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        # Compressed and Parquet outputs by their names (crawler.runfiles.formats).
        opts.output = [formats.cli_output(o) for o in opts.output or []]
        opts.overwrite_output = [formats.cli_output(o) for o in opts.overwrite_output or []]
        super().process_options(args, opts)
        # A log file holds the full log (INFO) unless -L or -s LOG_LEVEL says otherwise; the
        # terminal gets warnings, progress and the RESULT line (crawler.runfiles.console).
        cmdline = SETTINGS_PRIORITIES["cmdline"]
        if self.settings.get("LOG_FILE") and self.settings.getpriority("LOG_LEVEL") < cmdline:
            self.settings.set("LOG_LEVEL", "INFO", priority="cmdline")
        if feeds := self.settings.getdict("FEEDS"):
            priority = self.settings.getpriority("FEEDS") or 0
            self.settings.set("FEEDS", formats.by_extension(feeds), priority=priority)
        elif output := self.settings.get("NEWS_OUTPUT"):
            formats.by_extension({output: {"overwrite": True}})  # refused now, not at the end

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give the name of one spider")
        try:
            check_settings(self.settings)
        except StartupError as error:
            print(f"newscrawl: {error}", file=sys.stderr)
            self.exitcode = error.exit_code
            return
        if self.settings.getint("NEWS_EXTRACT_WORKERS") > 0:
            pool.start_forkserver()
        assert self.crawler_process
        started = self.crawler_process.crawl(self._create_crawler(args[0]), **opts.spargs)
        started.add_done_callback(self._refused)
        self.crawler_process.start()
        if self.exitcode == 0 and self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        manifest = self.crawler.get_extension(RunManifest) if self.exitcode == 0 else None
        if manifest is not None:
            self.exitcode = manifest.exit_code

    def _refused(self, started: asyncio.Task[None]) -> None:
        error = None if started.cancelled() else started.exception()
        if isinstance(error, StartupError):
            print(f"newscrawl: {error}", file=sys.stderr)
            self.exitcode = error.exit_code
        elif error is not None:
            # Taking the exception from the task silences asyncio's report of it: log it here.
            logger.error("The crawl could not start", exc_info=error)
