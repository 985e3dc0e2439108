"""Scheduled crawls, for real: repeated crawls of a local site that changes between them emit
only what is new or changed, skip what need not be fetched, deliver every article exactly once
even when a crawl is killed, and exit non-zero when a site is broken."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import sha1, sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST, REPO, CrawlResult, read_jsonl, run_crawl
from tests.faultserver import _prose, article_html

pytestmark = pytest.mark.crawl


@dataclass
class Article:
    title: str
    paragraphs: list[str]
    lastmod: str = "2024-05-01"
    listed: bool = True  # in the sitemap and on the home page
    shell: bool = False  # served as a JavaScript shell: the page an article is expected from
    canonical: str = ""  # the path its rel=canonical names; none when empty


@dataclass
class NewsSite:
    """A small news site that a test can change between crawls: a home page linking every
    article, robots.txt naming a sitemap with lastmod dates, ETags and 304s on articles."""

    articles: dict[str, Article] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)  # extra links on the home page
    delay: float = 0.0  # before each article response
    broken: bool = False  # every path answers 500
    validators: bool = True  # ETags and 304s on articles
    boilerplate: str = ""  # a line inside every article's body: the site's template
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # path, If-None-Match
    url: str = ""

    def add(self, n: int) -> str:
        path = f"/news/2024/05/{1 + n % 28:02d}/story-{n:04d}.html"
        rng = random.Random(n)
        self.articles[path] = Article(f"Story number {n} of the day", _prose(rng))
        return path

    def article_hits(self) -> list[str]:
        return [path for path, _ in self.requests if path.startswith(("/news/", "/amp/"))]


# Every article states a modification date that no change of its text ever updates.
STALE_MODIFIED = (
    '<meta charset="utf-8"><meta property="article:modified_time" content="2024-05-01T09:00:00Z">'
)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the site's request list is the log."""

    def do_GET(self) -> None:
        site = self.server.site
        path = self.path.split("?")[0]
        site.requests.append((self.path, self.headers.get("If-None-Match")))
        if site.broken:
            return self._send(500, b"<html><body>Internal error</body></html>")
        if path == "/robots.txt":
            return self._send(200, f"Sitemap: {site.url}/sitemap.xml\n".encode(), "text/plain")
        if path == "/sitemap.xml":
            entries = "".join(
                f"<url><loc>{site.url}{p}</loc><lastmod>{a.lastmod}</lastmod></url>"
                for p, a in site.articles.items()
                if a.listed
            )
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
            return self._send(200, body.encode(), "application/xml")
        if path == "/":
            paths = [*(p for p, a in site.articles.items() if a.listed), *site.links]
            links = "".join(f"<li><a href='{p}'>{p}</a></li>" for p in paths)
            return self._send(200, f"<html><body><ul>{links}</ul></body></html>".encode())
        article = site.articles.get(path.removeprefix("/amp"))
        if article is None:
            return self._send(404, b"<html><body>Not found</body></html>")
        time.sleep(site.delay)
        if article.shell:
            shell = f"<html><head><title>{article.title}</title></head><body><div id='app'>"
            return self._send(200, (shell + "</div><script src='/app.js'></script>").encode())
        paragraphs = [*article.paragraphs, *([site.boilerplate] if site.boilerplate else [])]
        canonical = f'<link rel="canonical" href="{site.url}{article.canonical}">'
        meta = STALE_MODIFIED + (canonical if article.canonical else "")
        body = article_html(article.title, paragraphs, meta=meta).encode()
        if not site.validators:
            return self._send(200, body)
        etag = f'"{sha1(body).hexdigest()[:16]}"'
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", etag=etag)
        self._send(200, body, etag=etag)

    def _send(
        self, status: int, body: bytes, kind: str = "text/html; charset=utf-8", etag: str = ""
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if etag:
            self.send_header("ETag", etag)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet when a crawler hangs up mid-response (a killed crawl does)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, site: NewsSite) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site = site


@contextmanager
def news_site(articles: int) -> Iterator[NewsSite]:
    site = NewsSite()
    for n in range(1, articles + 1):
        site.add(n)
    server = _Server(site)
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


# In-process extraction: a handful of pages does not pay for a worker pool's start-up.
LOCAL = ["NEWS_EXTRACT_WORKERS=0"]


def crawl(tmp_path: Path, site: NewsSite, *settings: str) -> tuple[CrawlResult, dict[str, Any]]:
    """One scheduled run (``-O out.jsonl``, state in tmp_path) and its manifest."""
    result = run_crawl(tmp_path, "-a", f"start_urls={site.url}/", settings=[*LOCAL, *settings])
    manifest = tmp_path / "out.jsonl.manifest.json"
    return result, json.loads(manifest.read_text("utf-8")) if manifest.exists() else {}


def by_path(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {"/" + r["url"].split("/", 3)[3]: r for r in records}


def test_only_new_and_changed_articles_are_emitted(tmp_path, record_validator):
    with news_site(6) as site:
        first, manifest = crawl(tmp_path, site)
        assert first.returncode == 0, first.log[-3000:]
        assert len(first.records) == 6
        assert {r["version"] for r in first.records} == {1}
        assert manifest["totals"]["new"] == 6
        assert manifest["health"] == {"ok": True, "failures": [], "exit_code": 0}
        first_crawl = manifest["crawl_id"]

        site.requests.clear()
        second, manifest = crawl(tmp_path, site)
        assert second.returncode == 0, "nothing new on a healthy site is a healthy run"
        assert second.records == []
        (name,) = manifest["sites"]
        assert manifest["sites"][name]["articles"] == {
            "new": 0,
            "changed": 0,
            "unchanged": 6,
            "duplicate": 0,
            "skipped": 0,
        }
        assert manifest["previous"]["crawl_id"] == first_crawl
        assert manifest["alerts"] == []
        # Young articles are re-checked, conditionally: the server answered 304.
        assert all(etag for path, etag in site.requests if path.startswith("/news/"))
        assert second.stats["newscrawl/articles/not_modified"] == 6

        changed = next(iter(site.articles))
        site.articles[changed].paragraphs[0] = "A correction was added to this story today. "
        site.articles[changed].paragraphs[0] += "The council vote happened on Wednesday."
        site.articles[changed].lastmod = "2024-05-03"
        added = site.add(7)
        third, manifest = crawl(tmp_path, site)
    assert third.returncode == 0, third.log[-3000:]
    records = by_path(third.records)
    assert set(records) == {changed, added}
    before = by_path(first.records)[changed]
    assert records[changed]["id"] == before["id"]
    assert records[changed]["version"] == 2
    # The page's own dateModified predates the change: the record says when it was found.
    assert records[changed]["date_modified"] > before["fetched_at"]
    assert records[changed]["modified_at"] == records[changed]["date_modified"]
    assert records[changed]["text_hash"] != before["text_hash"]
    assert records[added]["version"] == 1
    totals = manifest["totals"]
    assert [totals[k] for k in ("new", "changed", "unchanged", "records")] == [1, 1, 5, 2]
    for record in third.records:
        assert not list(record_validator.iter_errors(record))


def test_template_lines_learned_after_delivery_do_not_make_an_article_changed(tmp_path):
    """The crawl state keeps the site's template: the next run strips a line from articles that
    kept it when first delivered, before the line was known. Without validators every article
    is fetched and extracted again; none of them changed."""
    with news_site(10) as site:
        site.validators = False
        site.boilerplate = (
            "The Fault Gazette is an independent newspaper, founded in 1901 in the harbour city."
        )
        first, _ = crawl(tmp_path, site, "NEWS_TEMPLATE_MIN_PAGES=3", "CONCURRENT_REQUESTS=1")
        assert first.returncode == 0, first.log[-3000:]
        kept = [r for r in first.records if site.boilerplate in r["text"]]
        assert 0 < len(kept) < 10, "the first articles keep the line, later ones lose it"
        second, manifest = crawl(tmp_path, site, "NEWS_TEMPLATE_MIN_PAGES=3")
    assert second.returncode == 0, second.log[-3000:]
    assert second.records == [], [r["url"] for r in second.records]
    assert manifest["totals"]["unchanged"] == 10


def test_old_articles_are_fetched_again_only_when_their_lastmod_moves(tmp_path):
    settings = ["NEWS_RECHECK_DAYS=0"]
    with news_site(4) as site:
        first, _ = crawl(tmp_path, site, *settings)
        assert len(first.records) == 4

        site.requests.clear()
        second, manifest = crawl(tmp_path, site, *settings)
        assert second.returncode == 0
        assert site.article_hits() == []
        assert second.stats["newscrawl/articles/skipped_unchanged"] == 4
        assert manifest["totals"]["skipped"] == 4

        moved = next(iter(site.articles))
        site.articles[moved].lastmod = "2024-06-01"
        site.requests.clear()
        third, manifest = crawl(tmp_path, site, *settings)
        assert site.article_hits() == [moved]
        assert third.records == []  # the lastmod moved, the text did not
        assert manifest["totals"]["unchanged"] == 1 and manifest["totals"]["skipped"] == 3

        # Forgetting the site makes the next run fetch and emit everything again.
        name, state = first.records[0]["site"], tmp_path / "state.sqlite"
        reset = subprocess.run(
            [sys.executable, "-m", "scrapy", "state", "reset", name, "-s", f"NEWS_STATE={state}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert reset.returncode == 0, reset.stderr
        assert f"{name}: 8 pages and records forgotten" in reset.stdout
        fourth, _ = crawl(tmp_path, site, *settings)
    assert len(fourth.records) == 4
    assert {r["version"] for r in fourth.records} == {1}


def test_one_article_under_three_url_variants_is_one_record(tmp_path):
    with news_site(2) as site:
        path = next(iter(site.articles))
        site.links = [f"{path}?utm_source=newsletter&utm_medium=email#comments", f"/amp{path}"]
        first, _ = crawl(tmp_path, site)
        assert first.returncode == 0, first.log[-3000:]
        assert len(first.records) == 2
        assert first.stats["newscrawl/duplicates/same_url"] == 2
        # Across runs too: only a variant is linked now, and it is the same article.
        site.articles[path].listed = False
        site.links = [f"{path}?utm_campaign=spring"]
        site.requests.clear()
        second, manifest = crawl(tmp_path, site)
    assert site.article_hits().count(f"{path}?utm_campaign=spring") == 1
    assert second.records == []
    assert manifest["totals"]["unchanged"] == 2


def test_a_site_that_moved_its_articles_to_new_urls_is_healthy(tmp_path):
    """Served again on another port, every article has a new URL and a delivered text: nothing
    is emitted, and the run is a healthy one whose article pages are all duplicates."""
    with news_site(3) as site:
        first, _ = crawl(tmp_path, site)
    assert first.returncode == 0, first.log[-3000:]
    with news_site(3) as moved:
        assert moved.url != site.url
        second, manifest = crawl(tmp_path, moved)
    assert second.returncode == 0, manifest.get("health")
    assert second.records == []
    assert second.stats["newscrawl/duplicates/delivered_same_text"] == 3
    (name,) = manifest["sites"]
    assert manifest["sites"][name]["articles"]["duplicate"] == 3
    assert manifest["sites"][name]["article_pages"] == 3
    assert manifest["health"]["ok"] is True


def _partitioned(tmp_path: Path) -> list[str]:
    return [
        f"NEWS_OUTPUT={tmp_path}/out/%(site)s/%(crawl_date)s/%(crawl_id)s.jsonl",
        f"NEWS_STATE={tmp_path / 'state.sqlite'}",
        f"NEWS_REJECTS={tmp_path / 'rejects.jsonl'}",
        f"LOG_FILE={tmp_path / 'crawl.log'}",
        f"NEWS_STATS_FILE={tmp_path / 'stats.json'}",
        "LOG_LEVEL=INFO",
        *FAST,
        *LOCAL,
    ]


def _start(tmp_path: Path, site: NewsSite, *settings: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"start_urls={site.url}/"]
    for setting in [*_partitioned(tmp_path), *settings]:
        cmd += ["-s", setting]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _log(tmp_path: Path) -> str:
    return (tmp_path / "crawl.log").read_text("utf-8")[-3000:]


def _committed(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "out").rglob("*.jsonl") if not p.name.startswith("."))


def test_a_killed_crawl_delivers_nothing_twice_and_loses_nothing(tmp_path):
    with news_site(5) as site:
        first = _start(tmp_path, site)
        assert first.wait(timeout=120) == 0, _log(tmp_path)
        (delivered,) = _committed(tmp_path)

        for n in range(6, 31):
            site.add(n)
        site.delay = 0.1
        site.requests.clear()
        killed = _start(tmp_path, site, "CONCURRENT_REQUESTS=2")
        deadline = time.monotonic() + 60
        # Killed once records are being written (the partial file exists) and more are coming.
        while not list((tmp_path / "out").rglob(".*.part")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        assert killed.returncode == -signal.SIGKILL
        assert len(site.article_hits()) < 30, "the crawl was killed before it ended"
        assert _committed(tmp_path) == [delivered], "no file under a final name"

        site.delay = 0
        last = _start(tmp_path, site)
        assert last.wait(timeout=120) == 0, _log(tmp_path)
    files = _committed(tmp_path)
    assert len(files) == 2
    assert not list((tmp_path / "out").rglob(".*.part")), "the killed crawl's file is cleaned up"
    records = [r for f in files for r in read_jsonl(f)]
    paths = sorted(by_path(records))
    assert paths == sorted(site.articles), "every article exactly once across committed files"
    assert len(records) == len(paths) == 30
    manifests = sorted((tmp_path / "out" / "manifests").glob("*.json"))
    assert len(manifests) == 2, "the killed crawl wrote no manifest"
    last_manifest = json.loads(manifests[-1].read_text("utf-8"))
    assert last_manifest["totals"]["new"] == 25
    (file,) = last_manifest["files"]
    assert file["records"] == 25 and file["committed"] is True


def test_a_site_that_only_errors_makes_the_run_fail(tmp_path):
    with news_site(3) as site:
        site.broken = True
        result, manifest = crawl(tmp_path, site, "RETRY_TIMES=0")
    assert result.returncode == 3
    assert manifest["health"]["ok"] is False
    failures = " | ".join(manifest["health"]["failures"])
    assert "0 article pages" in failures
    assert "error rate 1.00 above NEWS_MAX_ERROR_RATE" in failures
    (name,) = manifest["sites"]
    assert manifest["sites"][name]["errors"]["failed/http_500"] >= 1


def test_a_site_where_a_third_of_the_articles_break_fails_by_name(tmp_path):
    with news_site(9) as site:
        first, manifest = crawl(tmp_path, site)
        assert first.returncode == 0, first.log[-3000:]
        for path in list(site.articles)[:3]:
            site.articles[path].shell = True
            site.articles[path].lastmod = "2024-05-02"  # refetched, as a changed article is
        second, manifest = crawl(tmp_path, site)
    assert second.returncode == 3, manifest.get("health")
    (name,) = manifest["sites"]
    (failure,) = manifest["health"]["failures"]
    assert failure.startswith(f"site {name}: 3 of 9 article pages rejected (33%)"), failure
    assert "RESULT exit=3 UNHEALTHY new=0 changed=0 unchanged=6 rejects=3" in second.log
    assert f"  unhealthy: {failure}" in second.log, "the summary names the site too"


def test_a_demo_run_between_two_runs_of_a_job_is_no_baseline(tmp_path):
    with news_site(4) as site:
        first, manifest = crawl(tmp_path, site)
        assert first.returncode == 0, first.log[-3000:]
        job, first_id = manifest["job"], manifest["crawl_id"]
        demo = run_crawl(tmp_path, settings=LOCAL)
        assert demo.returncode == 0, demo.log[-3000:]
        second, manifest = crawl(tmp_path, site)
    assert second.returncode == 0, manifest.get("health")
    assert manifest["job"] == job
    assert manifest["previous"]["crawl_id"] == first_id
    assert manifest["alerts"] == []
    history = json.loads((tmp_path / "jobs" / job / "history.json").read_text("utf-8"))
    assert [run["crawl_id"] for run in history] == [
        first_id,
        manifest["crawl_id"],
    ], "the demo run is in no job's history"


def test_run_files_are_named_by_crawl_id_and_latest_names_the_delivery(tmp_path):
    """Partitioned gzipped output, run files beside it by default, two runs of one job kept to
    the last one (NEWS_KEEP_RUNS=1)."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news"]
    for setting in [
        f"NEWS_OUTPUT={out}/%(site)s/%(crawl_date)s/%(crawl_id)s.jsonl.gz",
        f"NEWS_STATE={tmp_path / 'state.sqlite'}",
        f"LOG_FILE={tmp_path / 'crawl.log'}",
        "NEWS_KEEP_RUNS=1",
        *FAST,
        *LOCAL,
    ]:
        cmd += ["-s", setting]
    manifests = []
    with news_site(4) as site:
        site.articles[site.add(5)].shell = True
        for _ in range(2):
            args = ["-a", f"start_urls={site.url}/", "-a", "job=hourly"]
            done = subprocess.run([*cmd, *args], cwd=REPO, timeout=300, capture_output=True)
            assert done.returncode == 0, (tmp_path / "crawl.log").read_text("utf-8")[-3000:]
            (path,) = (out / "manifests").glob("*.json")
            manifests.append(json.loads(path.read_text("utf-8")))
            site.add(6)
    first, second = manifests
    assert second["job"] == "hourly" and second["previous"]["crawl_id"] == first["crawl_id"]
    crawl_id = second["crawl_id"]
    stats, rejects = second["run_files"]["stats"], second["run_files"]["rejects"]
    assert stats["path"] == f"{out}/stats/{crawl_id}.json"
    assert rejects["path"] == f"{out}/rejects/{crawl_id}.jsonl"
    assert stats["sha256"] == sha256(Path(stats["path"]).read_bytes()).hexdigest()
    assert read_jsonl(Path(rejects["path"]))[0]["reason"].startswith("not_article/")
    (delivered,) = second["files"]
    assert delivered["uri"].endswith(f"/{crawl_id}.jsonl.gz") and delivered["records"] == 1
    latest = json.loads((tmp_path / "jobs" / "hourly" / "latest.json").read_text("utf-8"))
    assert latest["crawl_id"] == crawl_id and latest["healthy"] is True
    assert latest["files"] == [{k: delivered[k] for k in ("uri", "records", "sha256")}]
    assert latest["stats"] == stats["path"] and latest["rejects"] == rejects["path"]
    (first_file,) = first["files"]
    assert not Path(first_file["uri"]).exists(), "the first run's output went (NEWS_KEEP_RUNS)"
    assert not Path(first["run_files"]["stats"]["path"]).exists()
    assert Path(delivered["uri"]).exists()


def _oneshot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``scrapy ARGS`` with the same state setting a job's crawl has."""
    cmd = [sys.executable, "-m", "scrapy", *args, "-s", f"NEWS_STATE={tmp_path / 'state.sqlite'}"]
    return subprocess.run(cmd, cwd=REPO, timeout=300, capture_output=True, text=True)


def test_try_and_parse_between_two_runs_of_a_job_leave_no_trace(tmp_path):
    with news_site(4) as site:
        first, manifest = crawl(tmp_path, site)
        assert first.returncode == 0, first.log[-3000:]
        job, first_id = manifest["job"], manifest["crawl_id"]
        files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
        state = (tmp_path / "state.sqlite").read_bytes()
        new = site.add(5)
        shell = site.add(6)
        site.articles[shell].shell = True
        tried = _oneshot(tmp_path, "try", site.url + new)
        assert tried.returncode == 0, tried.stderr[-3000:]
        report = json.loads(tried.stdout)
        assert report["outcome"] == "record" and report["record"]["url"] == site.url + new
        rejected = _oneshot(tmp_path, "try", site.url + shell)
        assert rejected.returncode == 1, rejected.stderr[-3000:]
        (reject,) = json.loads(rejected.stdout)["rejects"]
        assert reject["reason"].startswith("not_article/") and reject["detail"], reject
        parsed = _oneshot(tmp_path, "parse", "--spider=news", site.url + new)
        assert parsed.returncode == 0, parsed.stderr[-3000:]
        assert "Story number 5 of the day" in parsed.stdout
        assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == files, "no file written"
        assert (tmp_path / "state.sqlite").read_bytes() == state, "the crawl state untouched"
        second, manifest = crawl(tmp_path, site)
    assert manifest["previous"]["crawl_id"] == first_id and manifest["job"] == job
    assert manifest["totals"]["new"] == 1, "the article tried is new to the job's next run"
    assert second.returncode == 0, manifest["health"]


def test_preview_lists_the_article_pages_without_fetching_them(tmp_path):
    with news_site(3) as site:
        done = _oneshot(tmp_path, "preview", "-a", f"start_urls={site.url}/", *("-s", *FAST[:1]))
        hits = site.article_hits()
    assert done.returncode == 0, done.stderr[-3000:]
    listed = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(e["url"] for e in listed) == sorted(site.url + p for p in site.articles)
    assert hits == [], "discovery only: no article page fetched"
    assert not (tmp_path / "state.sqlite").exists()


def test_try_refuses_a_url_no_site_of_the_file_takes(tmp_path):
    done = _oneshot(tmp_path, "try", "http://127.0.0.1:9/a.html", "-a", "site=china_org_cn")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "no site of ['china_org_cn'] takes http://127.0.0.1:9/a.html" in done.stderr
