"""Scale-out benchmark: the wall time of one distributed crawl of the same site by 1, 2 and 3
workers on one Redis, each worker limited to a few requests in flight, on a site that answers
slowly, so that a worker is bound by waiting, as on the open web, not by CPU.

    python bench/scaling.py [CORPUS] [--pages N] [--latency S] [--concurrency N]
                            [--workers 1,2,3] [--json OUT]

The site is bench/throughput.py's, built from the corpus pages (``--pages`` articles, default
300, listing pages and a sitemap), served from this process on 127.0.0.1 with ``--latency``
seconds (default 0.3) before every answer. Each run has a Redis of its own (``redis-server`` on
a free port) and starts its workers together: ``scrapy crawl news`` with ``NEWS_REDIS_URL``,
``CONCURRENT_REQUESTS=--concurrency`` (default 4), politeness lifted (no delay, AutoThrottle
off, no per-host limit below the workers' sum), every other setting the project's default.
Reported per run: the wall time from the start of the workers' processes to the exit of the
last (start-up and close included), the crawl time from the first to the last article served,
both as a share of the one-worker run's, the articles each worker delivered, the host's load
average (a worker is bound by waiting only while the host has CPU to spare: on a busy host the
crawls are bound by extraction, whatever their number), and where the wall time went: start-up
(the processes' start to the first request at the site), fetching (to the last answer), close
(to the last exit), with the requests in flight at the site on average while fetching. Figures
are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from throughput import build_site, corpus_pages

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.demo.server import PortalHandler, PortalServer  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


class SlowHandler(PortalHandler):
    """The demo server's handler, ``server.latency`` seconds late, noting when each request
    came and was answered, and when articles go out."""

    server: SlowServer

    def _respond(self, send_body: bool) -> None:
        came = time.monotonic()
        time.sleep(self.server.latency)
        if "/article-" in self.path:
            with self.server.times_lock:
                self.server.article_times.append(time.monotonic())
        super()._respond(send_body)
        with self.server.times_lock:
            self.server.answered.append((came, time.monotonic()))


class SlowServer(PortalServer):
    def __init__(self, root: Path, latency: float) -> None:
        super().__init__(root, ("127.0.0.1", 0))
        self.RequestHandlerClass = SlowHandler
        self.latency = latency
        self.article_times: list[float] = []
        self.answered: list[tuple[float, float]] = []  # (came, answered) of every request
        self.times_lock = threading.Lock()


@dataclass
class Run:
    workers: int
    wall_s: float
    crawl_s: float
    delivered: dict[str, int] = field(default_factory=dict)
    exit_codes: list[int] = field(default_factory=list)
    load: float = 0.0  # the host's 1-minute load average at the end: other work shares the CPU
    startup_s: float = 0.0  # from the workers' start to the first request at the site
    fetching_s: float = 0.0  # from the first request at the site to the last answer
    close_s: float = 0.0  # from the last answer to the last worker's exit
    in_flight: float = 0.0  # requests in flight at the site, on average while fetching


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(folder: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """``redis-server`` on a free loopback port, without persistence (its files, if any, in
    ``folder``); its URL once it answers."""
    port = free_port()
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    cmd += ["--dir", str(folder)] if folder is not None else []
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)


def crawl(site_root: Path, work: Path, workers: int, latency: float, concurrency: int) -> Run:
    server = SlowServer(site_root, latency)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    work.mkdir(parents=True)
    redis_proc, redis_url = start_redis(work)
    settings = [
        f"NEWS_REDIS_URL={redis_url}",
        f"CONCURRENT_REQUESTS={concurrency}",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency * workers}",
        "DOWNLOAD_DELAY=0",
        "AUTOTHROTTLE_ENABLED=False",
        "NEWS_PROBE_COMMON_PATHS=False",
        f"NEWS_OUTPUT={work}/out/%(site)s/%(crawl_id)s.jsonl",
        f"NEWS_REJECTS={work}/rejects-%(name)s.jsonl",
    ]
    try:
        start = time.monotonic()
        procs = []
        for n in range(1, workers + 1):
            cmd = [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "news",
                "-a",
                f"start_urls={server.base_url}/",
            ]
            for setting in [*settings, f"NEWS_WORKER_ID=w{n}", f"LOG_FILE={work}/w{n}.log"]:
                cmd += ["-s", setting]
            procs.append(subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.DEVNULL))
        codes = [proc.wait(timeout=900) for proc in procs]
        end = time.monotonic()
    finally:
        server.shutdown()
        server.server_close()
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
    times = sorted(server.article_times)
    delivered = {}
    for path in sorted((work / "out").rglob("*.jsonl")):
        worker = path.name.split(".")[-2]
        delivered[worker] = sum(1 for line in path.open(encoding="utf-8") if line.strip())
    crawl_s = times[-1] - times[0] if times else 0.0
    run = Run(workers, end - start, crawl_s, delivered, codes, os.getloadavg()[0])
    if server.answered:
        first = min(came for came, _ in server.answered)
        last = max(answered for _, answered in server.answered)
        run.startup_s, run.fetching_s, run.close_s = first - start, last - first, end - last
        busy = sum(answered - came for came, answered in server.answered)
        run.in_flight = busy / run.fetching_s if run.fetching_s else 0.0
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", type=int, default=300, help="articles on the site")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds before each answer")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight a worker")
    parser.add_argument("--workers", default="1,2,3", help="the worker counts to run")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the figures as JSON")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="newscrawl-scaling-") as tmp:
        folder = Path(tmp)
        found = len(corpus_pages(args.corpus)) if args.corpus.is_dir() else 0
        distinct = min(found, args.pages)
        site = None
        if distinct:
            multiplier = math.ceil(args.pages / distinct)
            site = build_site(args.corpus, folder / "site", multiplier, distinct)
        if site is None:
            print(f"No corpus pages under {args.corpus}: nothing to measure.")
            return 0
        runs = [
            crawl(site.root, folder / f"run-{n}", n, args.latency, args.concurrency) for n in counts
        ]
    articles = len(site.articles)
    print(
        f"{articles} articles, {args.latency:.2f} s per answer, "
        f"{args.concurrency} requests in flight per worker"
    )
    base = runs[0]
    print(
        f"{'workers':>8}{'wall s':>9}{'share':>8}{'crawl s':>9}{'share':>8}{'load':>6}"
        f"{'start s':>9}{'fetch s':>9}{'close s':>9}{'flight':>8}  delivered (exit)"
    )
    figures: list[dict[str, Any]] = []
    for run in runs:
        wall_share, crawl_share = run.wall_s / base.wall_s, run.crawl_s / base.crawl_s
        shares = " ".join(f"{w}:{n}" for w, n in run.delivered.items())
        print(
            f"{run.workers:>8}{run.wall_s:>9.1f}{wall_share:>8.2f}{run.crawl_s:>9.1f}"
            f"{crawl_share:>8.2f}{run.load:>6.1f}{run.startup_s:>9.1f}{run.fetching_s:>9.1f}"
            f"{run.close_s:>9.1f}{run.in_flight:>8.1f}  {shares} "
            f"({','.join(map(str, run.exit_codes))})"
        )
        figures.append(
            {
                "workers": run.workers,
                "wall_s": round(run.wall_s, 2),
                "wall_share": round(wall_share, 3),
                "crawl_s": round(run.crawl_s, 2),
                "crawl_share": round(crawl_share, 3),
                "delivered": run.delivered,
                "exit_codes": run.exit_codes,
                "load": round(run.load, 1),
                "startup_s": round(run.startup_s, 2),
                "fetching_s": round(run.fetching_s, 2),
                "close_s": round(run.close_s, 2),
                "in_flight": round(run.in_flight, 2),
            }
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
