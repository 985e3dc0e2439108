"""Nothing lost, nothing twice (issue 19): real crawls of tests/faultserver.py whose records
carry what breaks an output file, configurations whose sites clash in the output path, and
exporters that cannot write a record. After each crawl, the records written plus the rejects
account for every article page fetched, none is written twice, and none is marked delivered
that is not in the committed file the crawl state names.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from crawler.errors import StartupError
from crawler.items import ArticleItem
from crawler.runfiles.feedstorage import partitioned_feeds, site_slug
from crawler.state.lock import StateLock
from pipelines.dedup import DedupPipeline, Duplicate
from tests.conftest import (
    FAST,
    HOSTILE,
    PORTAL,
    REPO,
    CrawlResult,
    fault_server,
    read_jsonl,
    run_crawl,
    serve,
)
from tests.faultserver import COUNTED, RECORD_TROUBLES, WIDE_LINKS, good_path
from tests.test_incremental import by_path, crawl, news_site

pytestmark = pytest.mark.crawl

ARTICLES = 3


def delivered(state: Path) -> dict[str, str]:
    """Record id -> the file the crawl state says delivered it."""
    with sqlite3.connect(state) as db:
        return dict(db.execute("SELECT id, delivered_file FROM records").fetchall())


def assert_accounted(state: Path, result: CrawlResult, fetched: set[str], files: list[Path]):
    """The acceptance invariant: every article page fetched is a record or a reject; no record
    twice; every record the state calls delivered is in the committed file it names."""
    ids = [r["id"] for r in result.records]
    assert len(ids) == len(set(ids)), "a record written twice"
    accounted = {r["url"] for r in result.records} | {r["url"] for r in result.rejects}
    assert fetched <= accounted, f"fetched, neither written nor rejected: {fetched - accounted}"
    in_files = {r["id"]: str(f) for f in files for r in read_jsonl(f)}
    for record_id, file in delivered(state).items():
        assert in_files.get(record_id) == file, f"{record_id} marked delivered, not in {file}"


def article_urls(site_url: str, accessed: list[dict[str, Any]]) -> set[str]:
    return {site_url + e["path"] for e in accessed if e["path"].startswith("/news/")}


def test_unloadable_strings_are_made_valid_and_the_records_delivered_once(tmp_path):
    """A JSON-LD author with a lone surrogate made the exporter fail on the record, which was
    still marked delivered; NUL, U+2028 and U+2029 went out as they were; JSON-LD too deep or
    with too long a number cost the article."""
    out = tmp_path / "out.jsonl"
    with fault_server(tmp_path, "--site", "records", "--articles", str(ARTICLES)) as site:
        result = run_crawl(tmp_path, "-a", f"start_urls={site.url}/", settings=HOSTILE)
        fetched = article_urls(site.url, site.accessed())
        assert result.returncode == 0, result.log[-3000:]
        raw = out.read_text("utf-8")
        for bad in ("\u2028", "\u2029", "\\u0000", "\\ud8", "\\udc"):
            assert bad not in raw, f"{bad!r} written"
        # str.splitlines() breaks at U+2028 too: one line per record for every line reader.
        assert len(raw.splitlines()) == len(result.records)
        paths = {r["url"].removeprefix(site.url) for r in result.records}
        assert paths == {good_path(n) for n in range(1, ARTICLES + 1)} | set(RECORD_TROUBLES)
        by_path = {r["url"].removeprefix(site.url): r for r in result.records}
        surrogate = by_path["/news/2024/08/01/lone-surrogate.html"]
        assert surrogate["authors"] == ["Ann \ufffd Example"]
        assert surrogate["tags"] == ["flood", "rain\ufffd"]
        separators = by_path["/news/2024/08/01/line-separators.html"]
        assert separators["description"] == "One line and another and a third"
        assert separators["categories"] == ["World Asia"]
        for broken in ("jsonld-deep", "jsonld-long-number"):
            assert "jsonld_refused" in by_path[f"/news/2024/08/02/{broken}.html"]["warnings"]
        assert_accounted(tmp_path / "state.sqlite", result, fetched, [out])
        assert " ERROR: " not in result.log, result.log[-3000:]

        again = run_crawl(tmp_path, "-a", f"start_urls={site.url}/", settings=HOSTILE)
    assert again.returncode == 0, again.log[-3000:]
    assert again.records == [], "a record delivered before went out again"


def test_a_record_the_exporter_cannot_write_is_a_reject_and_not_delivered(tmp_path):
    """An output encoding that cannot hold a record's characters: the exporter fails on that
    record. It was marked delivered (and counted new) though never written; now it is rejected
    as unwritable and the next crawl, able to write it, delivers it."""
    out = tmp_path / "out.jsonl"
    args = ("--site", "records", "--articles", str(ARTICLES))
    with fault_server(tmp_path, *args) as site:
        start = ("-a", f"start_urls={site.url}/")
        latin = [*HOSTILE, "FEED_EXPORT_ENCODING=latin-1"]
        first = run_crawl(tmp_path, *start, settings=latin)
        fetched = article_urls(site.url, site.accessed())
        assert first.returncode == 0, first.log[-3000:]
        unwritable = {r["url"].removeprefix(site.url) for r in first.rejects}
        # U+FFFD, put in place of the lone surrogates, is not in Latin-1.
        assert unwritable == {"/news/2024/08/01/lone-surrogate.html"}
        assert {r["reason"] for r in first.rejects} == {"unwritable"}
        assert first.stats["newscrawl/delivery/unwritten"] == 1
        assert len(first.records) == ARTICLES + len(RECORD_TROUBLES) - 1
        assert_accounted(tmp_path / "state.sqlite", first, fetched, [out])
        manifest = json.loads(Path(f"{out}.manifest.json").read_text("utf-8"))
        (tally,) = manifest["sites"].values()
        assert tally["articles"]["new"] == len(first.records)

        second = run_crawl(tmp_path, *start, settings=HOSTILE)
    assert second.returncode == 0, second.log[-3000:]
    assert [r["url"].removeprefix(site.url) for r in second.records] == sorted(unwritable)


def test_run_files_refused_after_the_crawl_fail_the_run_and_lose_no_reject(tmp_path):
    """A full disk by the end of a crawl (here a folder where each run file goes): the stats and
    manifest writes ended in tracebacks and exit status 0 with no manifest for the scheduler,
    and a reject the rejects file could not take was lost. Now each is logged without a
    traceback, every reject with its URL, and the run fails; the records are still delivered."""
    # One record the Latin-1 exporter cannot write: a reject (test above).
    settings = [*HOSTILE, "FEED_EXPORT_ENCODING=latin-1", "NEWS_CRAWL_ID=c1"]
    for name, folder in (("REJECTS", "rejects"), ("STATS_FILE", "stats"), ("MANIFEST", "mf")):
        (tmp_path / folder / "c1.json").mkdir(parents=True)
        settings.append(f"NEWS_{name}={tmp_path}/{folder}/%(crawl_id)s.json")
    with fault_server(tmp_path, "--site", "records", "--articles", str(ARTICLES)) as site:
        result = run_crawl(tmp_path, "-a", f"start_urls={site.url}/", settings=settings)
    assert result.returncode == 3, result.log[-3000:]
    assert "runfiles/" not in result.log, "a traceback through the run files"
    assert len(result.records) == ARTICLES + len(RECORD_TROUBLES) - 1
    assert "Rejected page not written to" in result.log
    assert f"{site.url}/news/2024/08/01/lone-surrogate.html unwritable" in result.log
    assert "Crawl stats could not be written" in result.log
    assert f"Unhealthy run: the run manifest {tmp_path}/mf/c1.json not written" in result.log
    assert [p.name for p in (tmp_path / "mf").iterdir()] == ["c1.json"], "a .part left"


def test_site_names_alike_once_made_safe_keep_output_files_of_their_own():
    feeds = partitioned_feeds("out/%(site)s/%(crawl_id)s.jsonl", ["新闻", "资讯", "a/b", "a_b"])
    assert len(feeds) == 4
    assert [o["site"] for o in feeds.values()] == ["新闻", "资讯", "a/b", "a_b"]
    assert site_slug("a_b") == "a_b" and site_slug("demo") == "demo"
    assert site_slug("a/b").startswith("a_b-") and site_slug("新闻").startswith("site-")
    assert site_slug("新闻") == site_slug("新闻")
    with pytest.raises(StartupError, match="'a' and 'A' would write the same file"):
        partitioned_feeds("out/%(site)s.jsonl", ["a", "A"])
    with pytest.raises(StartupError, match=r"the same file out/all\.jsonl"):
        partitioned_feeds("out/all.jsonl", ["a", "b"])


def _sites_file(tmp_path: Path, sites: dict[str, str]) -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(
        "".join(f'[sites."{name}"]\nstart_urls = ["{url}/"]\n' for name, url in sites.items()),
        "utf-8",
    )
    return path


def _crawl_sites(
    tmp_path: Path, sites_file: Path, output: str, *extra: str
) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"sites={sites_file}"]
    settings = [
        *FAST,
        *HOSTILE,
        f"NEWS_OUTPUT={output}",
        f"NEWS_STATE={tmp_path / 'state.sqlite'}",
        f"NEWS_REJECTS={tmp_path / 'rejects.jsonl'}",
        f"LOG_FILE={tmp_path / 'crawl.log'}",
        *extra,
    ]
    for setting in settings:
        cmd += ["-s", setting]
    return subprocess.run(cmd, cwd=REPO, timeout=180, capture_output=True, text=True)


def test_two_sites_whose_names_were_one_path_both_deliver_every_article(tmp_path):
    """新闻 and 资讯 both became ``site``: the second site's file replaced the first's, and its
    records, never marked delivered, were lost again on every run."""
    with (
        fault_server(tmp_path, "--site", "plain", "--articles", str(ARTICLES)) as news,
        serve(PORTAL) as portal,
    ):
        sites = _sites_file(tmp_path, {"新闻": news.url, "资讯": portal})
        done = _crawl_sites(tmp_path, sites, f"{tmp_path}/out/%(site)s/%(crawl_id)s.jsonl")
        fetched = article_urls(news.url, news.accessed())
    log = (tmp_path / "crawl.log").read_text("utf-8")
    assert done.returncode == 0, log[-3000:]
    files = sorted(p for p in (tmp_path / "out").rglob("*.jsonl") if not p.name.startswith("."))
    assert len(files) == 2, files
    records = [r for f in files for r in read_jsonl(f)]
    by_site = {f.parent.name: {r["site"] for r in read_jsonl(f)} for f in files}
    assert sorted(by_site.values(), key=sorted) == [{"新闻"}, {"资讯"}]
    assert len([r for r in records if r["site"] == "新闻"]) == ARTICLES
    assert len([r for r in records if r["site"] == "资讯"]) > 0
    result = CrawlResult(0, records, {}, read_jsonl(tmp_path / "rejects.jsonl"), log)
    assert_accounted(tmp_path / "state.sqlite", result, fetched, files)


def test_sites_that_would_still_share_a_file_are_refused_at_start(tmp_path):
    sites = _sites_file(tmp_path, {"a": "http://127.0.0.1:9", "b": "http://127.0.0.1:9"})
    done = _crawl_sites(tmp_path, sites, f"{tmp_path}/out/all.jsonl")
    assert done.returncode == 2
    assert "newscrawl: sites 'a' and 'b' would write the same file" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("what", "setting"),
    [
        ("output", "NEWS_OUTPUT=%s/%%(site)s/%%(crawl_id)s.jsonl"),
        ("rejects file", "NEWS_REJECTS=%s/rejects.jsonl"),
        ("manifest", "NEWS_MANIFEST=%s/manifests/%%(crawl_id)s.json"),
    ],
)
def test_run_files_that_cannot_be_written_stop_the_crawl_at_start(tmp_path, what, setting):
    """A file where the output's folder should be (or a read-only mount): the crawl fetched
    every page and failed record by record, a traceback each; now it stops before fetching."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    with fault_server(tmp_path, "--site", "plain", "--articles", str(ARTICLES)) as site:
        sites = _sites_file(tmp_path, {"plain": site.url})
        output = f"{tmp_path}/out/%(site)s/%(crawl_id)s.jsonl"
        done = _crawl_sites(tmp_path, sites, output, setting % blocker)
        assert site.accessed() == [], "the crawl fetched"
    assert done.returncode == 2, done.stderr[-3000:]
    assert f"newscrawl: cannot write the {what} {blocker}/" in done.stderr
    assert "Not a directory" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_second_crawl_on_a_state_in_use_stops_at_start(tmp_path):
    """Two crawls at once on one state file (cron jobs that overlap) both delivered most
    articles; the second now stops before fetching anything, with an exit status of its own."""
    held = StateLock(tmp_path / "state.sqlite")
    held.acquire()  # as a running crawl holds it
    out = tmp_path / "out.jsonl"
    with fault_server(tmp_path, "--site", "plain", "--articles", str(ARTICLES)) as site:
        start = ("-a", f"start_urls={site.url}/")
        try:
            second = run_crawl(tmp_path, *start, settings=HOSTILE)
            assert site.accessed() == [], "the second crawl fetched"
        finally:
            held.release()
        assert second.returncode == 75
        assert "is in use by another crawl (pid" in second.log
        assert "Traceback" not in second.log
        assert not out.exists()
        first = run_crawl(tmp_path, *start, settings=HOSTILE)
        fetched = article_urls(site.url, site.accessed())
    assert first.returncode == 0, first.log[-3000:]
    assert len(first.records) == ARTICLES
    assert_accounted(tmp_path / "state.sqlite", first, fetched, [out])


def test_a_corrupt_state_file_is_a_clear_error_at_start(tmp_path):
    (tmp_path / "state.sqlite").write_bytes(b"not a database, " * 512)
    with fault_server(tmp_path, "--site", "plain", "--articles", str(ARTICLES)) as site:
        result = run_crawl(tmp_path, "-a", f"start_urls={site.url}/", settings=HOSTILE)
        assert site.accessed() == []
    assert result.returncode == 2
    assert "newscrawl: the crawl state" in result.log and "cannot be read" in result.log
    assert "Traceback" not in result.log


def test_a_state_on_a_full_disk_is_not_called_damaged(tmp_path):
    """A full disk was reported as a state to restore or move away, which would have had the
    next run deliver every article again."""
    (tmp_path / "state.sqlite").symlink_to("/dev/full")  # always out of space
    with fault_server(tmp_path, "--site", "plain", "--articles", str(ARTICLES)) as site:
        result = run_crawl(tmp_path, "-a", f"start_urls={site.url}/", settings=HOSTILE)
        assert site.accessed() == []
    assert result.returncode == 2
    assert "cannot be read (database or disk is full); keep it: free disk space" in result.log
    assert "move it away" not in result.log and "Traceback" not in result.log


def test_an_article_fetched_on_every_run_is_not_learned_as_its_own_template(tmp_path):
    """Its view counter made each fetch a new document: after four runs the article's own
    paragraphs were template, and runs 5 and 6 rejected it as too short and exited 3."""
    out = tmp_path / "out.jsonl"
    with fault_server(tmp_path, "--site", "counter", "--articles", "1") as site:
        for run in range(1, 7):
            result = run_crawl(tmp_path, "-a", f"start_urls={site.url}/", settings=HOSTILE)
            assert result.returncode == 0, f"run {run}: {result.log[-3000:]}"
            assert result.rejects == [], f"run {run}"
            by_path = {r["url"].removeprefix(site.url): r for r in result.records}
            assert by_path[COUNTED]["text"].count("\n") >= 6, f"run {run}: paragraphs lost"
            assert by_path[COUNTED]["version"] == run
            if run == 1:  # later runs overwrite out.jsonl (-O), and with it what run 1 wrote
                fetched = article_urls(site.url, site.accessed())
                assert_accounted(tmp_path / "state.sqlite", result, fetched, [out])


def test_a_sitemap_index_without_end_and_a_page_of_thousands_of_links_stay_bounded(tmp_path):
    """A sitemap index listing ten new sitemaps in each was followed through thousands of them
    until the crawl was killed; a page with 60,000 links queued them all."""
    bounds = ["NEWS_MAX_LINKS_PER_PAGE=100", "NEWS_MAX_DISCOVERY_PER_SITE=30"]
    with fault_server(tmp_path, "--site", "sprawl", "--articles", str(ARTICLES)) as site:
        result = run_crawl(tmp_path, "-a", f"start_urls={site.url}/", settings=[*HOSTILE, *bounds])
        accessed = site.accessed()
    assert result.returncode == 0, result.log[-3000:]
    sitemaps = [e for e in accessed if e["path"].startswith("/endless/")]
    assert 0 < len(sitemaps) <= 30
    assert result.stats["newscrawl/discovery/capped"] >= 1
    assert result.stats["newscrawl/links_capped"] == ARTICLES + WIDE_LINKS - 100
    assert result.stats["scheduler/enqueued"] < 200
    assert len(result.records) == ARTICLES
    fetched = article_urls(site.url, accessed)
    assert_accounted(tmp_path / "state.sqlite", result, fetched, [tmp_path / "out.jsonl"])


def test_the_page_budget_covers_sitemaps_feeds_and_robots(tmp_path):
    with fault_server(tmp_path, "--site", "sprawl", "--articles", str(ARTICLES)) as site:
        budget = ["NEWS_MAX_PAGES_PER_SITE=8"]
        result = run_crawl(tmp_path, "-a", f"start_urls={site.url}/", settings=[*HOSTILE, *budget])
        accessed = site.accessed()
    assert result.returncode in (0, 3), result.log[-3000:]
    # robots.txt is fetched once and counted: for its rules and its Sitemap: lines alike.
    assert len(accessed) <= 8, [e["path"] for e in accessed]
    assert result.stats["newscrawl/failed/site_budget"] >= 1


def test_a_canonical_naming_another_delivered_article_does_not_replace_it(tmp_path):
    """A page whose rel=canonical named a delivered article went out as that article's
    version 2, with the other page's title and text."""
    with news_site(2) as site:
        first, _ = crawl(tmp_path, site)
        assert first.returncode == 0, first.log[-3000:]
        target = sorted(site.articles)[0]
        claimant = site.add(3)
        site.articles[claimant].canonical = target
        second, _ = crawl(tmp_path, site)
    assert second.returncode == 0, second.log[-3000:]
    records = by_path(second.records)
    assert list(records) == [claimant], "the claimed article went out again"
    record = records[claimant]
    assert record["version"] == 1 and "canonical_untrusted" in record["warnings"]
    assert record["id"] != by_path(first.records)[target]["id"]
    assert second.stats["newscrawl/canonical_untrusted"] == 1


def test_a_canonical_naming_another_article_of_the_run_keeps_both():
    stats = get_crawler().stats
    assert stats is not None
    dedup = DedupPipeline(stats)
    real = ArticleItem(id="a", url="http://x.cn/a", text_hash="1", fingerprint=0)
    every_bit = (1 << 64) - 1  # as far from 0 as a simhash gets: another text
    claimant = ArticleItem(
        id="a",
        url="http://x.cn/b",
        canonical_url="http://x.cn/a",
        text_hash="2",
        fingerprint=every_bit,
    )
    assert dedup.process_item(real) is real
    kept = dedup.process_item(claimant)
    assert kept.id != "a" and kept.canonical_url is None
    assert stats.get_value("newscrawl/canonical_untrusted") == 1
    variant = ArticleItem(
        id="a", url="http://x.cn/a?amp", canonical_url="http://x.cn/a", text_hash="3", fingerprint=1
    )
    with pytest.raises(Duplicate):
        dedup.process_item(variant)  # the same text, near enough: the same article


def test_another_port_of_the_site_host_is_another_site(tmp_path):
    """Links, redirects, meta refreshes, robots.txt Sitemap: lines and sitemap entries reached
    any port of an allowed host (the check compared hosts only), and a meta refresh passed no
    redirect rule at all."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with fault_server(tmp_path / "b", "--site", "plain", "--articles", "3") as foreign:
        args = ("--site", "ports", "--articles", str(ARTICLES), "--foreign", foreign.url)
        with fault_server(tmp_path / "a", *args) as site:
            result = run_crawl(tmp_path, "-a", f"start_urls={site.url}/", settings=HOSTILE)
            fetched = article_urls(site.url, site.accessed())
        assert foreign.accessed() == [], "a request went to another port"
    assert result.returncode == 0, result.log[-3000:]
    assert result.stats["newscrawl/failed/offsite_redirect"] == 2  # the 302 and the refresh
    assert result.stats["newscrawl/links_offsite"] == 1
    assert result.stats["newscrawl/discovery/offsite_entry"] == 1
    assert len(result.records) == ARTICLES
    assert_accounted(tmp_path / "state.sqlite", result, fetched, [tmp_path / "out.jsonl"])


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("NEWS_MAX_PAGES_PER_SITE=lots", "NEWS_MAX_PAGES_PER_SITE='lots' is not a whole number"),
        ("NEWS_RECHECK_DAYS=-1", "NEWS_RECHECK_DAYS='-1' is negative"),
        ("NEWS_NEAR_DUPLICATE_BITS=9", "NEWS_NEAR_DUPLICATE_BITS='9' is not 0 to 3"),
        ("NEWS_PROBE_COMMON_PATHS=perhaps", "NEWS_PROBE_COMMON_PATHS='perhaps' is neither"),
    ],
)
def test_a_bad_setting_is_a_clear_error_at_start(tmp_path, setting, named):
    result = run_crawl(tmp_path, "-a", "start_urls=http://127.0.0.1:9/", settings=[setting])
    assert result.returncode == 2
    assert f"newscrawl: bad settings: {named}" in result.log
    assert "Traceback" not in result.log


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ("timezone = 5", "timezone must be a non-empty string"),
        ('start_urls = ["http://127.0.0.1:port/"]', "bad URL 'http://127.0.0.1:port/'"),
    ],
)
def test_a_bad_sites_file_value_is_a_clear_error_at_start(tmp_path, entry, named):
    sites = tmp_path / "sites.toml"
    start = "" if entry.startswith("start_urls") else 'start_urls = ["http://127.0.0.1:9/"]\n'
    sites.write_text(f"[sites.a]\n{start}{entry}\n", "utf-8")
    result = run_crawl(tmp_path, "-a", f"sites={sites}")
    assert result.returncode == 2
    assert named in result.log
    assert "Traceback" not in result.log
