"""``<meta http-equiv="refresh">`` followed as Scrapy does, without decoding every page in the
crawl process to look for one. Scrapy's MetaRefreshMiddleware reads ``response.text``: the
whole body decoded (about 0.6 ms a page) and kept with the response while it waits for the
extraction pool (19 MiB of the crawl process's peak on the 470-page benchmark). A refresh
needs the ASCII word "refresh" in the first 4096 characters, which every ASCII-compatible
encoding keeps as those bytes, so a page without them is passed on undecoded, and a page with
them has only those first bytes decoded.

Replaces ``scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware`` (same settings:
``METAREFRESH_ENABLED``, ``METAREFRESH_MAXDELAY``, ``METAREFRESH_IGNORE_TAGS``).
"""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.crawl.middlewares.redirects import RedirectGuardMiddleware

# Scrapy looks at the first 4096 characters: at most four bytes each in UTF-8.
_HEAD_BYTES = 4 * 4096
# UTF-16 and UTF-32 byte order marks: encodings where "refresh" is not those ASCII bytes.
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def may_refresh(body: bytes) -> bool:
    """False only when the page cannot hold a meta refresh Scrapy would see."""
    head = body[:_HEAD_BYTES]
    return head.startswith(_WIDE_BOMS) or b"refresh" in head.lower()


class LazyMetaRefreshMiddleware(MetaRefreshMiddleware):
    """A refresh goes through the redirect rules (``RedirectGuardMiddleware.check``) as a 3xx
    does: without them, a refresh led off the site, to another port or into a loop."""

    guard: RedirectGuardMiddleware | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        try:
            middleware.guard = RedirectGuardMiddleware.from_crawler(crawler)
        except NotConfigured:  # REDIRECT_ENABLED off: Scrapy's own rules only
            middleware.guard = None
        return middleware

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not may_refresh(response.body):
            return response
        # Built anew: ``replace`` would read ``response.encoding``, which decodes the whole
        # body when the headers declare no charset.
        head = type(response)(
            response.url,
            status=response.status,
            headers=response.headers,
            body=response.body[:_HEAD_BYTES],
            request=request,
        )
        followed = super().process_response(request, head)
        if followed is head:
            return response
        if self.guard is not None and isinstance(followed, Request):
            self.guard.check(request, followed.url)
        return followed
