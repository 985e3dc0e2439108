"""The generic news spider: discover (robots.txt, sitemaps, feeds, listing pages) -> fetch ->
extract article records.

Arguments (``-a``): ``start_urls`` (comma-separated; stay on their hosts), ``sites`` (a TOML
sites file), ``site`` (one site of it, or of the bundled sites file). Without any, it crawls
the bundled demo portal, served on 127.0.0.1 for the length of the crawl.

Every request has an errback: a page that yields nothing is counted under a named reason
(``newscrawl/failed/<reason>``, ``newscrawl/discovery/<reason>``, or a reject), and listed in the
stats file, never only logged.

Settings: ``NEWS_SITES_FILE``, ``NEWS_PROBE_COMMON_PATHS``, ``NEWS_SITEMAP_MAX_ENTRIES``,
``NEWS_LINK_DEPTH`` (how many links away from a seed listing pages are followed),
``NEWS_EXTRACT_WORKERS`` and ``NEWS_EXTRACT_TIMEOUT`` (the extraction pool, crawler/crawl/pool.py),
``NEWS_SCHEDULED_PAGES_MAX`` (listed pages beyond it wait in crawler/frontier.py),
``NEWS_TEMPLATE_MIN_PAGES`` (articles of a site a line must recur on to be learned as template),
``NEWS_CONTACT_URL`` (named in the User-Agent unless ``USER_AGENT`` is set), ``DOWNLOAD_MAXSIZE``
(also bounds a gzipped sitemap once unpacked), ``NEWS_REDIS_URL`` (a distributed crawl,
crawler/distributed.py) and ``NEWS_WORKER_ID``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

from crawler import __version__
from crawler import settings as defaults
from crawler.crawl import discovery, faults
from crawler.crawl.frontier import Frontier, Waiting
from crawler.crawl.middlewares.robots import ROBOTS_TXT
from crawler.crawl.pool import PagePool, PoolError
from crawler.extract import dates, urls
from crawler.extract.page import (
    UNCLEAR_VERDICTS,
    Page,
    PageResult,
    RecordRules,
    page_to_record,
    without_template,
)
from crawler.extract.templates import SiteKnowledge, TemplateLearner
from crawler.extract.verdict import expects_article
from crawler.runfiles.feedstorage import partitioned_feeds
from crawler.runfiles.manifest import new_crawl_id, with_worker_id, worker_id
from crawler.signals import page_failed, page_rejected
from crawler.sites import SiteConfig, select_sites, site_for_urls
from crawler.state.store import StateUnavailable
from crawler.state.tracker import StateTracker

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlLimits:
    """The settings the callbacks obey, read once in ``from_crawler``."""

    probe_common_paths: bool = defaults.NEWS_PROBE_COMMON_PATHS
    sitemap_max_entries: int = defaults.NEWS_SITEMAP_MAX_ENTRIES
    max_age_days: float = defaults.NEWS_MAX_AGE_DAYS  # 0: no limit
    max_bytes: int = defaults.DOWNLOAD_MAXSIZE  # also for a gzipped sitemap once unpacked
    link_depth: int = defaults.NEWS_LINK_DEPTH

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlLimits:
        return cls(
            probe_common_paths=settings.getbool("NEWS_PROBE_COMMON_PATHS"),
            sitemap_max_entries=settings.getint("NEWS_SITEMAP_MAX_ENTRIES"),
            max_age_days=settings.getfloat("NEWS_MAX_AGE_DAYS"),
            max_bytes=settings.getint("DOWNLOAD_MAXSIZE"),
            link_depth=settings.getint("NEWS_LINK_DEPTH"),
        )


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
        # Sitemap URLs requested so far: an index that lists one again is a loop.
        self.sitemaps_seen: set[str] = set()
        # from_crawler sets the configured ones.
        self.templates = TemplateLearner(min_pages=0)
        self.tracker: StateTracker | None = None
        self.rules = RecordRules()
        self.limits = CrawlLimits()
        self.pool = PagePool(workers=0, timeout=0)
        self.start_pool: Callable[[], PagePool] = partial(PagePool, 0, 0)
        self.frontier = Frontier(0)
        # This run's id and UTC start date (from_crawler): in output file names and the manifest.
        self.crawl_id = ""
        self.crawl_date = ""
        # In output and manifest names (%(worker_id)s); distributed crawls add it to both.
        self.worker_id = ""
        # Whether this worker pushes the start requests (always, unless distributed).
        self.seeder = True

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # The User-Agent names the contact URL of this crawl (``-s NEWS_CONTACT_URL=`` too);
        # settings.py can only name the default one. A USER_AGENT given outright wins.
        if (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["project"]:
            contact = settings.get("NEWS_CONTACT_URL")
            settings.set("USER_AGENT", f"newscrawl/{__version__} (+{contact})", "spider")
        if url := settings.get("NEWS_REDIS_URL"):
            # Distributed mode; without it Redis and scrapy-redis are never imported.
            from crawler.crawl import distributed

            distributed.configure(settings, url)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        if not (kwargs.get("start_urls") or kwargs.get("sites")):
            kwargs["sites_file"] = crawler.settings.get("NEWS_SITES_FILE")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.templates = TemplateLearner(
            crawler.settings.getint("NEWS_TEMPLATE_MIN_PAGES"),
            min_text_chars=crawler.settings.getint("NEWS_MIN_TEXT_CHARS"),
        )
        spider.rules = RecordRules(min_text_chars=crawler.settings.getint("NEWS_MIN_TEXT_CHARS"))
        spider.limits = CrawlLimits.from_settings(crawler.settings)
        spider.start_pool = partial(
            PagePool,
            crawler.settings.getint("NEWS_EXTRACT_WORKERS"),
            crawler.settings.getfloat("NEWS_EXTRACT_TIMEOUT"),
            partial(page_to_record, rules=spider.rules),
        )
        # A queue that outlives this process (JOBDIR, Redis) must hold every request itself.
        if not (crawler.settings.get("JOBDIR") or crawler.settings.get("NEWS_REDIS_URL")):
            spider.frontier = Frontier(crawler.settings.getint("NEWS_SCHEDULED_PAGES_MAX"))
        spider.crawl_id = crawler.settings.get("NEWS_CRAWL_ID") or new_crawl_id()
        spider.crawl_date = datetime.now(UTC).strftime("%Y-%m-%d")
        spider.worker_id = crawler.settings.get("NEWS_WORKER_ID") or worker_id()
        output = crawler.settings.get("NEWS_OUTPUT")
        if crawler.settings.get("NEWS_REDIS_URL"):
            from crawler.crawl import distributed

            spider.crawl_id, spider.seeder = distributed.join_crawl(crawler.settings, cls.name)
            # Each worker writes its own files.
            output = with_worker_id(output)
        if output and not crawler.settings.getdict("FEEDS"):
            # No -o/-O: one file per site and run. Without sites the demo portal is crawled.
            feeds = partitioned_feeds(output, list(spider.sites) or ["demo"])
            crawler.settings.set("FEEDS", feeds, priority="spider")
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        if spider.frontier.scheduled_max:
            crawler.signals.connect(spider.release_waiting, signal=signals.response_received)
            crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    def on_opened(self, spider: scrapy.Spider) -> None:
        # Started only now: a crawl refused at start (crawler.errors) leaves no workers behind.
        self.pool = self.start_pool()
        self.tracker = tracker = self.crawler.get_extension(StateTracker)
        if tracker is not None:
            # Template counts kept with the crawl state serve later runs and other workers.
            self.templates = TemplateLearner(
                self.templates.min_pages, tracker.state, self.templates.min_text_chars
            )

    # --- start -----------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        if not self.seeder:
            # Distributed: another worker pushed the start requests into the shared queue.
            return
        if not self.sites:
            self._start_demo()
        probe = self.limits.probe_common_paths
        for site in self.sites.values():
            for request in self._site_requests(site, probe):
                yield request

    def _site_requests(self, site: SiteConfig, probe: bool) -> Iterator[Request]:
        meta = {"site": site.name}
        roots = list(dict.fromkeys(_root(u) for u in site.start_urls))
        for url in site.start_urls:
            if (request := self._page(url, {**meta, "via": "seed"})) is not None:
                yield request
        for url in site.sitemaps:
            yield self._sitemap(url, {**meta, "via": "sitemap"})
        for url in site.feeds:
            yield Request(
                url,
                self.parse_feed,
                errback=self.on_discovery_error,
                meta={**meta, "via": "feed"},
                priority=10,
            )
        for root in roots:
            yield Request(
                root + "/robots.txt",
                self.parse_robots,
                errback=self.on_discovery_error,
                meta={
                    **meta,
                    "handle_httpstatus_all": True,
                    "probe_sitemaps": not site.sitemaps,
                    ROBOTS_TXT: True,  # answered by the fetch made for the rules
                },
                priority=20,
            )
            if probe and not site.feeds:
                for path in discovery.COMMON_FEED_PATHS:
                    yield self._probe(root + path, self.parse_feed, meta)

    def _template(self, site: str) -> SiteKnowledge:
        """What is known of the site's template; what this worker knew last while the crawl
        state is unavailable."""
        try:
            return self.templates.knowledge(site)
        except StateUnavailable:
            self._count("state/unavailable")
            return self.templates.last_known(site)

    def _page(self, url: str, meta: dict[str, Any], priority: int = 0) -> Request | None:
        """A page request; ``meta["page"]`` puts it on the site's page budget. The crawl state
        makes an article page delivered before a conditional request, or skips it (None) when
        its listed date has not moved and it is older than ``NEWS_RECHECK_DAYS``."""
        headers: dict[str, str] = {}
        state = self.crawler.get_extension(StateTracker)
        site, via = self.sites[meta["site"]], meta.get("via", "link")
        if state and via != "seed" and expects_article(url, site, via):
            planned = state.plan(url, site.name, (meta.get("date_hint") or (None,))[0])
            if planned is None:
                return None
            headers = planned
        if headers:
            meta = {**meta, "conditional": True, "handle_httpstatus_list": [304]}
        return Request(
            url,
            self.parse_page,
            errback=self.on_page_error,
            headers=headers,
            meta={**meta, "page": True},
            priority=priority,
        )

    def _sitemap(self, url: str, meta: dict[str, Any]) -> Request:
        self.sitemaps_seen.add(url)
        return Request(
            url, self.parse_sitemap, errback=self.on_discovery_error, meta=meta, priority=10
        )

    def _probe(self, url: str, callback: Any, meta: dict[str, Any]) -> Request:
        """A guessed discovery URL: a 404 is expected and only counted."""
        if callback == self.parse_sitemap:
            self.sitemaps_seen.add(url)
        return Request(
            url,
            callback,
            errback=self.on_discovery_error,
            meta={**meta, "probe": True, "handle_httpstatus_list": [404, 410]},
            priority=5,
        )

    def _start_demo(self) -> None:
        from crawler.demo.server import DEMO_PORT, start_in_thread

        base, self.demo_server = start_in_thread(
            Path(str(resources.files("crawler"))) / "demo" / "portal", port=DEMO_PORT
        )
        logger.info("No site given: crawling the bundled demo portal at %(url)s", {"url": base})
        demo = site_for_urls([base + "/"], name="demo")
        self.sites = {demo.name: demo}
        self.allowed_domains = list(demo.allowed_hosts)

    def on_closed(self, spider: scrapy.Spider) -> None:
        self.pool.close()
        if self.demo_server is not None:
            self.demo_server.shutdown()
            self.demo_server.server_close()

    # --- discovery ------------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        site = self.sites[response.meta["site"]]
        found: list[str] = []
        if response.status >= 500:
            # Scrapy's robots.txt check then allows everything (as for a 4xx); worth knowing.
            self._bad("discovery/robots_error", response, site, f"HTTP {response.status}")
        if response.status == 200 and isinstance(response, TextResponse):
            found = discovery.robots_sitemaps(response.text, response.url)
        meta = {"site": site.name, "via": "sitemap"}
        for url in found:
            if site.allows(url):
                yield self._sitemap(url, meta)
        if not found and response.meta.get("probe_sitemaps"):
            root = _root(response.url)
            for path in discovery.COMMON_SITEMAP_PATHS:
                yield self._probe(root + path, self.parse_sitemap, meta)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if self._probe_missed(response):
            return
        site = self.sites[response.meta["site"]]
        body = self._xml_body(response)
        if body is None:
            return
        limit = self.limits.sitemap_max_entries
        sitemap = discovery.parse_sitemap(body, response.url, limit)
        if sitemap is None:
            if response.meta.get("probe"):
                self._count("discovery/probe_missed")
            else:
                self._bad("discovery/bad_sitemap", response, site, "neither a urlset nor an index")
            return
        self._count("discovery/sitemaps")
        if len(sitemap.entries) >= limit:
            self._bad("discovery/sitemap_truncated", response, site, f"read {limit} entries")
        for entry in sitemap.entries:
            if not site.allows(entry.url):
                self._count("discovery/offsite_entry")
            elif not sitemap.is_index:
                yield from self._listed(site, entry, "sitemap", response.url)
            elif entry.url in self.sitemaps_seen:
                detail = f"listed again by {response.url}"
                self._bad("discovery/sitemap_loop", entry.url, site, detail)
            else:
                yield self._sitemap(entry.url, {"site": site.name, "via": "sitemap"})

    def parse_feed(self, response: Response) -> Iterator[Request]:
        if self._probe_missed(response):
            return
        site = self.sites[response.meta["site"]]
        body = self._xml_body(response)
        if body is None:
            return
        entries = discovery.parse_feed(body, response.url)
        if entries is None:
            if not response.meta.get("probe"):
                self._bad("discovery/bad_feed", response, site, "not an RSS or Atom feed")
            return
        self._count("discovery/feeds")
        for entry in entries:
            if site.allows(entry.url):
                yield from self._listed(site, entry, "feed", response.url)
            else:
                self._count("discovery/offsite_entry")

    def _listed(
        self, site: SiteConfig, entry: discovery.Entry, via: str, listed_by: str
    ) -> Iterator[Request]:
        """The request for a page a sitemap or feed lists, or none yet: it waits in the
        frontier while the scheduler is full."""
        if self.frontier.scheduled_max and self.frontier.should_hold(self._scheduled):
            held = self.frontier.hold(Waiting(site, entry, via, listed_by))
            self.crawler.stats.max_value("newscrawl/frontier/waiting_max", held)
        elif (request := self._page_request(site, entry, via)) is not None:
            yield request

    def release_waiting(self, **_: Any) -> int:
        """Schedules waiting entries while the scheduler has room; how many it scheduled.
        They bypass the spider middlewares, so the Referer they would have set is set here."""
        released = 0
        room = self.frontier.room(self._scheduled())
        while released < room and (waiting := self.frontier.pop()) is not None:
            request = self._page_request(waiting.site, waiting.entry, waiting.via)
            if request is not None:
                request.headers.setdefault("Referer", waiting.referer)
                self.crawler.engine.crawl(request)
                released += 1
        return released

    def on_idle(self, spider: scrapy.Spider) -> None:
        if self.release_waiting():
            raise DontCloseSpider

    def _scheduled(self) -> int:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        return len(scheduler) if scheduler is not None else 0

    def _page_request(self, site: SiteConfig, entry: discovery.Entry, via: str) -> Request | None:
        listed = dates.date_from_feed(entry.date, entry.date_source or via, site.timezone)
        if self._too_old(listed):
            return None
        meta = {
            "site": site.name,
            "via": via,
            "found_via": entry.found_via or via,
            "date_hint": (entry.date, entry.date_source),
        }
        return self._page(entry.url, meta, priority=3)

    def _too_old(self, date: dates.FoundDate | None) -> bool:
        """Whether a date is older than ``NEWS_MAX_AGE_DAYS`` (counted, never an error)."""
        days = self.limits.max_age_days
        if not days or date is None or dates.age_days(date) <= days:
            return False
        self._count("articles/too_old")
        return True

    def _xml_body(self, response: Response) -> bytes | None:
        """The XML of a sitemap or feed (gunzipped, bounded by DOWNLOAD_MAXSIZE); None, counted,
        when it cannot be had or declares entities."""
        site = self.sites[response.meta["site"]]
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.limits.max_bytes)
            except ValueError as exc:  # unpacks beyond DOWNLOAD_MAXSIZE: a gzip bomb
                self._bad("discovery/too_large", response, site, str(exc))
                return None
            except OSError as exc:
                self._bad("discovery/bad_gzip", response, site, str(exc))
                return None
        if discovery.declares_entities(body):
            # Never needed by a sitemap or feed: an entity-expansion or external-entity attack.
            # The parser would not expand them either; the whole file is refused.
            self._bad("discovery/xml_entities", response, site, "DOCTYPE declares entities")
            return None
        return body

    def _probe_missed(self, response: Response) -> bool:
        if response.status in (404, 410):
            self._count("discovery/probe_missed")
            return True
        return False

    def on_discovery_error(self, failure: Failure) -> Failure | None:
        """A robots.txt, sitemap or feed request that failed: counted, and the crawl goes on
        from the pages. An HTTP error goes on to HttpErrorMiddleware (``httperror/*``)."""
        request = failure.request  # type: ignore[attr-defined]
        site = self.sites[request.meta["site"]]
        reason = faults.failure_reason(failure.value)
        self._bad(f"failed/{reason}", _first_url(request), site, failure.getErrorMessage())
        logger.info(
            "Discovery request failed (the crawl goes on from the pages): %(url)s: %(error)s",
            {"url": request.url, "error": failure.getErrorMessage()},
        )
        if request.meta.get("probe_sitemaps"):
            root = _root(request.url)
            meta = {"site": request.meta["site"], "via": "sitemap"}
            for path in discovery.COMMON_SITEMAP_PATHS:
                self.crawler.engine.crawl(self._probe(root + path, self.parse_sitemap, meta))
        return failure if failure.check(HttpError) else None

    def on_page_error(self, failure: Failure) -> Failure | None:
        """A page request that ended without a page: an HTTP error status (after retries), a
        download error, or a refusal (robots.txt, budget, redirect rules). An HTTP error goes
        on to HttpErrorMiddleware, which counts and logs it as usual (``httperror/*``)."""
        request = failure.request  # type: ignore[attr-defined]
        exc = failure.value
        site = self.sites[request.meta["site"]]
        if isinstance(exc, HttpError) and faults.is_challenge(exc.response):
            via = request.meta.get("via", "link")
            self._not_article(exc.response, site, via, "challenge", f"HTTP {exc.response.status}")
        else:
            reason = faults.failure_reason(exc)
            url = _first_url(request)
            self._bad(f"failed/{reason}", url, site, failure.getErrorMessage())
            logger.info("Page failed (%(reason)s): %(url)s", {"reason": reason, "url": url})
        return failure if isinstance(exc, HttpError) else None

    # --- pages ----------------------------------------------------------------------------------

    async def parse(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        """Scrapy's default callback, for ``scrapy parse --spider=news URL``: the page as a
        start page of the site that takes it (a site of its own when none does)."""
        site = next((s for s in self.sites.values() if s.allows(response.url)), None)
        if site is None:
            site = site_for_urls([response.url])
            self.sites[site.name] = site
        response.meta.setdefault("site", site.name)
        response.meta.setdefault("via", "seed")
        async for output in self.parse_page(response):
            yield output

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        if response.status == 304:  # not modified since the last crawl: crawler.state counted it
            return
        site = self.sites[response.meta["site"]]
        via = response.meta.get("via", "link")
        self._count("pages_fetched")
        body = response.body
        if not body.strip():
            self._not_article(response, site, via, "empty", "empty body")
            return
        kind = faults.binary_kind(body)
        if kind or not isinstance(response, TextResponse) or b"<" not in body[:4096]:
            self._not_article(response, site, via, "not_html", f"{kind or 'not HTML'} body")
            return
        hint_raw, hint_source = response.meta.get("date_hint") or (None, None)
        page = Page(
            body=body,
            url=response.url,
            content_type=_header(response, "Content-Type"),
            site=site,
            date_hint=dates.date_from_feed(hint_raw, hint_source or "sitemap", site.timezone),
            knowledge=self._template(site.name),
            found_via=response.meta.get("found_via"),
            discovered_via=via,
            http_status=response.status,
        )
        try:
            result: PageResult = await self.pool.run(page)
        except PoolError as exc:
            # A page the extraction stack chokes on, hangs on or dies on must not end the
            # crawl or its clean log; it is a reject with the cause named.
            logger.warning(
                "Extraction failed on %(url)s: %(error)s", {"url": response.url, "error": exc}
            )
            self._not_article(response, site, via, exc.reason, exc.detail)
            return
        for key, n in result.stats.items():
            self._count(key, n)
        if not result.is_article:
            verdict = result.verdict
            if verdict in UNCLEAR_VERDICTS | {"too_deep"} and faults.is_challenge(response):
                verdict = "challenge"
            links = result.links
            if self._not_article(response, site, via, verdict) and links:
                # A failed article is no hub: its links are the related-article footer that
                # listing pages and sitemaps give anyway, and on broken pages mostly 404s.
                self._count("links_of_rejected_pages", len(links))
                links = []
            for request in self._follow(response, site, links, result.feeds):
                yield request
            return
        if self._too_old(result.date):
            return
        self._count("articles_extracted")
        record = result.record
        if record is not None and self.templates.min_pages:
            knowledge = self._template(site.name)
            record, result.reason, result.detail = without_template(record, knowledge, self.rules)
            if record is not None:
                lines = (record.text or "").split("\n")
                if any(map(knowledge.is_boilerplate, lines)):
                    # Without them the article would be too short to be a record: learned
                    # wrongly (SiteKnowledge.strip keeps them).
                    self._count("templates/lines_kept")
                    record = replace(record, warnings=[*record.warnings, "template_lines_kept"])
                try:
                    # Counted once per article (its id), however often it is fetched.
                    self.templates.observe(site.name, lines, record.id)
                except StateUnavailable:
                    self._count("state/unavailable")  # one article fewer to learn from
        if record is None:
            self.crawler.signals.send_catch_log(
                page_rejected,
                url=response.url,
                reason=result.reason,
                detail=result.detail,
                site=site.name,
            )
            return
        if self.tracker is not None:
            self.tracker.fetched(response)
        self._count("articles_valid")
        yield record

    def _not_article(
        self, response: Response, site: SiteConfig, via: str, reason: str, detail: str = ""
    ) -> bool:
        """A page that yields no record: a reject when an article was expected (True), else a
        skip; counted either way."""
        # A listing page a sitemap lists is no lost article.
        listing = reason in ("listing_url", "listing_structure")
        if expects_article(response.url, site, via) and not listing:
            found = f"found none: {detail}" if detail else "found none"
            self.crawler.signals.send_catch_log(
                page_rejected,
                url=response.url,
                reason=f"not_article/{reason}",
                detail=f"expected an article ({via}), {found}",
                site=site.name,
            )
            return True
        self._count(f"non_article/{reason}")
        logger.debug(
            "Not an article (%(reason)s): %(url)s", {"reason": reason, "url": response.url}
        )
        return False

    def _follow(
        self, response: Response, site: SiteConfig, links: list[str], feeds: list[str]
    ) -> Iterator[Request]:
        for url in feeds:
            if site.allows(url):
                yield Request(
                    url,
                    self.parse_feed,
                    errback=self.on_discovery_error,
                    meta={"site": site.name, "via": "feed"},
                )
        hops = response.meta.get("hops", 0) + 1
        if hops > self.limits.link_depth:
            self._count("links_beyond_depth")
            return
        meta = {"site": site.name, "via": "link", "found_via": "listing", "hops": hops}
        for link in links:
            if not site.allows(link):
                self._count("links_offsite")
                continue
            url = urls.strip_session_ids(link)
            if url != link:
                self._count("links_session_id_removed")
            if expects_article(url, site, "link"):
                request = self._page(url, meta, priority=2)
            elif site.should_follow(url):
                request = self._page(url, meta)
            else:
                continue
            if request is not None:
                yield request

    def _count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"newscrawl/{key}", n)

    def _bad(self, key: str, where: Response | str, site: SiteConfig, detail: str = "") -> None:
        """A URL that yielded nothing: counted under ``newscrawl/<key>`` and listed under that
        key in the stats file (``page_failed``)."""
        url = where if isinstance(where, str) else where.url
        self._count(key)
        self.crawler.signals.send_catch_log(
            page_failed, url=url, reason=key, detail=detail, site=site.name
        )


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


def _first_url(request: Request) -> str:
    """The URL a request was made for, before any redirect."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
