"""The crawl state (``crawler.state.store.CrawlState``) in Redis, shared by the workers of a
distributed crawl (``NEWS_STATE=redis://host:port/db``).

Keys under ``newscrawl:state:``: ``page:<url>`` and ``record:<id>`` (JSON), the indexes a
near-duplicate lookup needs (``hash:<site>:<text hash>``, ``band:<site>:<i>:<band>``: sets of
record ids), per site the sets ``site:<site>:pages`` and ``site:<site>:records``, the set
``sites`` and the hash ``staged`` (batch id -> batch JSON), and per site the template learning's
``template:<site>:documents`` (set), ``…:counts`` (hash line key -> articles) and ``…:lines``
(set of template line keys), counted by one script so that workers never race. A batch is
settled in one MULTI/EXEC transaction, so a delivery is recorded whole or not at all, as with
SQLite.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, replace
from typing import Any, ParamSpec, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from crawler.extract.fingerprints import bands, distance
from crawler.extract.templates import MAX_LINES
from crawler.state.store import Batch, PageState, RecordState, StateUnavailable, _batch

_P = "newscrawl:state:"
# KEYS: documents, counts, lines; ARGV: document, min_pages, max_lines, line keys...
_LEARN = """
if redis.call('sadd', KEYS[1], ARGV[1]) == 1 then
  local min_pages = tonumber(ARGV[2])
  for i = 4, #ARGV do
    if redis.call('hincrby', KEYS[2], ARGV[i], 1) >= min_pages then
      redis.call('sadd', KEYS[3], ARGV[i])
    end
  end
  if redis.call('hlen', KEYS[2]) > tonumber(ARGV[3]) then
    local counts = redis.call('hgetall', KEYS[2])
    for i = 1, #counts, 2 do
      if counts[i + 1] == '1' then redis.call('hdel', KEYS[2], counts[i]) end
    end
  end
end
return redis.call('scard', KEYS[3])
"""


P = ParamSpec("P")
R = TypeVar("R")


def _available(method: Callable[P, R]) -> Callable[P, R]:
    """Redis gone (refused, reset, timed out) is ``StateUnavailable`` to the tracker."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(f"Redis: {exc}") from exc

    return call


class RedisState:
    def __init__(self, url: str) -> None:
        # No retries inside redis-py: they would block the reactor; the tracker waits instead.
        self.db = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=5,
            socket_timeout=10,
            retry=Retry(NoBackoff(), 0),
        )
        self.db.ping()
        self._learn = self.db.register_script(_LEARN)

    @_available
    def page(self, url: str) -> PageState | None:
        raw = self.db.get(f"{_P}page:{url}")
        return PageState(**json.loads(raw)) if raw else None

    @_available
    def record(self, record_id: str) -> RecordState | None:
        raw = self.db.get(f"{_P}record:{record_id}")
        return RecordState(**json.loads(raw)) if raw else None

    @_available
    def similar(self, site: str, text_hash: str, fp: int, max_bits: int) -> list[RecordState]:
        keys = [f"{_P}hash:{site}:{text_hash}"]
        if max_bits > 0:
            keys += [f"{_P}band:{site}:{i}:{band}" for i, band in enumerate(bands(fp))]
        ids = sorted(self.db.sunion(keys))
        raws = self.db.mget([f"{_P}record:{i}" for i in ids]) if ids else []
        found = [RecordState(**json.loads(raw)) for raw in raws if raw]
        # Index entries of an earlier version of a record may remain: judge the current one.
        return [
            r
            for r in found
            if r.site == site
            and (r.text_hash == text_hash or distance(r.fingerprint, fp) <= max_bits)
        ]

    @_available
    def save_pages(self, pages: Iterable[PageState]) -> None:
        pipe = self.db.pipeline(transaction=True)
        self._save_pages(pipe, list(pages))
        pipe.execute()

    @_available
    def stage(self, batch: Batch) -> None:
        self.db.hset(f"{_P}staged", batch.id, json.dumps(asdict(batch)))

    @_available
    def settle(self, batch_id: str, delivered: bool) -> None:
        raw = self.db.hget(f"{_P}staged", batch_id)
        if raw is None:
            return
        pipe = self.db.pipeline(transaction=True)
        if delivered:
            batch = _batch(json.loads(raw))
            for r in batch.records:
                pipe.set(f"{_P}record:{r.id}", json.dumps(asdict(r)))
                pipe.sadd(f"{_P}hash:{r.site}:{r.text_hash}", r.id)
                for i, band in enumerate(bands(r.fingerprint)):
                    pipe.sadd(f"{_P}band:{r.site}:{i}:{band}", r.id)
                pipe.sadd(f"{_P}site:{r.site}:records", r.id)
                pipe.sadd(f"{_P}sites", r.site)
            self._save_pages(pipe, list(batch.pages))
        pipe.hdel(f"{_P}staged", batch_id)
        pipe.execute()

    @_available
    def staged(self) -> list[Batch]:
        found = self.db.hgetall(f"{_P}staged")
        return [_batch(json.loads(found[k])) for k in sorted(found)]

    @_available
    def reset_site(self, site: str) -> int:
        pages = self.db.smembers(f"{_P}site:{site}:pages")
        records = self.db.smembers(f"{_P}site:{site}:records")
        keys = [f"{_P}page:{u}" for u in pages] + [f"{_P}record:{i}" for i in records]
        keys += [f"{_P}template:{site}:{part}" for part in ("documents", "counts", "lines")]
        # The site's name is matched literally, and a key counts only when what follows it has
        # the shape of that index's key: "a" must not take site "a:b"'s "hash:a:b:<hash>".
        for index, colons in (("hash", 0), ("band", 1)):
            prefix = f"{_P}{index}:{site}:"
            for key in self.db.scan_iter(match=_glob_escape(prefix) + "*", count=1000):
                if key[len(prefix) :].count(":") == colons:
                    keys.append(key)
        keys += [f"{_P}site:{site}:pages", f"{_P}site:{site}:records"]
        pipe = self.db.pipeline(transaction=True)
        for start in range(0, len(keys), 1000):
            pipe.delete(*keys[start : start + 1000])
        pipe.srem(f"{_P}sites", site)
        pipe.execute()
        return len(pages) + len(records)

    @_available
    def sites(self) -> dict[str, dict[str, int]]:
        return {
            site: {
                "pages": self.db.scard(f"{_P}site:{site}:pages"),
                "records": self.db.scard(f"{_P}site:{site}:records"),
            }
            for site in sorted(self.db.smembers(f"{_P}sites"))
        }

    @_available
    def learn_lines(self, site: str, document: str, keys: Collection[str], min_pages: int) -> int:
        names = [f"{_P}template:{site}:{part}" for part in ("documents", "counts", "lines")]
        return int(self._learn(keys=names, args=[document, min_pages, MAX_LINES, *keys]))

    @_available
    def template_lines(self, site: str) -> frozenset[str]:
        return frozenset(self.db.smembers(f"{_P}template:{site}:lines"))

    def close(self) -> None:
        self.db.close()

    def _save_pages(self, pipe: Any, pages: list[PageState]) -> None:
        # A page keeps its first_seen, and the date it was listed with when not listed now.
        if not pages:
            return
        stored = self.db.mget([f"{_P}page:{p.url}" for p in pages])
        for page, raw in zip(pages, stored, strict=True):
            if raw:
                old = PageState(**json.loads(raw))
                page = replace(
                    page,
                    first_seen=old.first_seen,
                    source_date=page.source_date or old.source_date,
                )
            pipe.set(f"{_P}page:{page.url}", json.dumps(asdict(page)))
            pipe.sadd(f"{_P}site:{page.site}:pages", page.url)
            pipe.sadd(f"{_P}sites", page.site)


def _glob_escape(text: str) -> str:
    """``text`` as a literal in a Redis MATCH pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
