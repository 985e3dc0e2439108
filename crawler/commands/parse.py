"""``scrapy parse --spider=news URL``, Scrapy's way to try one page, leaving no trace: no crawl
state, job history or run file (``crawler.commands.oneshot``); ``scrapy try URL`` says more."""

from __future__ import annotations

from scrapy.commands import parse

from crawler.commands.oneshot import Isolated


class Command(Isolated, parse.Command):
    pass
