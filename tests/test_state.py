"""The pure parts of scheduled crawls: URL normalisation, fingerprints, the SQLite crawl state,
the atomic feed storage and the recovery of a crawl killed between staging and settling a
file, and the manifest's health rules."""

from __future__ import annotations

import fcntl
import os
import random
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from trafilatura.deduplication import Simhash

from crawler.extract.fingerprints import distance, fingerprint, simhash
from crawler.extract.page import record_id
from crawler.extract.urls import normalize_url
from crawler.items import ArticleItem
from crawler.runfiles.feedstorage import (
    AtomicFileFeedStorage,
    host_token,
    partitioned_feeds,
    sha256_of,
    site_slug,
)
from crawler.runfiles.manifest import HealthRules, alerts, verdict
from crawler.state.sqlite_store import SqliteState
from crawler.state.store import Batch, CrawlState, PageState, RecordState, StateUnavailable
from crawler.state.tracker import StateTracker
from tests.conftest import needs_redis
from tests.faultserver import _prose

ARTICLE = "https://news.example.com/2024/05/01/river-park.html"


@pytest.mark.parametrize(
    "variant",
    [
        "HTTPS://News.Example.com:443/2024/05/01/river-park.html",
        ARTICLE + "#comments",
        ARTICLE + "?utm_source=newsletter&utm_medium=email",
        ARTICLE + "?fbclid=abc123&gclid=xyz",
        ARTICLE + "?output=amp",
        ARTICLE + "?amp=1",
        ARTICLE + "?print=1",
        ARTICLE + ";jsessionid=0A1B2C",
        "https://news.example.com/amp/2024/05/01/river-park.html",
        "https://news.example.com/2024/05/01/river-park.amp.html",
    ],
)
def test_url_variants_normalise_to_one_url_and_id(variant):
    assert normalize_url(variant) == ARTICLE
    assert record_id(variant) == record_id(ARTICLE)


def test_normalisation_keeps_what_names_another_page():
    assert normalize_url("http://ex.com:8080/a?id=2&page=3") == "http://ex.com:8080/a?id=2&page=3"
    assert normalize_url("https://ex.com/story/amp/") == "https://ex.com/story/"
    assert normalize_url("https://ex.com/story/print") == "https://ex.com/story"
    assert normalize_url("http://ex.com/a?b=2&a=1") == "http://ex.com/a?a=1&b=2"
    assert record_id("http://ex.com/a?id=1") != record_id("http://ex.com/a?id=2")


def test_fingerprints_tell_near_duplicates_from_other_articles():
    texts = ["\n".join(_prose(random.Random(n))) for n in range(40)]
    prints = [fingerprint(t) for t in texts]
    # Articles written from one small phrase book still stay well apart.
    assert min(distance(a, b) for i, a in enumerate(prints) for b in prints[i + 1 :]) > 3
    long = "\n".join(_prose(random.Random(99), paragraphs=12))
    copy = long.replace("\n", "\nRead more on our website.\n", 1)
    assert distance(fingerprint(long), fingerprint(copy)) <= 3
    # Too short for shingles: only exact copies match.
    assert fingerprint("Brief note.") == fingerprint("Brief note.")
    assert distance(fingerprint("Brief note."), fingerprint("Brief notes.")) > 3


def test_simhash_is_trafilaturas_bit_for_bit():
    # Fingerprints are stored in the crawl state: a faster count must not move one bit.
    rng = random.Random(7)
    texts = ["", "a", "。，、", "one two three", "x " * 40, "新闻" * 50]
    texts += ["\n".join(_prose(random.Random(n), paragraphs=n % 9 + 1)) for n in range(30)]
    texts += [
        " ".join(f"w{rng.randrange(50)}x" for _ in range(rng.randrange(1, 400))) for _ in range(30)
    ]
    for text in texts:
        assert simhash(text) == Simhash(text, 64).hash, text[:60]


def _record(rid: str, text: str, version: int = 1) -> RecordState:
    return RecordState(
        id=rid,
        site="ex",
        canonical_url=None,
        text_hash=f"hash-{text}",
        fingerprint=fingerprint(text),
        version=version,
        times_changed=version - 1,
        first_seen="2024-05-01T00:00:00Z",
        delivered_at="2024-05-01T00:00:00Z",
        delivered_file="out.jsonl",
    )


def _page(url: str, rid: str | None, etag: str | None = None) -> PageState:
    return PageState(url, "ex", rid, "2024-05-01T00:00:00Z", etag=etag, source_date="2024-05-01")


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=needs_redis)])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CrawlState]:
    """Both crawl states, held to one contract."""
    if request.param == "sqlite":
        store: CrawlState = SqliteState(tmp_path / "state.sqlite")
    else:
        from crawler.state.redis_store import RedisState

        store = RedisState(request.getfixturevalue("redis_server").url)
    yield store
    store.close()


def test_state_stages_settles_and_resets(state):
    text = "\n".join(_prose(random.Random(1)))
    batch = Batch("c1/1", "out.jsonl", None, (_record("a", text),), (_page("u1", "a", '"e1"'),))
    state.stage(batch)
    assert state.record("a") is None, "staged is not delivered"
    assert [b.id for b in state.staged()] == ["c1/1"]
    state.settle("c1/1", delivered=True)
    assert state.staged() == []
    assert state.record("a") == _record("a", text)
    assert state.page("u1") == _page("u1", "a", '"e1"')
    # A page saved again keeps when it was first seen and the date it was listed with.
    later = PageState("u1", "ex", "a", "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z")
    state.save_pages([later])
    page = state.page("u1")
    assert page and page.first_seen == "2024-05-01T00:00:00Z" and page.source_date == "2024-05-01"
    # Exact text, or a fingerprint a few bits away, finds the record; another text does not.
    near = text.replace("\n", "\nRead more on our website.\n", 1)
    assert [r.id for r in state.similar("ex", "other", fingerprint(near), 3)] == ["a"]
    assert [r.id for r in state.similar("ex", "hash-" + text, 0, 0)] == ["a"]
    other = "\n".join(_prose(random.Random(2)))
    assert state.similar("ex", "other", fingerprint(other), 3) == []
    assert state.similar("elsewhere", "hash-" + text, fingerprint(text), 3) == []
    state.stage(Batch("c1/2", "x", None, (_record("b", other),), ()))
    state.settle("c1/2", delivered=False)
    assert state.record("b") is None and state.staged() == []
    assert state.sites() == {"ex": {"pages": 1, "records": 1}}
    assert state.learn_lines("ex", "doc1", ["k1", "k2"], 1) == 2
    assert state.learn_lines("other", "doc1", ["k1"], 1) == 1
    assert state.reset_site("ex") == 2
    assert state.record("a") is None and state.page("u1") is None
    assert state.similar("ex", "hash-" + text, fingerprint(text), 3) == []
    assert state.template_lines("ex") == frozenset()
    assert state.template_lines("other") == {"k1"}, "another site's template stays"
    assert state.sites() == {}


def test_resetting_a_site_leaves_sites_whose_names_extend_or_pattern_it(state):
    """``reset a`` must not reach site ``a:b``, nor ``a*`` every site starting with "a"."""
    names = ("a", "a:b", "a*", "ab")
    for n, site in enumerate(names):
        text = "\n".join(_prose(random.Random(10 + n)))
        record = replace(_record(f"r{n}", text), site=site)
        state.stage(Batch(f"c/{n}", "out.jsonl", None, (record,), ()))
        state.settle(f"c/{n}", delivered=True)
    state.reset_site("a")
    state.reset_site("a*")
    assert set(state.sites()) == {"a:b", "ab"}
    for n in (1, 3):
        text = "\n".join(_prose(random.Random(10 + n)))
        assert [r.id for r in state.similar(names[n], "hash-" + text, 0, 0)] == [f"r{n}"]
        assert [r.id for r in state.similar(names[n], "x", fingerprint(text), 3)] == [f"r{n}"]


def test_atomic_storage_shows_only_complete_files(tmp_path):
    target = tmp_path / "out" / "run.jsonl"
    storage = AtomicFileFeedStorage(str(target), feed_options={"overwrite": True})
    file = storage.open(None)  # type: ignore[arg-type]
    file.write(b'{"a": 1}\n')
    assert not target.exists(), "nothing under the final name while writing"
    (part,) = target.parent.glob(".run.jsonl.*.part")
    storage.store(file)
    assert target.read_bytes() == b'{"a": 1}\n'
    assert not part.exists()
    assert storage.committed and storage.sha256 == sha256_of(target)
    # Appending (-o) copies what was there, and still appears at once.
    appending = AtomicFileFeedStorage(f"file://{target}", feed_options={"overwrite": False})
    file = appending.open(None)  # type: ignore[arg-type]
    file.write(b'{"a": 2}\n')
    appending.store(file)
    assert target.read_bytes() == b'{"a": 1}\n{"a": 2}\n'


def test_template_counts_a_full_state_cannot_take_are_skipped_not_a_page_error(tmp_path):
    """On a full disk the counting raised SQLite's error: the page was a spider error and its
    record lost. Now the store is unavailable for it, which the spider counts and goes on."""
    state = SqliteState(tmp_path / "state.sqlite")
    assert state.learn_lines("ex", "doc1", ["k1"], 1) == 1
    pages = state.db.execute("PRAGMA page_count").fetchone()[0]
    state.db.execute(f"PRAGMA max_page_count = {pages}")  # the database may grow no more
    with pytest.raises(StateUnavailable, match="full"):
        state.learn_lines("ex", "doc2", [f"line {n} " * 40 for n in range(200)], 1)
    assert state.template_lines("ex") == {"k1"}, "the failed count left nothing half done"


def test_an_output_a_full_disk_refuses_is_not_stored_and_leaves_no_part(tmp_path):
    """Its .part file stayed behind, holding the disk space the next crawl needed."""
    target = tmp_path / "run.jsonl"
    storage = AtomicFileFeedStorage(str(target), feed_options={"overwrite": True})
    storage.open(None).close()  # type: ignore[arg-type]
    assert storage.temp is not None
    # The part file's writes go to /dev/full, which is always out of space.
    storage.temp.unlink()
    storage.temp.symlink_to("/dev/full")
    file = storage.temp.open("wb")
    file.write(b'{"a": 1}\n')
    with pytest.raises(OSError, match="No space left"):
        storage.store(file)
    assert not storage.committed and not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_only_stale_part_files_are_removed(tmp_path):
    """A part file is judged by its process only on the host that wrote it: judged by process
    id alone, a crawl on another host or container sharing the folder deleted a live crawl's
    unfinished output. Another host's is stale only once old and not locked by its writer."""
    target = tmp_path / "run.jsonl"
    dead = os.fork()
    if dead == 0:  # a process that is gone by the time the next crawl writes
        os._exit(0)
    os.waitpid(dead, 0)
    here = host_token()
    stale = tmp_path / f".other-run.jsonl.{here}.{dead}.abcd1234.part"
    live = tmp_path / f".run.jsonl.{here}.{os.getpid()}.beef5678.part"
    # The same process id means nothing on another host.
    elsewhere = tmp_path / f".run.jsonl.other-box.{dead}.cafe0001.part"
    old_elsewhere = tmp_path / f".run.jsonl.other-box.{dead}.cafe0002.part"
    old_locked = tmp_path / f".run.jsonl.other-box.{dead}.cafe0003.part"
    for part in (stale, live, elsewhere, old_elsewhere, old_locked):
        part.write_bytes(b'{"half":')
    two_days_ago = time.time() - 48 * 3600
    for part in (old_elsewhere, old_locked):
        os.utime(part, (two_days_ago, two_days_ago))
    with old_locked.open("rb") as writer:
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX)
        storage = AtomicFileFeedStorage(str(target), feed_options={"overwrite": True})
        storage.store(storage.open(None))  # type: ignore[arg-type]
    assert not stale.exists() and not old_elsewhere.exists()
    assert live.exists(), "a running crawl's file is left alone"
    assert elsewhere.exists(), "another host's recent file is left alone"
    assert old_locked.exists(), "a file its writer still locks is left alone"


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str) -> None:
        self.values[key] = self.values.get(key, 0) + 1


class _Spider:
    crawl_id = "c2"


def test_a_crawl_killed_between_staging_and_settling_is_recovered_from_its_file(tmp_path):
    """Killed after the file was renamed: its records were delivered. Killed before: not."""
    state = SqliteState(tmp_path / "state.sqlite")
    renamed, never = tmp_path / "renamed.jsonl", tmp_path / "never.jsonl"
    renamed.write_bytes(b'{"id": "a"}\n')
    never.write_bytes(b'{"old": "file"}\n')  # the previous run's file under the same name
    state.stage(Batch("c1/1", str(renamed), sha256_of(renamed), (_record("a", "x"),), ()))
    state.stage(Batch("c1/2", str(never), "0" * 64, (_record("b", "y"),), ()))
    stats = _Stats()
    tracker = StateTracker(state, stats, None)  # type: ignore[arg-type]
    tracker.spider_opened(_Spider())  # type: ignore[arg-type]
    assert state.record("a") is not None
    assert state.record("b") is None
    assert state.staged() == []
    assert stats.values == {"newscrawl/state/recovered": 1, "newscrawl/state/discarded": 1}


def _manifest(**site: Any) -> dict[str, Any]:
    base = {"article_pages": 10, "error_rate": 0.0, "errors": {}}
    return {"finish_reason": "finished", "files": [], "sites": {"ex": {**base, **site}}}


def test_health_rules_and_drop_alerts():
    rules = HealthRules()
    assert verdict(_manifest(), rules) == []
    (failure,) = verdict(_manifest(article_pages=0), rules)
    assert failure.startswith("site ex: 0 article pages")
    errors = {"failed/http_500": 9, "failed/timeout": 1}
    (failure,) = verdict(_manifest(error_rate=0.9, errors=errors), rules)
    assert "error rate 0.90 above NEWS_MAX_ERROR_RATE=0.5 (failed/http_500: 9" in failure
    assert verdict({**_manifest(), "finish_reason": "shutdown"}, rules)
    assert alerts(_manifest(article_pages=4), _manifest(), 0.5) == [
        "site ex: 4 article pages, previous run 10 (-60%)"
    ]
    assert alerts(_manifest(article_pages=6), _manifest(), 0.5) == []
    assert alerts({"sites": {}}, _manifest(), 0.5) == ["site ex: not crawled (previous run: 10)"]


def test_partitioned_feeds_one_file_per_site():
    feeds = partitioned_feeds("out/%(site)s/%(crawl_date)s/%(crawl_id)s.jsonl.gz", ["a b", "c"])
    assert list(feeds) == [
        f"out/{site_slug('a b')}/%(crawl_date)s/%(crawl_id)s.jsonl.gz",
        "out/c/%(crawl_date)s/%(crawl_id)s.jsonl.gz",
    ]
    options = feeds["out/c/%(crawl_date)s/%(crawl_id)s.jsonl.gz"]
    assert options["site"] == "c" and options["format"] == "jsonlines"
    assert options["postprocessing"] == ["scrapy.extensions.postprocessing.GzipPlugin"]


def test_only_pages_that_yield_a_record_are_remembered_until_it_is_judged(tmp_path):
    """Every page's response passes the tracker; the listing pages, rejects and duplicates of a
    long crawl must not stay in it."""
    tracker = StateTracker(SqliteState(tmp_path / "state.sqlite"), _Stats(), None)  # type: ignore[arg-type]
    pages = []
    for n in range(3):
        url = f"https://example.com/news/{n}.html"
        request = Request(url, meta={"page": True, "site": "ex"})
        pages.append(HtmlResponse(url, body=b"<html></html>", request=request))
        tracker.response_received(pages[-1], request)
    assert tracker._fetched == {}
    tracker.fetched(pages[0])
    tracker.fetched(pages[1])
    assert set(tracker._fetched) == {pages[0].url, pages[1].url}
    tracker.item_dropped(ArticleItem(url=pages[0].url))
    assert set(tracker._fetched) == {pages[1].url}
