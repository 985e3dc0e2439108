"""``scrapy parse --spider=news URL``, Scrapy's way to try one page, leaving no trace: no crawl
state, job history or run file (``crawler.commands.oneshot``); ``scrapy try URL`` says more."""

from __future__ import annotations

import argparse

from scrapy.commands import parse


class Command(parse.Command):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        # Imported here: every scrapy command imports this module, and that one the spider.
        from crawler.commands.oneshot import isolate

        isolate(self.settings)
