"""``Retry-After`` honoured: a 429 or 503 that says when to come back stops requests to that
host until then, and the page is retried (counted against ``RETRY_TIMES``). Scrapy's
RetryMiddleware retries at once, which a rate-limiting server answers with more 429s. A wait
longer than ``NEWS_RETRY_AFTER_MAX`` is not worth holding the crawl for: the page fails
(``failed/http_429``) without further retries.

Settings: ``NEWS_RETRY_AFTER_MAX``, ``RETRY_ENABLED``, ``RETRY_TIMES``.
"""

from __future__ import annotations

import logging
from time import monotonic

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import sleep

from crawler.crawl.faults import retry_after_seconds

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = frozenset({429, 503})


class RetryAfterMiddleware:
    """Ordered before RetryMiddleware for responses (a higher number in
    ``DOWNLOADER_MIDDLEWARES``), so that it sees a 429 first."""

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.not_before: dict[str, float] = {}  # slot key -> monotonic time

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        if not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        return cls(crawler, crawler.settings.getfloat("NEWS_RETRY_AFTER_MAX"))

    async def process_request(self, request: Request) -> None:
        key = self._slot_key(request)
        wait = self.not_before.get(key, 0.0) - monotonic()
        if wait > 0:
            await sleep(wait)
        elif key in self.not_before:
            del self.not_before[key]

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in RETRY_AFTER_STATUSES or request.meta.get("dont_retry"):
            return response
        seconds = retry_after_seconds(response.headers.get("Retry-After"))
        if seconds is None:
            return response  # RetryMiddleware's ordinary retry
        stats = self.crawler.stats
        assert stats is not None
        if seconds > self.max_wait:
            stats.inc_value("newscrawl/retry_after/too_long")
            logger.info(
                "%(url)s: Retry-After %(seconds)s s is beyond NEWS_RETRY_AFTER_MAX; giving up",
                {"url": request.url, "seconds": seconds},
            )
            request.meta["dont_retry"] = True  # nor an immediate retry by RetryMiddleware
            return response
        retry = get_retry_request(
            request, spider=self.crawler.spider, reason=f"{response.status} Retry-After"
        )
        if retry is None:
            request.meta["dont_retry"] = True  # retries used up: RetryMiddleware agrees
            return response
        key = self._slot_key(request)
        self.not_before[key] = max(self.not_before.get(key, 0.0), monotonic() + seconds)
        stats.inc_value("newscrawl/retry_after/waited")
        logger.info(
            "%(url)s: %(status)d, Retry-After %(seconds)s s; pausing %(key)s",
            {"url": request.url, "status": response.status, "seconds": seconds, "key": key},
        )
        return retry

    def _slot_key(self, request: Request) -> str:
        return self.crawler.engine.downloader.get_slot_key(request)  # type: ignore[union-attr]
