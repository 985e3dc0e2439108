"""``scrapy try URL``: one page under a site's rules, as the crawl would take it, and what
became of it: the record, or the reject or failure with its reason, as JSON on standard output.
It touches no crawl state, job history or run file (``crawler.commands.oneshot``).

``-a sites=FILE`` / ``-a site=NAME`` choose the sites entry whose rules apply (the first that
takes the URL); without them the URL is a site of its own. Exit status 0 when the page gave a
record, 1 when it did not, 2 when no site takes the URL.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import UsageError

from crawler.commands.oneshot import Isolated, Seen, TrySpider
from crawler.sites import select_sites


class Command(Isolated, BaseRunSpiderCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[-a sites=FILE] [-a site=NAME] URL"

    def short_desc(self) -> str:
        return "Turn one URL into a record or a reject, touching no state"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or not args[0].startswith(("http://", "https://")):
            raise UsageError("give one http(s) URL")
        assert self.settings is not None and self.crawler_process is not None
        url = args[0]
        spargs: dict[str, Any] = dict(opts.spargs)
        if spargs.get("sites") or spargs.get("site"):
            sites = select_sites(spargs.get("sites"), spargs.get("site"))
            if not any(site.allows(url) for site in sites.values()):
                raise UsageError(f"no site of {sorted(sites)} takes {url}", print_help=False)
        else:
            spargs["start_urls"] = url
        crawler = self.crawler_process.create_crawler(TrySpider)
        seen = Seen()
        seen.connect(crawler)
        self.crawler_process.crawl(crawler, url=url, **spargs)
        self.crawler_process.start()
        spider: TrySpider = crawler.spider  # type: ignore[assignment]
        stats = crawler.stats.get_stats() if crawler.stats else {}
        skipped = [k.removeprefix("newscrawl/") for k in stats if "/non_article/" in f"/{k}"]
        outcome = (
            "record"
            if seen.records
            else "rejected"
            if seen.rejects
            else "failed"
            if seen.failures
            else "not_article"
        )
        print(
            json.dumps(
                {
                    "url": url,
                    "site": spider.site().name,
                    "outcome": outcome,
                    "record": seen.records[0] if seen.records else None,
                    "rejects": seen.rejects,
                    "failures": seen.failures,
                    # Not an article, and none was expected of this URL (a listing page).
                    "not_article": skipped,
                    "links": spider.links,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        self.exitcode = 0 if seen.records else 1
