"""The parts of a distributed crawl that need no crawl to check, against a real Redis: joining a
crawl and its lease, the shared page budget, the busy marks and the crawl's end they decide, a
pop Redis did not answer, the per-host leases and pauses of the shared politeness, and merging
the workers' manifests."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from scrapy_redis.dupefilter import RFPDupeFilter

from crawler import settings as project_settings
from crawler.crawl import faults
from crawler.crawl.distributed import (
    _BUSY,
    _POP,
    CRAWL_KEYS,
    IdleClose,
    RedisScheduler,
    SharedBudget,
    configure,
    join_crawl,
)
from crawler.crawl.middlewares.budget import PageBudgetMiddleware
from crawler.crawl.middlewares.politeness import SharedPoliteness
from crawler.runfiles.manifest import HealthRules, SiteTally, merge_manifests
from tests.conftest import RedisServer, needs_redis


def _settings(url: str, **extra: Any) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.update(extra, priority="cmdline")
    configure(settings, url)
    return settings


@needs_redis
def test_workers_join_the_running_crawl_and_a_lapsed_one_is_not_joined(redis_server: RedisServer):
    settings = _settings(redis_server.url, NEWS_REDIS_LEASE_SECONDS=1)
    first, seeds = join_crawl(settings, "news")
    second, also_seeds = join_crawl(settings, "news")
    assert (second, seeds, also_seeds) == (first, True, False)
    # Every worker of the crawl is gone: nobody renews the lease.
    time.sleep(1.5)
    third, seeds_again = join_crawl(settings, "news")
    assert third != first and seeds_again, "a new start after a dead crawl is a new crawl"
    # A crawl id given outright (a scheduler's run id) is joined as it is while it lives...
    fixed = _settings(redis_server.url, NEWS_CRAWL_ID="run-42", NEWS_REDIS_LEASE_SECONDS=1)
    assert join_crawl(fixed, "news") == ("run-42", True)
    assert join_crawl(fixed, "news") == ("run-42", False)
    server = redis.Redis.from_url(redis_server.url)
    server.sadd("newscrawl:news:run-42:dupefilter", "fingerprint-of-a-request-a-dead-worker-held")
    # ...and started again once its workers are gone (a scheduler retrying the run): the
    # requests its dead workers had taken are in its dupefilter, which would lose them.
    time.sleep(1.5)
    assert join_crawl(fixed, "news") == ("run-42", True)
    assert not server.exists("newscrawl:news:run-42:dupefilter")


@needs_redis
def test_the_page_budget_is_shared_by_the_workers_of_a_crawl(redis_server: RedisServer):
    settings = _settings(redis_server.url)
    workers = [
        PageBudgetMiddleware(5, {}, SharedBudget(settings, "news", "crawl-1")) for _ in range(2)
    ]
    refused = 0
    for n in range(10):
        try:
            workers[n % 2].process_request(Request(f"http://a.cn/{n}", meta={"page": True}))
        except faults.PageFailed as exc:
            assert exc.reason == "site_budget"
            refused += 1
    assert refused == 5, "ten pages, a budget of five for the crawl, not five per worker"
    # Another crawl has a budget of its own (no refusal here).
    other = PageBudgetMiddleware(5, {}, SharedBudget(settings, "news", "crawl-2"))
    other.process_request(Request("http://a.cn/0", meta={"page": True}))
    # The budget is one of the crawl's keys that the lease keeps alive and a finish expires.
    assert "budget" in CRAWL_KEYS
    assert redis.Redis.from_url(redis_server.url).exists("newscrawl:news:crawl-1:budget")


@needs_redis
def test_a_host_has_its_concurrency_and_delay_across_the_workers(redis_server: RedisServer):
    server = redis.Redis.from_url(redis_server.url)
    one, two = (SharedPoliteness(server, "newscrawl:news:c1", w) for w in ("w1", "w2"))
    leases = [one.acquire("a.cn", 2, 0, 30)[0], two.acquire("a.cn", 2, 0, 30)[0]]
    assert all(leases), "two leases for a host of concurrency 2"
    assert two.acquire("a.cn", 2, 0, 30) == ("", 0.0), "a third must wait"
    assert one.acquire("b.cn", 2, 0, 30)[0], "another host has leases of its own"
    one.release("a.cn", leases[0])
    lease, _ = two.acquire("a.cn", 2, 5.0, 30)
    assert lease, "a lease given back is taken"
    # That grant moved the host's next-allowed time 5 s on, for every worker.
    two.release("a.cn", lease)
    member, wait = one.acquire("a.cn", 4, 5.0, 30)
    assert not member and 4.0 < wait <= 5.0
    # A Retry-After pauses the host for every worker; a shorter one does not shorten it.
    one.pause("b.cn", 30)
    one.pause("b.cn", 1)
    member, wait = two.acquire("b.cn", 4, 0, 30)
    assert not member and 29.0 < wait <= 30.0
    # The lease of a worker killed mid-request lapses.
    lapsing = SharedPoliteness(server, "newscrawl:news:c2", "w3")
    assert lapsing.acquire("a.cn", 1, 0, 0.2)[0]
    assert lapsing.acquire("a.cn", 1, 0, 30) == ("", 0.0)
    time.sleep(0.3)
    assert lapsing.acquire("a.cn", 1, 0, 30)[0]


@needs_redis
def test_a_worker_sees_the_others_busy_and_a_dead_ones_mark_lapses(redis_server: RedisServer):
    server = redis.Redis.from_url(redis_server.url)
    key = "newscrawl:news:c1:busy"
    assert server.eval(_BUSY, 1, key, "w1", 5) == 0, "nobody else is busy"
    assert server.eval(_BUSY, 1, key, "w2", 0.2) == 1, "w1 is"
    assert server.eval(_BUSY, 1, key, "w1", 0) == 1, "w2 is; w1 is not any more"
    time.sleep(0.3)
    assert server.eval(_BUSY, 1, key, "w1", 0) == 0, "w2 stopped renewing: its mark lapsed"
    assert "busy" in CRAWL_KEYS and "politeness" in CRAWL_KEYS


def _idle_close(url: str, crawl_id: str, worker: str) -> IdleClose:
    """A worker's IdleClose on ``crawl_id`` (its renewals need a running engine: not started)."""
    crawler = get_crawler(Spider, {"NEWS_REDIS_URL": url})
    ext = IdleClose(crawler, crawler.settings.getfloat("NEWS_REDIS_IDLE_SECONDS"))
    ext.key, ext.worker = f"newscrawl:news:{crawl_id}:busy", worker
    ext.server = redis.Redis.from_url(url)
    return ext


def _closes(ext: IdleClose) -> bool:
    try:
        ext.spider_idle()
    except DontCloseSpider:
        return False
    return True


def _scheduler(url: str) -> RedisScheduler:
    """Worker w1's scheduler of crawl c1, opened."""
    crawler = get_crawler(Spider, {"REDIS_URL": url, "DUPEFILTER_CLASS": RFPDupeFilter})
    scheduler = RedisScheduler.from_crawler(crawler)
    spider = Spider("news", crawl_id="c1", worker_id="w1")
    spider.settings = crawler.settings
    scheduler.open(spider)
    return scheduler


@needs_redis
def test_an_idle_worker_closes_at_once_when_no_worker_holds_work(redis_server: RedisServer):
    settings = _settings(redis_server.url, NEWS_CRAWL_ID="c1", NEWS_WORKER_ID="w1")
    assert join_crawl(settings, "news") == ("c1", True)
    w2 = _idle_close(redis_server.url, "c1", "w2")
    assert not _closes(w2), "the seeder has not queued its start requests yet: not the end"
    w1 = _idle_close(redis_server.url, "c1", "w1")
    assert _closes(w1), "the seeder idle, nobody else busy: the crawl is over"
    assert _closes(w2)
    # A pop marks the worker that took the request busy, in the same step: until it is idle
    # again (its page may yield links), the others are not done.
    scheduler = _scheduler(redis_server.url)
    scheduler.enqueue_request(Request("http://a.cn/1"))
    assert scheduler._pop() is not None
    assert not _closes(w2), "w1 holds a request taken from the queue"
    assert _closes(w1) and _closes(w2), "w1 done with it: the end"


@needs_redis
def test_a_request_whose_pop_redis_did_not_answer_is_found_again(redis_server: RedisServer):
    scheduler = _scheduler(redis_server.url)
    scheduler.enqueue_request(Request("http://a.cn/1"))
    scheduler._flush()
    # Redis takes the request off the queue and dies before its answer reaches the worker.
    scheduler.unanswered_pop = "s:0"
    server = redis.Redis.from_url(redis_server.url)
    keys = (scheduler.queue_key, scheduler.popped_key, scheduler.busy_key)
    assert server.eval(_POP, 3, *keys, "s:0", 60, "w1", 5)
    assert not server.zcard(scheduler.queue_key)
    # Redis back: the next pop finds it, once.
    found = scheduler._pop()
    assert found is not None and found.url == "http://a.cn/1"
    assert scheduler._pop() is None
    # An older pop of this worker's is not taken for the one Redis did not answer.
    scheduler.unanswered_pop = "s:1"
    assert scheduler._pop() is None


@needs_redis
def test_requests_are_queued_once_in_priority_order_and_an_unfiltered_one_again(
    redis_server: RedisServer,
):
    scheduler = _scheduler(redis_server.url)
    dropped: list[Request] = []

    def on_dropped(request: Request, spider: Spider) -> None:
        dropped.append(request)

    scheduler.crawler.signals.connect(on_dropped, signals.request_dropped)
    scheduler.enqueue_request(Request("http://a.cn/low"))
    scheduler.enqueue_request(Request("http://a.cn/low", priority=5))
    scheduler.enqueue_request(Request("http://a.cn/high", priority=5))
    scheduler.enqueue_request(Request("http://a.cn/low", dont_filter=True, priority=1))
    assert scheduler.has_pending_requests(), "not pushed yet: the worker is not idle"
    scheduler._flush()
    assert scheduler.stats.get_value("scheduler/enqueued/redis") == 3
    # The one seen before is dropped as Scrapy's own scheduler drops it: counted and signalled.
    assert scheduler.stats.get_value("dupefilter/filtered") == 1
    assert [(r.url, r.priority) for r in dropped] == [("http://a.cn/low", 5)]
    # A worker joining the crawl sees the same dupefilter.
    other = RFPDupeFilter(scheduler.server, key=scheduler.df.key)
    assert other.request_seen(Request("http://a.cn/high"))
    assert not other.request_seen(Request("http://a.cn/new"))
    popped = [scheduler._pop() for _ in range(3)]
    assert [(r.url, r.priority) for r in popped if r] == [
        ("http://a.cn/high", 5),
        ("http://a.cn/low", 1),
        ("http://a.cn/low", 0),
    ]
    assert scheduler._pop() is None


def _manifest(worker: str, new: int, failed: int, reason: str = "finished") -> dict[str, Any]:
    tally = SiteTally(pages_fetched=new + failed, responses_ok=new)
    tally.articles.update(new=new)
    tally.errors.update({"failed/timeout": failed} if failed else {})
    tally.covered.update(date_published=new, authors=new // 2, language=new)
    return {
        "crawl_id": "c1",
        "spider": "news",
        "worker_id": worker,
        "started_at": f"2026-11-26T10:0{worker[-1]}:00Z",
        "finished_at": f"2026-11-26T11:0{worker[-1]}:00Z",
        "finish_reason": reason,
        "sites": {"gazette": tally.summary()},
        "files": [{"uri": f"out/gazette-{worker}.jsonl", "records": new, "committed": True}],
        "health": {"failures": []},
    }


def test_manifests_of_the_workers_merge_into_one():
    rules = HealthRules(max_error_rate=0.3)
    merged = merge_manifests([_manifest("w1", 60, 0), _manifest("w2", 40, 10)], rules)
    site = merged["sites"]["gazette"]
    assert merged["workers"] == ["w1", "w2"]
    assert merged["totals"]["records"] == 100 and site["articles"]["new"] == 100
    assert site["error_rate"] == pytest.approx(10 / 110, abs=1e-4)
    assert site["coverage"] == {"date_published": 1.0, "authors": 0.5, "language": 1.0}
    assert (merged["started_at"], merged["finished_at"]) == (
        "2026-11-26T10:01:00Z",
        "2026-11-26T11:02:00Z",
    )
    assert merged["health"]["ok"], merged["health"]
    # One worker that lost Redis makes the crawl unhealthy, though the sums look fine.
    cut = _manifest("w2", 40, 0, reason="redis_unavailable")
    cut["health"]["failures"] = ["the crawl did not finish: redis_unavailable"]
    merged = merge_manifests([_manifest("w1", 60, 0), cut], rules)
    assert not merged["health"]["ok"] and merged["health"]["exit_code"] == 3
    assert any(
        f.startswith("worker w2: the crawl did not finish") for f in merged["health"]["failures"]
    )
    with pytest.raises(ValueError, match="different crawls"):
        merge_manifests([_manifest("w1", 1, 0), {**_manifest("w2", 1, 0), "crawl_id": "c2"}], rules)
