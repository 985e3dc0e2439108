"""Politeness for a distributed crawl as a whole: per host, the requests in flight and the delay
between them hold across every worker, coordinated through Redis. Scrapy keeps both per
process, so N workers on one portal would make N times the requests at once and N times the
rate the settings promise its operator.

A request takes a lease on its host (its download slot) before it is sent: at most the host's
concurrency are out at once, crawl-wide, and a lease is granted only once the host's
next-allowed time has come, which each grant moves on by the host's delay. The delay is the one
this worker's slot has for the host (``DOWNLOAD_DELAY``, robots.txt ``Crawl-delay`` from
``CrawlDelayMiddleware``, AutoThrottle's), applied crawl-wide and exactly (no jitter) instead of
in the slot; a ``Retry-After`` (429, 503) pauses the host for every worker. Leases are given
back with the response or the error (once Redis is back, if it was away), and lapse on their
own after ``DOWNLOAD_TIMEOUT`` + 10 s (a worker killed mid-request). Times are Redis' clock,
the one all the workers' machines share. While Redis is unreachable a request goes out under
this worker's own slot, delay restored.

Only in distributed crawls (``crawler.crawl.distributed.configure`` adds it at 950, after every
other downloader middleware). Settings: ``CONCURRENT_REQUESTS_PER_DOMAIN`` (or
``CONCURRENT_REQUESTS_PER_IP``, a ``DOWNLOAD_SLOTS`` concurrency), ``DOWNLOAD_DELAY``,
``DOWNLOAD_TIMEOUT``, ``NEWS_RETRY_AFTER_MAX``, ``NEWS_POLITENESS_POLL_SECONDS`` (how often a
request waiting for a lease asks again).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
from typing import Any

import redis
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy_redis import connection
from twisted.internet.defer import DeferredLock

from crawler.crawl.distributed import REDIS_DOWN, crawl_prefix, host_keys, redis_url
from crawler.crawl.faults import retry_after_seconds
from crawler.crawl.middlewares.retryafter import RETRY_AFTER_STATUSES

logger = logging.getLogger(__name__)

# request.meta key of a request's lease: (leases key, member).
LEASE = "newscrawl_lease"
LEASE_MARGIN = 10.0
# KEYS: the host's leases, the crawl's next-allowed times; ARGV: host, member, concurrency,
# delay ms, lease ms. 0: granted; > 0: ms until the host's next-allowed time; -1: all taken.
_ACQUIRE = """
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
local next_at = tonumber(redis.call('hget', KEYS[2], ARGV[1]) or '0')
if next_at > now then return next_at - now end
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end
redis.call('zadd', KEYS[1], now + tonumber(ARGV[5]), ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[5])
if tonumber(ARGV[4]) > 0 then redis.call('hset', KEYS[2], ARGV[1], now + tonumber(ARGV[4])) end
return 0
"""
# KEYS: the crawl's next-allowed times; ARGV: host, ms from now.
_PAUSE = """
local t = redis.call('time')
local until_at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
if until_at > tonumber(redis.call('hget', KEYS[1], ARGV[1]) or '0') then
  redis.call('hset', KEYS[1], ARGV[1], until_at)
end
"""


class SharedPoliteness:
    """The leases and next-allowed times of one crawl's hosts in Redis."""

    def __init__(self, server: redis.Redis, prefix: str, worker: str) -> None:
        self.server = server
        self.prefix = prefix
        self.worker = worker
        self.serial = itertools.count()

    def new_member(self) -> str:
        return f"{self.worker}:{next(self.serial)}"

    def acquire(
        self, host: str, concurrency: int, delay: float, lease_seconds: float, member: str = ""
    ) -> tuple[str, float]:
        """(lease, 0) when granted, else ("", seconds to wait; 0 for a full host)."""
        leases, times = host_keys(self.prefix, host)
        member = member or self.new_member()
        wait_ms = int(
            self.server.eval(
                _ACQUIRE,
                2,
                leases,
                times,
                host,
                member,
                concurrency,
                int(delay * 1000),
                int(lease_seconds * 1000),
            )
        )
        if wait_ms == 0:
            return member, 0.0
        return "", max(wait_ms, 0) / 1000

    def release(self, host: str, member: str) -> None:
        self.server.zrem(host_keys(self.prefix, host)[0], member)

    def pause(self, host: str, seconds: float) -> None:
        self.server.eval(_PAUSE, 1, host_keys(self.prefix, host)[1], host, int(seconds * 1000))


class PolitenessMiddleware:
    """Holds a request until its host has a free lease, crawl-wide; the requests of one host
    wait in line in this worker, so only the first of them asks Redis."""

    def __init__(
        self,
        crawler: Crawler,
        shared: SharedPoliteness | None,
        poll_seconds: float,
        timeout: float,
        retry_after_max: float,
    ) -> None:
        self.crawler = crawler
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.shared = shared
        self.poll_seconds = poll_seconds
        self.timeout = timeout
        self.retry_after_max = retry_after_max
        settings = crawler.settings
        self.concurrency = settings.getint("CONCURRENT_REQUESTS_PER_IP") or settings.getint(
            "CONCURRENT_REQUESTS_PER_DOMAIN"
        )
        self.default_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.slot_settings: dict[str, dict[str, Any]] = settings.getdict("DOWNLOAD_SLOTS")
        self.delays: dict[str, float] = {}  # host -> delay its slot asked for
        # Leases Redis was away to take back: given back once it is here again, not left to
        # lapse (a lapse takes DOWNLOAD_TIMEOUT, and a host of concurrency 1 would stop).
        self.unreleased: list[tuple[str, str]] = []
        self.lines: dict[str, DeferredLock] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PolitenessMiddleware:
        settings = crawler.settings
        if not redis_url(settings):
            raise NotConfigured("NEWS_REDIS_URL is empty: Scrapy's per-process politeness")
        mw = cls(
            crawler,
            None,
            settings.getfloat("NEWS_POLITENESS_POLL_SECONDS"),
            settings.getfloat("DOWNLOAD_TIMEOUT"),
            settings.getfloat("NEWS_RETRY_AFTER_MAX"),
        )
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self) -> None:
        spider = self.crawler.spider
        worker = getattr(spider, "worker_id", "") or "worker"
        self.shared = SharedPoliteness(
            connection.from_settings(self.crawler.settings), crawl_prefix(spider), worker
        )

    async def process_request(self, request: Request) -> None:
        if self.shared is None:
            return
        host = self._host(request)
        delay = self._take_slot_delay(host)
        concurrency = self.slot_settings.get(host, {}).get("concurrency", self.concurrency)
        # A lease outlives its download (DOWNLOAD_TIMEOUT bounds it) only for a dead worker.
        timeout = max(self.timeout, float(request.meta.get("download_timeout", 0)))
        lease_seconds = timeout + LEASE_MARGIN
        line = self.lines.setdefault(host, DeferredLock())
        await maybe_deferred_to_future(line.acquire())
        waited = False
        try:
            while True:
                candidate = self.shared.new_member()
                try:
                    self._release_pending()
                    member, wait = self.shared.acquire(
                        host, concurrency, delay, lease_seconds, candidate
                    )
                except REDIS_DOWN:
                    # Granted, perhaps, before Redis went: given back once it is here again.
                    self.unreleased.append((host, candidate))
                    # The scheduler reports the outage; meanwhile this worker's own slot.
                    self._restore_slot_delay(host, delay)
                    self.stats.inc_value("newscrawl/politeness/unshared")
                    return
                if member:
                    request.meta[LEASE] = (host, member)
                    break
                if not waited:
                    waited = True
                    self.stats.inc_value("newscrawl/politeness/waited")
                # Every waiting worker wakes for the host's next-allowed time, and the first to
                # ask wins it: woken in a random order within one poll, no worker starves (to
                # the timer, a second worker lost 29 of 30 such races).
                await sleep(
                    wait + random.uniform(0, self.poll_seconds) if wait else self.poll_seconds
                )
        finally:
            line.release()

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        if response.status in RETRY_AFTER_STATUSES and self.shared is not None:
            seconds = retry_after_seconds(response.headers.get("Retry-After"))
            if seconds and seconds <= self.retry_after_max:
                # RetryAfterMiddleware retries the page; every worker waits for the host.
                with contextlib.suppress(*REDIS_DOWN):
                    self.shared.pause(self._host(request), seconds)
                    self.stats.inc_value("newscrawl/politeness/paused")
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        self._release(request)

    def _release(self, request: Request) -> None:
        lease = request.meta.pop(LEASE, None)
        if lease is None or self.shared is None:
            return
        self.unreleased.append(lease)
        with contextlib.suppress(*REDIS_DOWN):
            self._release_pending()

    def _release_pending(self) -> None:
        assert self.shared is not None
        while self.unreleased:
            self.shared.release(*self.unreleased[-1])
            self.unreleased.pop()

    def _host(self, request: Request) -> str:
        return self.crawler.engine.downloader.get_slot_key(request)  # type: ignore[union-attr]

    def _take_slot_delay(self, host: str) -> float:
        """The delay this worker's slot has for ``host`` (set by DOWNLOAD_DELAY, Crawl-delay or
        AutoThrottle since the last request); the slot itself then waits no more."""
        slot = self.crawler.engine.downloader.slots.get(host)  # type: ignore[union-attr]
        if slot is not None and slot.delay > 0:
            self.delays[host] = slot.delay
            slot.delay = 0.0
        default = self.slot_settings.get(host, {}).get("delay", self.default_delay)
        return self.delays.get(host, default)

    def _restore_slot_delay(self, host: str, delay: float) -> None:
        slot = self.crawler.engine.downloader.slots.get(host)  # type: ignore[union-attr]
        if slot is not None:
            slot.delay = max(slot.delay, delay)
