"""Distributed crawls on Redis (scrapy-redis): many ``scrapy crawl news`` workers share one
frontier, one request dupefilter and one crawl state.

``NEWS_REDIS_URL`` (setting or environment variable) switches it on; without it this module is
never imported. ``configure`` (called from the spider's ``update_settings``) swaps in the
scrapy-redis scheduler and dupefilter, keeps the crawl state in the same Redis unless
``NEWS_STATE`` is given, and adds the ``IdleClose`` and ``CrawlLease`` extensions. Workers of
one crawl share its crawl id: ``NEWS_CRAWL_ID`` when given (e.g. a scheduler's run id), else the
crawl the first worker registered in Redis. The first worker of a crawl (a Redis ``SET NX``)
pushes the sites' start requests into the shared queue; the others take their work from it.

A worker takes work as soon as there is any: while its local queue is empty it asks the shared
queue every ``NEWS_REDIS_POLL_SECONDS`` (Scrapy's engine itself looks only every 5 s), and it
holds at most twice ``CONCURRENT_REQUESTS`` requests taken from the queue and not yet done, so
that a worker whose extraction lags leaves the rest to the others. A worker with work in hand is
marked busy in Redis: by the pop that hands it a request (in the same script, so no request is
ever out of the queue without a busy worker holding it) and, for the seeder, by the seeding
itself, until its start requests are queued. An idle worker closes once the queue is empty and
no worker of the crawl is busy: then no page is left that could yield a link.

Running workers renew a lease on their crawl (``CrawlLease``). When every worker of a crawl is
gone (killed, or stopped because Redis went away) it lapses: the next start without
``NEWS_CRAWL_ID`` is a new crawl, and a start with the dead crawl's id (a scheduler retrying its
run) restarts that crawl from its start requests. Neither continues the old queue: the requests
the dead workers had taken from it are marked seen in its dupefilter and would be lost. The
crawl state makes the new start emit only what the dead one did not deliver.

Redis keys, all under ``newscrawl:<spider>:``: ``current`` (the crawl id workers join),
``<crawl_id>:seeded``, ``<crawl_id>:requests`` (the queue), ``<crawl_id>:dupefilter``,
``<crawl_id>:budget`` (pages fetched per site: the page budget is shared), ``<crawl_id>:busy``
(the workers with work in hand), ``<crawl_id>:popped:<worker>`` (a worker's last request taken
from the queue, kept in case Redis died before answering), ``<crawl_id>:politeness`` (each
host's next-allowed time), ``<crawl_id>:leases:<host>`` (the requests in flight to a host),
``<crawl_id>:alive`` (the lease).

Settings: ``NEWS_REDIS_URL``, ``NEWS_REDIS_IDLE_SECONDS`` (how long the crawl must have
looked finished, the queue empty and no worker busy, before a worker closes),
``NEWS_REDIS_POLL_SECONDS``, ``CONCURRENT_REQUESTS``, ``NEWS_REDIS_RETRY_SECONDS`` (how long a
worker that lost Redis retries before it stops, finish reason ``redis_unavailable``: an
unhealthy run), ``NEWS_REDIS_LEASE_SECONDS`` (how long a crawl whose workers are all gone stays
the one new workers join), ``NEWS_WORKER_ID`` (in output and manifest names; default host-pid).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import time
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Request
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.asyncio import CallLaterResult, call_later
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis import connection
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.runfiles.manifest import new_crawl_id, worker_id

logger = logging.getLogger(__name__)

# Redis is gone (refused, reset, timed out): what a worker retries on.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
# The finish reason of a worker that gave up on Redis (crawler.runfiles.manifest: cut short).
REDIS_UNAVAILABLE = "redis_unavailable"
# Keys of a finished crawl (its queue and dupefilter) are kept this long, then Redis drops them.
FINISHED_KEYS_TTL = 24 * 3600
_BACKOFF_MAX = 8.0
# The keys of one crawl, under newscrawl:<spider>:<crawl_id>:
CRAWL_KEYS = ("requests", "dupefilter", "seeded", "budget", "busy", "politeness")
# A worker's busy mark lapses this long after its last renewal (a killed worker's, too).
BUSY_SECONDS = 5.0
# Deletes the current-crawl pointer only when it still names this crawl.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
# KEYS: current, alive, then the crawl's keys; ARGV: crawl id, lease, how long the keys live.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('expire', KEYS[1], ARGV[2]) end
redis.call('set', KEYS[2], '1', 'EX', ARGV[2])
for i = 3, #KEYS do redis.call('expire', KEYS[i], ARGV[3]) end
"""
# KEYS: alive, then the crawl's keys (seeded among them); ARGV: lease. A crawl that was seeded
# but has no live worker is dead: its keys go, so that this start seeds it again. 1 if it was.
_JOIN = """
local dead = 0
if redis.call('exists', KEYS[1]) == 0 then
  for i = 2, #KEYS do dead = dead + redis.call('del', KEYS[i]) end
end
redis.call('set', KEYS[1], '1', 'EX', ARGV[1])
return dead
"""


def _mark(busy: int, worker: int) -> str:
    """Lua marking the worker named by ARGV[worker] busy in KEYS[busy] for ARGV[worker + 1]
    seconds, by Redis' clock (the one clock all the workers' machines share): a mark not renewed
    lapses (a killed worker's)."""
    return f"""
local t = redis.call('time')
redis.call('zadd', KEYS[{busy}], t[1] + t[2] / 1e6 + ARGV[{worker + 1}], ARGV[{worker}])
"""


# KEYS: the queue (scrapy-redis' priority queue, a sorted set), this worker's last pop, busy;
# ARGV: a token naming this pop, how long the last pop is kept, worker, seconds its busy mark
# lasts. When Redis dies between doing a pop and answering it, the request would be lost: the
# worker finds it here once Redis is back. The worker is marked busy with the pop, so that a
# request is never out of the queue while no worker looks busy (IdleClose).
_POP = f"""
local found = redis.call('zrange', KEYS[1], 0, 0)
if #found == 0 then return false end
redis.call('zremrangebyrank', KEYS[1], 0, 0)
redis.call('hset', KEYS[2], 'token', ARGV[1], 'request', found[1])
redis.call('expire', KEYS[2], ARGV[2])
{_mark(3, 3)}
return found[1]
"""
# KEYS: the dupefilter, the queue; ARGV: per request its fingerprint ('' when it is not
# filtered), score and encoding. The dupefilter check and the push of a batch of requests in
# one round trip; per request 1 when queued, 0 when seen before.
_PUSH = """
local queued = {}
for i = 1, #ARGV, 3 do
  if ARGV[i] ~= '' and redis.call('sadd', KEYS[1], ARGV[i]) == 0 then
    queued[#queued + 1] = 0
  else
    redis.call('zadd', KEYS[2], ARGV[i + 1], ARGV[i + 2])
    queued[#queued + 1] = 1
  end
end
return queued
"""
# Requests pushed a round trip at most (the links of a page go in one).
PUSH_BATCH = 100
# KEYS: seeded, busy; ARGV: worker, seconds its busy mark lasts. 1 for the first worker of the
# crawl, its seeder, marked busy until its start requests are queued: until then the queue is
# empty and the others must not take the crawl for finished.
_SEED = f"""
if not redis.call('set', KEYS[1], '1', 'NX') then return 0 end
{_mark(2, 1)}
return 1
"""
# KEYS: busy; ARGV: worker, seconds its mark lasts (0: not busy). How many others are busy.
# Marks expire by Redis' clock, the one clock all the workers' machines share.
_BUSY = """
local t = redis.call('time')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
if tonumber(ARGV[2]) > 0 then
  redis.call('zadd', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
else
  redis.call('zrem', KEYS[1], ARGV[1])
end
local others = redis.call('zcard', KEYS[1])
if redis.call('zscore', KEYS[1], ARGV[1]) then others = others - 1 end
return others
"""


def redis_url(settings: BaseSettings) -> str:
    return settings.get("NEWS_REDIS_URL") or os.environ.get("NEWS_REDIS_URL", "")


def configure(settings: BaseSettings, url: str) -> None:
    """Distributed mode: the Scrapy settings scrapy-redis needs, from ``NEWS_*`` settings."""
    prio = "spider"
    settings.set("NEWS_REDIS_URL", url, prio)
    settings.set("SCHEDULER", "crawler.crawl.distributed.RedisScheduler", prio)
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", prio)
    # The queue and the dupefilter outlive a worker: the others still use them.
    settings.set("SCHEDULER_PERSIST", True, prio)
    settings.set("REDIS_URL", url, prio)
    settings.set(
        "REDIS_PARAMS",
        {
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
            # No retries inside redis-py: they would block the reactor; the scheduler backs off.
            "retry": Retry(NoBackoff(), 0),
            "encoding": "utf-8",
        },
        prio,
    )
    # The crawl state is shared too, unless NEWS_STATE was given outright.
    if (settings.getpriority("NEWS_STATE") or 0) <= SETTINGS_PRIORITIES["project"]:
        settings.set("NEWS_STATE", url, prio)
    # Per-host concurrency and delay for the crawl as a whole, not per worker.
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.crawl.middlewares.politeness.PolitenessMiddleware"] = 950
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, prio)
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.crawl.distributed.IdleClose"] = 50
    extensions["crawler.crawl.distributed.CrawlLease"] = 50
    settings.set("EXTENSIONS", extensions, prio)


def _prefix(spider_name: str) -> str:
    return f"newscrawl:{spider_name}"


def crawl_prefix(spider: Spider, missing_id: str = "") -> str:
    """``newscrawl:<spider>:<crawl_id>``, under which the keys of the spider's crawl are."""
    return f"{_prefix(spider.name)}:{getattr(spider, 'crawl_id', missing_id)}"


def host_keys(crawl_prefix: str, host: str) -> tuple[str, str]:
    """The keys of a host's politeness (``crawler.crawl.middlewares.politeness``): its leases,
    and the crawl's hash of next-allowed times."""
    return f"{crawl_prefix}:leases:{host}", f"{crawl_prefix}:politeness"


def join_crawl(settings: BaseSettings, spider_name: str) -> tuple[str, bool]:
    """(crawl id, whether this worker seeds it): ``NEWS_CRAWL_ID``, or the crawl running now,
    or a new one registered for the workers that start after this one."""
    server = connection.from_settings(settings)
    prefix = _prefix(spider_name)
    lease = settings.getint("NEWS_REDIS_LEASE_SECONDS")
    crawl_id = settings.get("NEWS_CRAWL_ID")
    if not crawl_id:
        crawl_id = new_crawl_id()
        if not server.set(f"{prefix}:current", crawl_id, nx=True, ex=lease):
            current = server.get(f"{prefix}:current")
            if current:
                crawl_id = current.decode() if isinstance(current, bytes) else str(current)
    keys = [f"{prefix}:{crawl_id}:{key}" for key in ("alive", *CRAWL_KEYS)]
    if server.eval(_JOIN, len(keys), *keys, lease):
        logger.warning(
            "Crawl %(crawl_id)s has no live worker (none renewed it for %(s)d s, "
            "NEWS_REDIS_LEASE_SECONDS): starting it again from its start requests; the crawl "
            "state keeps what it delivered from being emitted again",
            {"crawl_id": crawl_id, "s": lease},
        )
    # Its busy mark outlives the seeder's start-up (renewed from its start on, IdleClose); a
    # seeder that dies before it queued anything holds the others this long.
    seed_keys = (f"{prefix}:{crawl_id}:seeded", f"{prefix}:{crawl_id}:busy")
    seeder = bool(server.eval(_SEED, 2, *seed_keys, _worker(settings), lease))
    logger.info(
        "Distributed crawl %(crawl_id)s: %(role)s",
        {"crawl_id": crawl_id, "role": "seeding it" if seeder else "joined, not seeding"},
    )
    return crawl_id, seeder


def _worker(settings: BaseSettings) -> str:
    """This worker's name in its busy mark: the spider's ``worker_id`` (``NEWS_WORKER_ID``, by
    default ``<hostname>-<pid>``)."""
    return settings.get("NEWS_WORKER_ID") or worker_id()


class RedisScheduler(Scheduler):
    """scrapy-redis' scheduler, keyed by crawl id, that takes work as soon as there is any and
    survives Redis going away: requests it cannot push wait in memory (they pass the shared
    dupefilter once Redis is back), and after ``NEWS_REDIS_RETRY_SECONDS`` without Redis the
    worker stops (``redis_unavailable``).

    Scrapy's engine asks the scheduler again only when something happens in this worker, or
    every 5 s: a worker whose queue was empty when the others seeded it would sit idle. So
    while it has nothing to hand, the engine is woken every ``NEWS_REDIS_POLL_SECONDS``. It
    holds at most ``2 x CONCURRENT_REQUESTS`` requests between the queue and the end of their
    scraping: what it cannot do soon stays in the queue for the other workers."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        scheduler = cls.from_settings(crawler.settings)
        scheduler.crawler = crawler
        scheduler.stats = crawler.stats
        scheduler.retry_seconds = crawler.settings.getfloat("NEWS_REDIS_RETRY_SECONDS")
        scheduler.poll_seconds = crawler.settings.getfloat("NEWS_REDIS_POLL_SECONDS")
        scheduler.hold_max = 2 * crawler.settings.getint("CONCURRENT_REQUESTS")
        return scheduler

    def __init__(self, server: Any, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self.retry_seconds = 60.0
        self.poll_seconds = 0.2
        self.hold_max = 32
        self.poll: CallLaterResult | None = None
        self.flush_call: CallLaterResult | None = None
        self.pops = itertools.count()
        self.session = os.urandom(4).hex()  # a restarted namesake's pops are not this one's
        self.unanswered_pop = ""
        self.popped_key = ""
        self.busy_key = ""
        self.worker = ""
        self.backlog: list[Request] = []
        self.down_since: float | None = None
        self.next_try = 0.0
        self.failures = 0
        self.gave_up = False

    def open(self, spider: Spider) -> None:
        prefix = crawl_prefix(spider, "crawl")
        self.queue_key = f"{prefix}:requests"
        self.worker = getattr(spider, "worker_id", "")
        self.popped_key = f"{prefix}:popped:{self.worker}"
        self.busy_key = f"{prefix}:busy"
        self.push_script = self.server.register_script(_PUSH)
        self.df = RFPDupeFilter(
            self.server,
            key=f"{prefix}:dupefilter",
            debug=spider.settings.getbool("DUPEFILTER_DEBUG"),
        )
        super().open(spider)

    def close(self, reason: str) -> None:
        for call in (self.poll, self.flush_call):
            if call is not None:
                call.cancel()
        self.poll = self.flush_call = None
        if self.backlog and self._redis_up():
            with contextlib.suppress(*REDIS_DOWN):
                self._flush()
        super().close(reason)

    def enqueue_request(self, request: Request) -> bool:
        """Into the backlog, pushed with the others of this reactor turn (the links of a page)
        in one round trip, or by the next pop (the only way outside a running crawl: no
        reactor). True: whether the dupefilter drops it is known only then, and ``_flush``
        then does what Scrapy's engine does for a request its scheduler refuses."""
        self.backlog.append(request)
        if self.flush_call is None and self.crawler.crawling:
            self.flush_call = call_later(0, self._flush_soon)
        return True

    def _flush_soon(self) -> None:
        self.flush_call = None
        if not self.backlog or not self._redis_up():
            return
        try:
            self._flush()
        except REDIS_DOWN as exc:
            self._lost(exc)
            return
        self._back()

    def _flush(self) -> None:
        """scrapy-redis' dupefilter check and push (a sorted set scored by -priority) of the
        backlog, ``PUSH_BATCH`` requests a script: atomic, so a request is queued if and only
        if its fingerprint went in. A request seen before is counted ``dupefilter/filtered``
        and sent with ``request_dropped``, as Scrapy's own scheduler and engine do (scrapy-redis'
        dupefilter only logs it)."""
        keys = (self.df.key, self.queue_key)
        while self.backlog:
            batch = self.backlog[:PUSH_BATCH]
            args: list[Any] = []
            for request in batch:
                fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
                args += (fingerprint, -request.priority, self.queue._encode_request(request))
            try:
                queued = self.push_script(keys=keys, args=args)
            except REDIS_DOWN:
                self.backlog[: len(batch)] = [_unfiltered(request) for request in batch]
                raise
            del self.backlog[: len(batch)]
            for request, done in zip(batch, queued, strict=True):
                if done:
                    self.stats.inc_value("scheduler/enqueued/redis")
                else:
                    self.df.log(request, self.spider)
                    self.stats.inc_value("dupefilter/filtered")
                    self.crawler.signals.send_catch_log(
                        signals.request_dropped, request=request, spider=self.spider
                    )

    def next_request(self) -> Request | None:
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and self.hold_max and len(slot.inprogress) >= self.hold_max:
            # The engine asks again when one of them is done.
            return None
        request = self._pop()
        if request is None:
            self._poll_later()
        return request

    def _pop(self) -> Request | None:
        if not self._redis_up():
            return None
        try:
            self._flush()
            request = self._recover_pop() if self.unanswered_pop else None
            if request is None:
                self.unanswered_pop = f"{self.session}:{next(self.pops)}"
                keys = (self.queue_key, self.popped_key, self.busy_key)
                args = (self.unanswered_pop, FINISHED_KEYS_TTL, self.worker, BUSY_SECONDS)
                encoded = self.server.eval(_POP, len(keys), *keys, *args)
                self.unanswered_pop = ""
                request = self.queue._decode_request(encoded) if encoded else None
        except REDIS_DOWN as exc:
            self._lost(exc)
            return None
        self._back()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _recover_pop(self) -> Request | None:
        """The request of the pop whose answer Redis did not give, if it was done."""
        token, encoded = self.server.hmget(self.popped_key, "token", "request")
        recovered = token == self.unanswered_pop.encode() and encoded
        self.unanswered_pop = ""
        if not recovered:
            return None
        self.stats.inc_value("newscrawl/redis/pops_recovered")
        return self.queue._decode_request(encoded)

    def _poll_later(self) -> None:
        if self.poll is None and self.poll_seconds > 0:
            self.poll = call_later(self.poll_seconds, self._wake)

    def _wake(self) -> None:
        self.poll = None
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule()

    def has_pending_requests(self) -> bool:
        if self.backlog or not self._redis_up():
            # Not idle while Redis is away: the crawl must not look finished.
            return not self.gave_up
        try:
            pending = len(self.queue) > 0
        except REDIS_DOWN as exc:
            self._lost(exc)
            return not self.gave_up
        self._back()
        return pending

    def _redis_up(self) -> bool:
        """False while waiting for the next attempt to reach a Redis that went away."""
        if self.down_since is None:
            return True
        if self.gave_up:
            return False
        if time.monotonic() - self.down_since > self.retry_seconds:
            self._give_up()
            return False
        return time.monotonic() >= self.next_try

    def _lost(self, exc: BaseException) -> None:
        now = time.monotonic()
        self.failures += 1
        if self.down_since is None:
            self.down_since = now
            logger.error(
                "Redis is unreachable (%(error)s): retrying for up to %(s)s s "
                "(NEWS_REDIS_RETRY_SECONDS), then this worker stops",
                {"error": exc, "s": self.retry_seconds},
            )
            self.stats.inc_value("newscrawl/redis/outages")
        self.next_try = now + min(_BACKOFF_MAX, 0.5 * 2 ** (self.failures - 1))

    def _back(self) -> None:
        if self.down_since is not None:
            logger.warning(
                "Redis is back after %(s).1f s", {"s": time.monotonic() - self.down_since}
            )
        self.down_since, self.failures = None, 0

    def _give_up(self) -> None:
        self.gave_up = True
        logger.error(
            "Redis unreachable for more than %(s)s s (NEWS_REDIS_RETRY_SECONDS): stopping this "
            "worker; %(n)d requests not queued. Output not yet committed is not delivered and "
            "is emitted again by the next crawl.",
            {"s": self.retry_seconds, "n": len(self.backlog)},
        )
        self.backlog.clear()
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=REDIS_UNAVAILABLE))


def _unfiltered(request: Request) -> Request:
    """A request whose push failed may be in the dupefilter already (its script ran, or may
    have): asking it again would drop the request for good. Fetching it twice is the lesser
    harm; the crawl state keeps it from being delivered twice in later crawls."""
    return request if request.dont_filter else request.replace(dont_filter=True)


class IdleClose:
    """Closes a worker once the shared queue is empty, nothing is in hand here and no other
    worker of the crawl is busy, and has stayed so for ``NEWS_REDIS_IDLE_SECONDS`` (default 0:
    at once). Busy marks make that the crawl's end: a worker is marked busy in Redis by the pop
    that hands it a request (``RedisScheduler``), and by the seeding until its start requests
    are queued; the mark is renewed every second while it has work in hand (a page in hand may
    yet fill the queue) and dropped when it has none. A killed worker's mark lapses after
    ``BUSY_SECONDS``."""

    def __init__(self, crawler: Crawler, idle_seconds: float) -> None:
        self.crawler = crawler
        self.idle_seconds = idle_seconds
        self.idle_since: float | None = None
        self.loop: task.LoopingCall | None = None
        self.key = ""
        self.worker = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IdleClose:
        if not redis_url(crawler.settings):
            raise NotConfigured("NEWS_REDIS_URL is empty")
        ext = cls(crawler, crawler.settings.getfloat("NEWS_REDIS_IDLE_SECONDS"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.busy, signal=signals.request_reached_downloader)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.key = f"{crawl_prefix(spider)}:busy"
        self.worker = getattr(spider, "worker_id", "") or new_crawl_id()
        self.server: redis.Redis = connection.from_settings(self.crawler.settings)
        self.loop = task.LoopingCall(self.renew)
        self.loop.start(BUSY_SECONDS / 5)

    def spider_closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.mark(busy=False)

    def busy(self) -> None:
        self.idle_since = None

    def renew(self) -> None:
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None and not engine.spider_is_idle():
            self.mark(busy=True)

    def mark(self, busy: bool) -> int | None:
        """Marks this worker busy or not; how many others are busy, None when Redis is away
        (the scheduler reports the outage and decides when to stop)."""
        if not self.key:
            return 0
        try:
            seconds = BUSY_SECONDS if busy else 0
            return int(self.server.eval(_BUSY, 1, self.key, self.worker, seconds))
        except REDIS_DOWN:
            return None

    def spider_idle(self) -> None:
        now = time.monotonic()
        if self.mark(busy=False) != 0:
            # Another worker has work in hand, or Redis could not say: not the end.
            self.idle_since = None
            raise DontCloseSpider
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_seconds:
            raise DontCloseSpider


class CrawlLease:
    """Renews, while this worker runs, the registration of its crawl as the one new workers
    join, and keeps the crawl's keys alive: a crawl whose workers all died lapses by itself.
    A finished crawl lets the next one start afresh: the current-crawl pointer goes, the
    crawl's keys expire."""

    def __init__(self, crawler: Crawler, lease: int) -> None:
        self.crawler = crawler
        self.lease = lease
        self.loop: task.LoopingCall | None = None
        self.keys: list[str] = []
        self.crawl_id = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlLease:
        if not redis_url(crawler.settings):
            raise NotConfigured("NEWS_REDIS_URL is empty")
        ext = cls(crawler, crawler.settings.getint("NEWS_REDIS_LEASE_SECONDS"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        prefix = _prefix(spider.name)
        self.crawl_id = getattr(spider, "crawl_id", "")
        self.keys = [f"{prefix}:current"]
        self.keys += [f"{prefix}:{self.crawl_id}:{key}" for key in ("alive", *CRAWL_KEYS)]
        self.server: redis.Redis = connection.from_settings(self.crawler.settings)
        self.loop = task.LoopingCall(self.renew)
        self.loop.start(max(self.lease / 4, 0.5))

    def renew(self) -> None:
        # Redis away: the scheduler reports the outage and decides when to stop.
        with contextlib.suppress(*REDIS_DOWN):
            self.server.eval(
                _RENEW, len(self.keys), *self.keys, self.crawl_id, self.lease, FINISHED_KEYS_TTL
            )

    def spider_closed(self, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if reason != "finished":
            return
        try:
            self.server.eval(_RELEASE, 1, self.keys[0], self.crawl_id)
            for key in self.keys[2:]:
                self.server.expire(key, FINISHED_KEYS_TTL)
        except REDIS_DOWN as exc:
            logger.warning("Could not mark the crawl finished in Redis: %(e)s", {"e": exc})


class SharedBudget:
    """Pages fetched per site, counted in Redis across the workers of one crawl
    (``crawler.crawl.middlewares.budget``)."""

    def __init__(self, settings: BaseSettings, spider_name: str, crawl_id: str) -> None:
        self.server: redis.Redis = connection.from_settings(settings)
        self.key = f"{_prefix(spider_name)}:{crawl_id}:budget"
        self.local: dict[str, int] = {}

    def take(self, site: str) -> int:
        """Counts one page of ``site``; the pages counted so far, this one included."""
        self.local[site] = self.local.get(site, 0) + 1
        try:
            return int(self.server.hincrby(self.key, site, 1))
        except REDIS_DOWN:
            # This worker's own count: the scheduler reports the outage and stops the worker.
            return self.local[site]
