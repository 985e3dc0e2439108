"""The generic news spider: discover (robots.txt, sitemaps, feeds, listing pages) -> fetch ->
extract article records.

Arguments (``-a``): ``start_urls`` (comma-separated; stay on their hosts), ``sites`` (a TOML
sites file), ``site`` (one site of it, or of the bundled sites file). Without any, it crawls
the bundled demo portal, served on 127.0.0.1 for the length of the crawl.

Settings: ``NEWS_SITES_FILE``, ``NEWS_PROBE_COMMON_PATHS``, ``NEWS_SITEMAP_MAX_ENTRIES``,
``NEWS_LINK_DEPTH`` (how many links away from a seed listing pages are followed).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

from crawler import discovery, metadata
from crawler.encoding import decode_html
from crawler.extraction import extract_page
from crawler.records import build_item
from crawler.signals import page_rejected
from crawler.sites import SiteConfig, select_sites, site_for_urls

logger = logging.getLogger(__name__)


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        start_urls: str | None = None,
        sites: str | None = None,
        site: str | None = None,
        sites_file: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sites: dict[str, SiteConfig] = _choose_sites(start_urls, sites or sites_file, site)
        self.demo_server: Any = None
        self.allowed_domains = sorted({h for s in self.sites.values() for h in s.allowed_hosts})

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        if not (kwargs.get("start_urls") or kwargs.get("sites")):
            kwargs["sites_file"] = crawler.settings.get("NEWS_SITES_FILE")
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    # --- start -----------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        if not self.sites:
            self._start_demo()
        probe = self.settings.getbool("NEWS_PROBE_COMMON_PATHS")
        for site in self.sites.values():
            for request in self._site_requests(site, probe):
                yield request

    def _site_requests(self, site: SiteConfig, probe: bool) -> Iterator[Request]:
        meta = {"site": site.name}
        roots = list(dict.fromkeys(_root(u) for u in site.start_urls))
        for url in site.start_urls:
            yield Request(url, self.parse_page, meta={**meta, "via": "seed"})
        for url in site.sitemaps:
            yield Request(url, self.parse_sitemap, meta={**meta, "via": "sitemap"}, priority=10)
        for url in site.feeds:
            yield Request(url, self.parse_feed, meta={**meta, "via": "feed"}, priority=10)
        for root in roots:
            yield Request(
                root + "/robots.txt",
                self.parse_robots,
                errback=self.on_discovery_error,
                meta={**meta, "handle_httpstatus_all": True, "probe_sitemaps": not site.sitemaps},
                priority=20,
            )
            if probe and not site.feeds:
                for path in discovery.COMMON_FEED_PATHS:
                    yield self._probe(root + path, self.parse_feed, meta)

    def _probe(self, url: str, callback: Any, meta: dict[str, Any]) -> Request:
        """A guessed discovery URL: a 404 is expected and only counted."""
        return Request(
            url,
            callback,
            errback=self.on_discovery_error,
            meta={**meta, "probe": True, "handle_httpstatus_list": [404, 410]},
            priority=5,
        )

    def _start_demo(self) -> None:
        from crawler.demo.server import start_in_thread

        base, self.demo_server = start_in_thread(
            Path(str(resources.files("crawler"))) / "demo" / "portal"
        )
        logger.info("No site given: crawling the bundled demo portal at %(url)s", {"url": base})
        demo = site_for_urls([base + "/"], name="demo")
        self.sites = {demo.name: demo}
        self.allowed_domains = list(demo.allowed_hosts)

    def on_closed(self, spider: scrapy.Spider) -> None:
        if self.demo_server is not None:
            self.demo_server.shutdown()
            self.demo_server.server_close()

    # --- discovery ------------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        site = self.sites[response.meta["site"]]
        found: list[str] = []
        if response.status == 200 and isinstance(response, TextResponse):
            found = discovery.robots_sitemaps(response.text, response.url)
        meta = {"site": site.name, "via": "sitemap"}
        for url in found:
            if site.allows(url):
                yield Request(url, self.parse_sitemap, meta=meta, priority=10)
        if not found and response.meta.get("probe_sitemaps"):
            root = _root(response.url)
            for path in discovery.COMMON_SITEMAP_PATHS:
                yield self._probe(root + path, self.parse_sitemap, meta)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if self._probe_missed(response):
            return
        site = self.sites[response.meta["site"]]
        body = self._xml_body(response)
        sitemap = (
            discovery.parse_sitemap(
                body, response.url, self.settings.getint("NEWS_SITEMAP_MAX_ENTRIES")
            )
            if body
            else None
        )
        if sitemap is None:
            self._count("discovery/bad_sitemap")
            return
        self._count("discovery/sitemaps")
        for entry in sitemap.entries:
            if not site.allows(entry.url):
                self._count("discovery/offsite_entry")
            elif sitemap.is_index:
                yield Request(entry.url, self.parse_sitemap, meta=response.meta | {}, priority=10)
            else:
                yield self._page_request(site, entry, "sitemap")

    def parse_feed(self, response: Response) -> Iterator[Request]:
        if self._probe_missed(response):
            return
        site = self.sites[response.meta["site"]]
        body = self._xml_body(response)
        entries = discovery.parse_feed(body, response.url) if body else None
        if entries is None:
            if not response.meta.get("probe"):
                self._count("discovery/bad_feed")
            return
        self._count("discovery/feeds")
        for entry in entries:
            if site.allows(entry.url):
                yield self._page_request(site, entry, "feed")
            else:
                self._count("discovery/offsite_entry")

    def _page_request(self, site: SiteConfig, entry: discovery.Entry, via: str) -> Request:
        return Request(
            entry.url,
            self.parse_page,
            meta={"site": site.name, "via": via, "date_hint": (entry.date, entry.date_source)},
            priority=3,
        )

    def _xml_body(self, response: Response) -> bytes | None:
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except (OSError, ValueError) as exc:
                logger.warning(
                    "Cannot gunzip %(url)s: %(error)s", {"url": response.url, "error": exc}
                )
                return None
        return body

    def _probe_missed(self, response: Response) -> bool:
        if response.status in (404, 410):
            self._count("discovery/probe_missed")
            return True
        return False

    def on_discovery_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self._count("discovery/errors")
        logger.info(
            "Discovery request failed (the crawl goes on from the pages): %(url)s: %(error)s",
            {"url": request.url, "error": failure.getErrorMessage()},
        )
        if request.meta.get("probe_sitemaps"):
            root = _root(request.url)
            meta = {"site": request.meta["site"], "via": "sitemap"}
            for path in discovery.COMMON_SITEMAP_PATHS:
                self.crawler.engine.crawl(self._probe(root + path, self.parse_sitemap, meta))

    # --- pages ----------------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        site = self.sites[response.meta["site"]]
        via = response.meta.get("via", "link")
        self._count("pages_fetched")
        if not isinstance(response, TextResponse) or b"<" not in response.body[:4096]:
            self._not_article(response, site, via, "not_html")
            return
        decoded = decode_html(response.body, _header(response, "Content-Type"))
        hint_raw, hint_source = response.meta.get("date_hint") or (None, None)
        hint = metadata.date_from_feed(hint_raw, hint_source or "sitemap", site.timezone)
        ext = extract_page(decoded.text, response.url, site, hint)
        if not ext.is_article:
            self._not_article(response, site, via, ext.verdict)
            yield from self._follow(response, site, ext.links, ext.feeds)
            return
        self._count("articles_extracted")
        yield build_item(
            ext,
            url=response.url,
            site=site.name,
            discovered_via=via,
            encoding=decoded.encoding,
            http_status=response.status,
            warnings=decoded.warnings,
        )

    def _not_article(self, response: Response, site: SiteConfig, via: str, reason: str) -> None:
        """A page that yields no record: a reject when an article was expected, else a skip;
        counted either way."""
        if discovery.expects_article(response.url, site, via) and reason != "listing_url":
            self.crawler.signals.send_catch_log(
                page_rejected,
                url=response.url,
                reason=f"not_article/{reason}",
                detail=f"expected an article ({via}), found none",
                site=site.name,
            )
            return
        self._count(f"non_article/{reason}")
        logger.debug(
            "Not an article (%(reason)s): %(url)s", {"reason": reason, "url": response.url}
        )

    def _follow(
        self, response: Response, site: SiteConfig, links: list[str], feeds: list[str]
    ) -> Iterator[Request]:
        for url in feeds:
            if site.allows(url):
                yield Request(url, self.parse_feed, meta={"site": site.name, "via": "feed"})
        hops = response.meta.get("hops", 0) + 1
        if hops > self.settings.getint("NEWS_LINK_DEPTH"):
            self._count("links_beyond_depth")
            return
        meta = {"site": site.name, "via": "link", "hops": hops}
        for url in links:
            if not site.allows(url):
                continue
            if discovery.expects_article(url, site, "link"):
                yield Request(url, self.parse_page, meta=meta, priority=2)
            elif site.should_follow(url):
                yield Request(url, self.parse_page, meta=meta)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newscrawl/{key}")


def _choose_sites(
    start_urls: str | None, sites_file: str | None, only: str | None
) -> dict[str, SiteConfig]:
    """The sites to crawl from the spider arguments; empty means the demo portal."""
    if start_urls:
        urls = [u.strip() for u in start_urls.split(",") if u.strip()]
        by_host: dict[str, list[str]] = {}
        for url in urls:
            by_host.setdefault(urlsplit(url).netloc.lower(), []).append(url)
        chosen = [site_for_urls(group) for group in by_host.values()]
        return {s.name: s for s in chosen}
    if not (sites_file or only):
        return {}
    return select_sites(sites_file, only)


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
