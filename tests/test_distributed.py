"""Distributed crawls on a real Redis: two workers share one crawl of a 300-article site at
full speed, each delivering at least 35% of it and each article once, and a second run emits
nothing; a third worker started mid-crawl takes a share; politeness holds for the crawl as a
whole, measured at the server (requests in flight, robots.txt Crawl-delay); losing Redis stops
the workers with a non-zero exit within the retry time and the next crawl delivers the rest,
once; a short outage is ridden out."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FAST, REPO, RedisServer, fault_server, needs_redis, read_jsonl, serve
from tests.faultserver import _prose, article_html

pytestmark = [pytest.mark.crawl, needs_redis]

ARTICLES = 300


def _site(root: Path) -> Path:
    """A home page linking ARTICLES article pages."""
    links = []
    for n in range(ARTICLES):
        path = f"news/2024/05/{1 + n % 28:02d}/story-{n:04d}.html"
        page = root / path
        page.parent.mkdir(parents=True, exist_ok=True)
        html = article_html(f"Story number {n} of the day", _prose(random.Random(n)))
        page.write_text(html, "utf-8")
        links.append(f'<li><a href="/{path}">Story number {n}</a></li>')
    home = "<!DOCTYPE html><html><head><title>Gazette</title></head><body><ul>"
    (root / "index.htm").write_text(home + "\n".join(links) + "</ul></body></html>", "utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", "utf-8")
    return root


def _workers(
    tmp: Path, url: str, redis_url: str, *settings: str, names: tuple[str, ...] = ("w1", "w2")
) -> list[subprocess.Popen[str]]:
    procs = []
    for worker in names:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"start_urls={url}/"]
        for setting in [
            *FAST,
            f"NEWS_REDIS_URL={redis_url}",
            f"NEWS_WORKER_ID={worker}",
            f"NEWS_OUTPUT={tmp}/out/%(site)s/%(crawl_date)s/%(crawl_id)s.jsonl",
            f"NEWS_REJECTS={tmp}/rejects-{worker}.jsonl",
            f"NEWS_STATS_FILE={tmp}/stats-{worker}.json",
            f"LOG_FILE={tmp}/{worker}.log",
            "NEWS_REDIS_IDLE_SECONDS=3",
            "NEWS_EXTRACT_WORKERS=0",
            "NEWS_PROBE_COMMON_PATHS=False",
            *settings,
        ]:
            cmd += ["-s", setting]
        procs.append(subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True))
    return procs


def _wait(procs: list[subprocess.Popen[str]], timeout: float) -> list[int]:
    codes = []
    for proc in procs:
        _, err = proc.communicate(timeout=timeout)
        codes.append(proc.returncode)
        assert "Traceback" not in err, err[-3000:]
    return codes


def _outputs(tmp: Path) -> dict[str, list[dict[str, object]]]:
    """Records per output file."""
    return {str(p): read_jsonl(p) for p in sorted((tmp / "out").rglob("*.jsonl"))}


def test_two_workers_share_one_crawl_and_a_second_run_emits_nothing(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    site = _site(tmp_path / "site")
    with serve(site) as url:
        # At full speed: an idle worker takes work as soon as the other has seeded the queue.
        codes = _wait(_workers(tmp_path, url, redis_server.url), timeout=240)
        logs = {w: (tmp_path / f"{w}.log").read_text("utf-8") for w in ("w1", "w2")}
        assert codes == [0, 0], logs
        files = _outputs(tmp_path)
        assert len(files) == 2, f"each worker writes its own file: {list(files)}"
        shares = _shares(tmp_path)
        assert all(n >= 0.35 * ARTICLES for n in shares.values()), (
            f"each worker must deliver at least 35% of the articles: {shares}"
        )
        _delivered_once(tmp_path)

        manifests = sorted((tmp_path / "out" / "manifests").glob("*.json"))
        assert len(manifests) == 2, manifests
        crawl_id = json.loads(manifests[0].read_text("utf-8"))["crawl_id"]
        out, jobs = str(tmp_path / "out"), f"NEWS_JOBS_DIR={tmp_path / 'jobs'}"
        merge = subprocess.run(
            [sys.executable, "-m", "scrapy", "manifest-merge", crawl_id, out, "-s", jobs],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert merge.returncode == 0, merge.stdout + merge.stderr
        merged = json.loads((tmp_path / "out" / "manifests" / f"{crawl_id}.json").read_text())
        assert merged["totals"]["records"] == ARTICLES
        assert merged["workers"] == ["w1", "w2"]
        assert merged["health"]["ok"], merged["health"]
        # The job of the workers keeps the merged run: history and latest delivery.
        latest = json.loads((tmp_path / "jobs" / merged["job"] / "latest.json").read_text())
        assert latest["crawl_id"] == crawl_id
        assert sum(f["records"] for f in latest["files"]) == ARTICLES

        # The same site again: the shared crawl state knows every article.
        second = _wait(_workers(tmp_path, url, redis_server.url), timeout=240)
        assert second == [0, 0]
        assert _outputs(tmp_path) == files, "the second run emitted records"


def _wait_for_requests(access: Path, procs: list[subprocess.Popen[str]], n: int) -> None:
    deadline = time.monotonic() + 60
    while not access.exists() or len(access.read_text("utf-8").splitlines()) < n:
        assert time.monotonic() < deadline, "the crawl did not start"
        assert all(p.poll() is None for p in procs), "a worker ended before Redis went away"
        time.sleep(0.1)


def _delivered_once(tmp: Path, articles: int = ARTICLES) -> None:
    """Every article of the site in the committed outputs, each exactly once."""
    records = [r for rs in _outputs(tmp).values() for r in rs]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "an article was delivered twice"
    assert len({str(r["url"]).rsplit("/", 1)[1] for r in records}) == articles


def _shares(tmp: Path) -> dict[str, int]:
    """Records delivered per worker (the worker id is in each output file's name)."""
    shares: dict[str, int] = {}
    for name, records in _outputs(tmp).items():
        worker = Path(name).name.split(".")[-2]
        shares[worker] = shares.get(worker, 0) + len(records)
    return shares


def test_a_worker_started_mid_crawl_takes_a_share(tmp_path: Path, redis_server: RedisServer):
    # Each article takes 0.5 s to answer and each worker has 4 requests at once: the crawl
    # lasts long enough for a third worker to start (slowly, on a loaded host) while most of it
    # is left.
    with fault_server(tmp_path, "--site", "plain", "--articles", "300", "--latency", "0.5") as site:
        four = ["CONCURRENT_REQUESTS=4"]
        procs = _workers(tmp_path, site.url, redis_server.url, *four)
        deadline = time.monotonic() + 120
        while sum("/story-" in e["path"] for e in site.accessed()) < 20:
            assert time.monotonic() < deadline, "the crawl did not start"
            assert all(p.poll() is None for p in procs), "a worker ended early"
            time.sleep(0.1)
        procs += _workers(tmp_path, site.url, redis_server.url, *four, names=("w3",))
        codes = _wait(procs, timeout=240)
    assert codes == [0, 0, 0]
    shares = _shares(tmp_path)
    assert shares.get("w3", 0) >= 0.1 * ARTICLES, f"the third worker took too little: {shares}"
    _delivered_once(tmp_path)


def test_the_requests_in_flight_to_a_host_are_limited_for_the_crawl_as_a_whole(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    with fault_server(tmp_path, "--site", "plain", "--articles", "100", "--latency", "0.3") as site:
        polite = ["CONCURRENT_REQUESTS_PER_DOMAIN=4"]
        codes = _wait(_workers(tmp_path, site.url, redis_server.url, *polite), timeout=240)
        accessed = site.accessed()
    assert codes == [0, 0]
    shares = _shares(tmp_path)
    assert len(shares) == 2 and min(shares.values()) >= 10, f"both workers crawl: {shares}"
    # Each worker alone would have 4 in flight: 8 at once at the server.
    peak = max(e["in_flight"] for e in accessed)
    assert peak <= 4, f"the server saw {peak} requests at once from a crawl limited to 4"
    _delivered_once(tmp_path, 100)


def test_a_robots_crawl_delay_holds_for_the_crawl_as_a_whole(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    # 30 articles at one a second: the crawl outlasts a second worker's start on a loaded host
    # (with 12, one worker once crawled them all before the other had started).
    args = ["--site", "plain", "--articles", "30", "--robots", "crawl-delay=1"]
    with fault_server(tmp_path, *args) as site:
        # Two requests at a time per worker: both workers hold articles while the crawl lasts.
        codes = _wait(
            _workers(tmp_path, site.url, redis_server.url, "CONCURRENT_REQUESTS=2"), timeout=240
        )
        accessed = site.accessed()
    assert codes == [0, 0]
    shares = _shares(tmp_path)
    assert len(shares) == 2 and min(shares.values()) >= 2, f"both workers crawl: {shares}"
    # Each worker alone would make one request a second: two a second at the server.
    times = sorted(e["t"] for e in accessed if e["path"] != "/robots.txt")
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= 1.1, f"{rate:.2f} requests a second under a Crawl-delay of 1 s"
    _delivered_once(tmp_path, 30)


def test_workers_that_lose_redis_stop_non_zero_and_the_next_crawl_delivers_the_rest_once(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    site = _site(tmp_path / "site")
    access = tmp_path / "access.log"
    slow = ["DOWNLOAD_DELAY=0.05", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    lease = "NEWS_REDIS_LEASE_SECONDS=2"
    with serve(site, access) as url:
        procs = _workers(
            tmp_path, url, redis_server.url, *slow, lease, "NEWS_REDIS_RETRY_SECONDS=3"
        )
        _wait_for_requests(access, procs, 30)
        redis_server.kill()
        killed = time.monotonic()
        codes = _wait(procs, timeout=60)
        took = time.monotonic() - killed
        logs = "".join((tmp_path / f"{w}.log").read_text("utf-8") for w in ("w1", "w2"))
        assert all(code != 0 for code in codes), codes
        assert took < 3 + 20, f"workers took {took:.0f} s to stop"
        assert "Redis is unreachable" in logs
        assert "redis_unavailable" in logs

        # Redis is back with its data; the dead crawl's lease lapses and the next start is a
        # new crawl, which the crawl state keeps from delivering anything a second time.
        redis_server.start()
        time.sleep(2.5)
        assert _wait(_workers(tmp_path, url, redis_server.url, lease), timeout=240) == [0, 0]
    _delivered_once(tmp_path)


def test_workers_ride_out_a_short_redis_outage(tmp_path: Path, redis_server: RedisServer) -> None:
    site = _site(tmp_path / "site")
    access = tmp_path / "access.log"
    slow = ["DOWNLOAD_DELAY=0.02", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    with serve(site, access) as url:
        procs = _workers(tmp_path, url, redis_server.url, *slow, "NEWS_REDIS_RETRY_SECONDS=30")
        _wait_for_requests(access, procs, 30)
        redis_server.kill()
        time.sleep(2)
        redis_server.start()
        codes = _wait(procs, timeout=240)
    logs = "".join((tmp_path / f"{w}.log").read_text("utf-8") for w in ("w1", "w2"))
    assert codes == [0, 0], logs[-3000:]
    assert "Redis is unreachable" in logs and "Redis is back" in logs
    _delivered_once(tmp_path)
