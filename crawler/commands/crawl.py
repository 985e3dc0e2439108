"""``scrapy crawl``, with an exit status a scheduler can act on: non-zero when the run manifest
finds the run unhealthy (``NEWS_UNHEALTHY_EXIT_CODE``, see ``crawler.runfiles.manifest``)."""

from __future__ import annotations

import argparse

from scrapy.commands import crawl
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from crawler.crawl import pool
from crawler.runfiles.manifest import RunManifest


class Command(crawl.Command):
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
