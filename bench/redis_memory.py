"""Redis memory of a distributed crawl, per URL: what the shared queue, the request dupefilter and
the crawl state keep, measured by filling a Redis of its own with synthetic article URLs through
newscrawl's own components (the scheduler's queue and serializer, scrapy-redis' dupefilter, the
Redis crawl state) and reading ``used_memory`` before and after each.

    python bench/redis_memory.py [CORPUS] [--urls N] [--json OUT]

- queue: N article requests as the spider makes them (callback, errback, meta: site, via,
  date hint, page), pushed into the crawl's priority queue: what waits to be fetched.
- dupefilter: the N requests' fingerprints in the crawl's dupefilter set.
- state: N delivered articles settled into the crawl state in batches of 1000: each page's
  state, each record's state, the duplicate-text and near-duplicate (simhash band) indexes.

It starts ``redis-server`` on a free loopback port (no persistence) and stops it at the end.
CORPUS is accepted like the other benches' but not read: the URLs are synthetic. Figures are
printed (bytes per URL, and GiB per million URLs), never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import redis  # noqa: E402
from scaling import start_redis  # noqa: E402
from scrapy import Request, Spider  # noqa: E402
from scrapy_redis import picklecompat  # noqa: E402
from scrapy_redis.dupefilter import RFPDupeFilter  # noqa: E402
from scrapy_redis.queue import PriorityQueue  # noqa: E402

from crawler.state.redis_store import RedisState  # noqa: E402
from crawler.state.store import Batch, PageState, RecordState  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
WORDS = ("minister", "council", "budget", "river", "school", "election", "storm", "market")
BATCH = 1000


class BenchSpider(Spider):
    """Stands in for the news spider: request callbacks are serialized by name."""

    name = "news"

    def parse_page(self, response: Any) -> None:
        """The article callback's name, as the queue stores it."""

    def on_page_error(self, failure: Any) -> None:
        """The errback's name."""


@dataclass
class Phase:
    name: str
    bytes_total: int
    urls: int

    @property
    def per_url(self) -> float:
        return self.bytes_total / self.urls


def article_url(n: int, rng: random.Random) -> str:
    slug = "-".join(rng.choice(WORDS) for _ in range(6))
    day = f"2024/{1 + n % 12:02d}/{1 + n % 28:02d}"
    return f"https://www.example-gazette.com/news/{day}/{slug}-{n}.html"


def article_request(url: str, spider: BenchSpider) -> Request:
    meta = {
        "site": "gazette",
        "via": "sitemap",
        "date_hint": ["2024-05-17T08:00:00Z"],
        "page": True,
    }
    return Request(url, spider.parse_page, errback=spider.on_page_error, meta=meta)


def used_memory(server: redis.Redis) -> int:
    return int(server.info("memory")["used_memory"])


def measure(url: str, urls: int) -> list[Phase]:
    server = redis.Redis.from_url(url)
    spider = BenchSpider()
    rng = random.Random(21)
    addresses = [article_url(n, rng) for n in range(urls)]
    phases = []

    server.flushall()
    queue = PriorityQueue(server, spider, "newscrawl:news:bench:requests", picklecompat)
    before = used_memory(server)
    for address in addresses:
        queue.push(article_request(address, spider))
    phases.append(Phase("queue", used_memory(server) - before, urls))

    server.flushall()
    dupefilter = RFPDupeFilter(server, "newscrawl:news:bench:dupefilter")
    before = used_memory(server)
    for address in addresses:
        dupefilter.request_seen(article_request(address, spider))
    phases.append(Phase("dupefilter", used_memory(server) - before, urls))

    server.flushall()
    store = RedisState(url)
    before = used_memory(server)
    for start in range(0, urls, BATCH):
        chunk = addresses[start : start + BATCH]
        records = tuple(_record(address, rng) for address in chunk)
        pages = tuple(
            PageState(u, "gazette", r.id, r.first_seen, r.delivered_at, "2024-05-17", '"e1"')
            for u, r in zip(chunk, records, strict=True)
        )
        batch = Batch(f"batch-{start}", "out/gazette.jsonl", None, records, pages)
        store.stage(batch)
        store.settle(batch.id, delivered=True)
    phases.append(Phase("state", used_memory(server) - before, urls))
    store.close()
    return phases


def _record(url: str, rng: random.Random) -> RecordState:
    return RecordState(
        id=f"{rng.getrandbits(128):032x}",
        site="gazette",
        canonical_url=url,
        text_hash=f"{rng.getrandbits(256):064x}",
        fingerprint=rng.getrandbits(64),
        version=1,
        times_changed=0,
        first_seen="2024-05-17T08:00:00Z",
        delivered_at="2024-05-17T08:05:00Z",
        delivered_file="out/gazette/2024-05-17/20240517T080000Z-3fa9c1.w1.jsonl",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--urls", type=int, default=100_000)
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the figures as JSON")
    args = parser.parse_args(argv)
    proc, url = start_redis()
    try:
        version = redis.Redis.from_url(url).info("server")["redis_version"]
        phases = measure(url, args.urls)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    total = sum(p.per_url for p in phases)
    print(f"Redis {version}, {args.urls:,} synthetic article URLs")
    print(f"{'part':<12}{'bytes/URL':>12}{'GiB per million':>18}")
    for p in [*phases, Phase("total", int(total * args.urls), args.urls)]:
        print(f"{p.name:<12}{p.per_url:>12,.0f}{p.per_url * 1e6 / 2**30:>18.2f}")
    if args.json:
        figures = {p.name: round(p.per_url) for p in phases}
        figures |= {"total": round(total), "urls": args.urls, "redis": version}
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
