"""Redirect rules Scrapy's RedirectMiddleware does not apply, to 3xx responses and meta
refreshes alike (``metarefresh`` asks ``check``): a page redirected off its site (another host
or port) is not followed (unless the site's ``allowed_hosts`` has the target), nor one
redirected to a non-http(s) URL; a chain that comes back to a URL it passed is a loop. Each
fails with its own reason, where Scrapy would drop the request silently (offsite, duplicate) or
as a bare IgnoreRequest.

Settings: ``REDIRECT_ENABLED``, ``REDIRECT_MAX_TIMES``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urldefrag, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from w3lib.url import safe_url_string

from crawler.crawl.discovery import join_url
from crawler.crawl.faults import PageFailed
from crawler.sites import SiteConfig

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectGuardMiddleware:
    """Runs before RedirectMiddleware: ordered after it in ``DOWNLOADER_MIDDLEWARES``."""

    def __init__(self, max_redirects: int, site_named: Callable[[str], SiteConfig | None]):
        self.max_redirects = max_redirects
        self.site_named = site_named

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        if not crawler.settings.getbool("REDIRECT_ENABLED"):
            raise NotConfigured

        def site_named(name: str) -> SiteConfig | None:
            # Looked up each time: the demo site only exists once the crawl has started.
            return getattr(crawler.spider, "sites", {}).get(name)

        return cls(crawler.settings.getint("REDIRECT_MAX_TIMES"), site_named)

    def process_response(self, request: Request, response: Response) -> Response:
        meta = request.meta
        if (
            response.status not in REDIRECT_STATUSES
            or "Location" not in response.headers
            or meta.get("dont_redirect")
            or meta.get("handle_httpstatus_all")
            or response.status in meta.get("handle_httpstatus_list", ())
        ):
            return response
        location = response.headers["Location"]
        try:
            joined = join_url(request.url, safe_url_string(location))
        except ValueError:  # safe_url_string refuses "http://[bad" as urllib does
            joined = None
        if joined is None:
            raise PageFailed("redirect_invalid", f"{request.url} -> {location!r}")
        self.check(request, joined)
        return response

    def check(self, request: Request, target: str) -> None:
        """Raise ``PageFailed`` when ``request`` may not go on to ``target`` (an absolute URL):
        the rules of a 3xx, applied to a meta refresh too (``metarefresh``)."""
        meta = request.meta
        target = urldefrag(target)[0]
        if urlsplit(target).scheme not in ("http", "https"):
            raise PageFailed("redirect_scheme", f"{request.url} -> {target}")
        site = self.site_named(meta.get("site", ""))
        if site is not None and not site.allows(target):
            raise PageFailed("offsite_redirect", f"{request.url} -> {target}")
        chain = [*meta.get("redirect_urls", []), request.url]
        if target in (urldefrag(u)[0] for u in chain):
            raise PageFailed("redirect_loop", " -> ".join([*chain, target]))
        if meta.get("redirect_times", 0) >= self.max_redirects:
            raise PageFailed("too_many_redirects", f"{len(chain)} hops from {chain[0]}")
