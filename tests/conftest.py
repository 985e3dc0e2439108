"""Shared test helpers: a real HTTP server in a subprocess, and real `scrapy` commands run in
subprocesses whose JSON Lines, stats and rejects the tests read."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from crawler.items import json_schema

REPO = Path(__file__).resolve().parent.parent
PORTAL = REPO / "crawler" / "demo" / "portal"
PORTAL_TRUTH = json.loads((REPO / "crawler" / "demo" / "portal_truth.json").read_text("utf-8"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Local crawls run at full speed; politeness defaults are for real portals.
FAST = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=32"]


@pytest.fixture(scope="session", autouse=True)
def _language_model_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The decompressed language model goes to a folder of the test run, not the user's cache;
    the crawls the tests start inherit it."""
    os.environ["NEWSCRAWL_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@contextmanager
def serve(root: Path, access_log: Path | None = None) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 from a subprocess; yields the base URL."""
    cmd = [sys.executable, "-m", "crawler.demo.server", str(root), "--port", "0"]
    if access_log:
        cmd += ["--access-log", str(access_log)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), f"server did not start: {url!r}"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def load_bench(name: str) -> ModuleType:
    """A script of bench/ (a folder of scripts, not a package) as a module. It must be in
    sys.modules while it runs, or its dataclasses cannot resolve their annotations."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class CrawlResult:
    returncode: int
    records: list[dict[str, Any]]
    stats: dict[str, Any]
    rejects: list[dict[str, Any]]
    log: str
    accessed: list[str] = field(default_factory=list)

    def by_path(self) -> dict[str, dict[str, Any]]:
        return {"/" + r["url"].split("/", 3)[3]: r for r in self.records}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def run_python(script: str) -> str:
    """``script`` run by a fresh interpreter in the repository (no forkserver, no imports yet);
    its output, once it has succeeded."""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_crawl(tmp_path: Path, *args: str, settings: list[str] = ()) -> CrawlResult:  # type: ignore[assignment]
    """``scrapy crawl news ARGS -O out.jsonl`` in a subprocess, at full local speed."""
    out = tmp_path / "out.jsonl"
    rejects = tmp_path / "rejects.jsonl"
    log = tmp_path / "crawl.log"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", *args, "-O", str(out)]
    # Each test's crawls keep their own crawl state, so no crawl sees another test's articles.
    state = f"NEWS_STATE={tmp_path / 'state.sqlite'}"
    for setting in [*FAST, f"NEWS_REJECTS={rejects}", f"LOG_FILE={log}", state, *settings]:
        cmd += ["-s", setting]
    proc = subprocess.run(cmd, cwd=REPO, timeout=180, capture_output=True, text=True)
    stats_path = Path(str(out) + ".stats.json")
    return CrawlResult(
        returncode=proc.returncode,
        records=read_jsonl(out),
        stats=json.loads(stats_path.read_text("utf-8")) if stats_path.exists() else {},
        rejects=read_jsonl(rejects),
        log=(log.read_text("utf-8") if log.exists() else "") + proc.stderr,
    )


@dataclass
class RedisServer:
    """A redis-server of one test, on a free port, that writes every change to its
    append-only file: killed and started again, it comes back with its data."""

    port: int
    folder: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        cmd += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server not installed (.ci/run installs it)"
)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(port, folder)
    server.start()
    try:
        yield server
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.terminate()
            server.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def record_validator() -> Draft202012Validator:
    return Draft202012Validator(json_schema(), format_checker=FormatChecker())


@pytest.fixture(scope="session")
def portal_crawl(tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One crawl of the seed-style demo portal, shared by the tests that inspect it."""
    tmp = tmp_path_factory.mktemp("portal")
    access = tmp / "access.log"
    with serve(PORTAL, access) as url:
        result = run_crawl(tmp, "-a", f"start_urls={url}/")
    result.accessed = access.read_text("utf-8").splitlines()
    return result


# Short fuses for crawls of the hostile site: a hung page costs a second per try, and bombs and
# oversized pages are refused at 1 MB; the huge sitemap is read up to 1000 entries, most of
# which wait in the frontier while 20 requests are scheduled.
HOSTILE = [
    "DOWNLOAD_TIMEOUT=1",
    "DOWNLOAD_MAXSIZE=1000000",
    "NEWS_SITEMAP_MAX_ENTRIES=1000",
    "NEWS_SCHEDULED_PAGES_MAX=20",
]


@dataclass
class FaultSite:
    """A running tests/faultserver.py: its base URL, the other host's, and the access log."""

    url: str
    other: str
    access_log: Path

    def accessed(self) -> list[dict[str, Any]]:
        return read_jsonl(self.access_log)


@contextmanager
def fault_server(tmp_path: Path, *args: str) -> Iterator[FaultSite]:
    """Run the hostile site (``python -m tests.faultserver ARGS``) for the length of a block."""
    log = tmp_path / "access.jsonl"
    cmd = [sys.executable, "-m", "tests.faultserver", "--access-log", str(log), *args]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url, other = proc.stdout.readline().strip(), proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), f"fault server did not start: {url!r}"
        yield FaultSite(url, other, log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
