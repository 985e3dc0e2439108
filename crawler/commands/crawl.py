"""``scrapy crawl``, with an exit status a scheduler can act on: non-zero when the run manifest
finds the run unhealthy (``NEWS_UNHEALTHY_EXIT_CODE``, see ``crawler.runfiles.manifest``)."""

from __future__ import annotations

import argparse

from scrapy.commands import crawl
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from crawler.crawl import pool
from crawler.runfiles import formats
from crawler.runfiles.manifest import RunManifest


class Command(crawl.Command):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        # Compressed and Parquet outputs by their names (crawler.runfiles.formats).
        opts.output = [formats.cli_output(o) for o in opts.output or []]
        opts.overwrite_output = [formats.cli_output(o) for o in opts.overwrite_output or []]
        super().process_options(args, opts)
        if feeds := self.settings.getdict("FEEDS"):
            priority = self.settings.getpriority("FEEDS") or 0
            self.settings.set("FEEDS", formats.by_extension(feeds), priority=priority)
        elif output := self.settings.get("NEWS_OUTPUT"):
            formats.by_extension({output: {"overwrite": True}})  # refused now, not at the end

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if self.settings.getint("NEWS_EXTRACT_WORKERS") > 0:
            pool.start_forkserver()
        super().run(args, opts)
        manifest = self.crawler.get_extension(RunManifest) if self.exitcode == 0 else None
        if manifest is not None:
            self.exitcode = manifest.exit_code
