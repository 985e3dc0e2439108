"""What ``scrapy try`` and ``scrapy preview`` share: runs of the news spider that touch no crawl
state, job history or run file, and what they saw.

``TrySpider`` fetches one URL under a site's rules (robots.txt, redirects, its sites entry) and
turns it into a record or a reject as the crawl would, following nothing. ``PreviewSpider`` runs
discovery only (robots.txt, sitemaps, feeds, listing pages) and lists the article pages a crawl
would fetch without fetching them. ``Seen`` collects records, rejects and failures from the
crawl's signals.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings

from crawler import signals as news_signals
from crawler.extract.verdict import expects_article
from crawler.items import FIELD_ORDER
from crawler.sites import SiteConfig
from spiders.news import NewsSpider

# Nothing remembered, nothing written: no state, outputs, manifest, stats, rejects or console.
_OFF = (
    "crawler.state.tracker.StateTracker",
    "crawler.runfiles.rejects.RejectsFile",
    "crawler.runfiles.runstats.StatsFile",
    "crawler.runfiles.manifest.RunManifest",
    "crawler.runfiles.console.ConsoleReport",
)


def isolate(settings: BaseSettings) -> None:
    """Settings of a run that leaves no trace (above the project's; ``-s`` cannot undo them)."""
    extensions = {**settings.getdict("EXTENSIONS"), **dict.fromkeys(_OFF)}
    for name, value in {
        "EXTENSIONS": extensions,
        "NEWS_STATE": "",
        "NEWS_OUTPUT": "",
        "FEEDS": {},
        # One page or a discovery pass: a worker pool's start-up would cost more than it saves.
        "NEWS_EXTRACT_WORKERS": 0,
    }.items():
        settings.set(name, value, priority="cmdline")


class Isolated:
    """Mixed into a command whose run leaves no trace: its settings go through ``isolate``."""

    settings: BaseSettings | None

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)  # type: ignore[misc]
        assert self.settings is not None
        isolate(self.settings)


@dataclass
class Seen:
    """What a run yielded: records, rejects and failures with their reasons."""

    records: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def connect(self, crawler: Crawler) -> None:
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.page_rejected, signal=news_signals.page_rejected)
        crawler.signals.connect(self.page_failed, signal=news_signals.page_failed)

    def item_scraped(self, item: Any) -> None:
        adapter = ItemAdapter(item)
        self.records.append({name: adapter.get(name) for name in FIELD_ORDER})

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        reason = getattr(exception, "reason", None) or type(exception).__name__
        detail = getattr(exception, "detail", None) or str(exception)
        entry = {"url": ItemAdapter(item).get("url"), "reason": reason, "detail": detail}
        if entry not in self.rejects:
            self.rejects.append(entry)

    def page_rejected(self, url: str | None, reason: str, detail: str = "", **_: Any) -> None:
        entry = {"url": url, "reason": reason, "detail": detail}
        if entry not in self.rejects:  # a pipeline's reject arrives by both signals
            self.rejects.append(entry)

    def page_failed(self, url: str | None, reason: str, detail: str = "", **_: Any) -> None:
        self.failures.append({"url": url, "reason": reason, "detail": detail})


class TrySpider(NewsSpider):
    """One URL, as the crawl would take it, its links not followed (``-a url=URL``)."""

    def __init__(self, url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.links = 0

    def site(self) -> SiteConfig:
        return next(s for s in self.sites.values() if s.allows(self.url))

    async def start(self) -> AsyncIterator[Request]:
        meta = {"site": self.site().name, "via": "seed", "page": True}
        yield Request(self.url, self.parse_one, errback=self.on_page_error, meta=meta)

    async def parse_one(self, response: Response) -> AsyncIterator[Any]:
        async for output in self.parse_page(response):
            if isinstance(output, Request):
                self.links += 1  # counted, not followed
            else:
                yield output


class PreviewSpider(NewsSpider):
    """Discovery only: the article pages a crawl would fetch are listed, not fetched."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.listed: dict[str, tuple[str, str]] = {}

    def _page(self, url: str, meta: dict[str, Any], priority: int = 0) -> Request | None:
        site, via = self.sites[meta["site"]], meta.get("via", "link")
        if via != "seed" and expects_article(url, site, via):
            self.listed.setdefault(url, (site.name, via))
            return None
        return super()._page(url, meta, priority)
