"""``scrapy preview``: the article pages a crawl of the given sites would fetch, found by
discovery alone (robots.txt, sitemaps, feeds, listing pages), not fetched; one JSON line each
(``url``, ``site``, ``via``) on standard output. Takes the crawl's site arguments
(``-a sites=FILE``, ``-a site=NAME``, ``-a start_urls=URL,...``; none: the demo portal) and
touches no crawl state, job history or run file (``crawler.commands.oneshot``).
"""

from __future__ import annotations

import argparse
import json
import sys

from scrapy.commands import BaseRunSpiderCommand

from crawler.commands.oneshot import Isolated, PreviewSpider


class Command(Isolated, BaseRunSpiderCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[-a sites=FILE] [-a site=NAME] [-a start_urls=URL,...]"

    def short_desc(self) -> str:
        return "List the article pages a crawl would fetch (discovery only)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(PreviewSpider)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        spider: PreviewSpider = crawler.spider  # type: ignore[assignment]
        for url, (site, via) in spider.listed.items():
            print(json.dumps({"url": url, "site": site, "via": via}, ensure_ascii=False))
        print(f"{len(spider.listed)} article pages", file=sys.stderr)
