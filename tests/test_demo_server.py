"""The demo portal server, run as the crawl tests run it: a subprocess on port 0 over real HTTP.

Also checks that the bundled portal is exactly what build_portal.py writes and that the
hand-written ground truth agrees with the pages, since crawl tests score against both.
"""

from __future__ import annotations

import http.client
import json
import selectors
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit

import pytest

from crawler.demo import build_portal
from crawler.demo.server import PORTAL, serve, start_in_thread

REPO = Path(__file__).resolve().parents[1]
TRUTH = json.loads((PORTAL.parent / "portal_truth.json").read_text(encoding="utf-8"))
GBK_PATH = build_portal.GBK_ARTICLE


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, access log file) of a server subprocess, stopped when the module is done."""
    access_log = tmp_path_factory.mktemp("demo") / "access.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.demo.server", "--access-log", str(access_log)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout=15)
        line = proc.stdout.readline().strip() if ready else ""
        assert line.startswith("http://127.0.0.1:"), f"server printed {line!r}, not its URL"
        yield line, access_log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def fetch(url: str, method: str = "GET") -> tuple[int, Message, bytes]:
    """Status, headers and body, also for error statuses (urllib raises on those)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
            return r.status, r.headers, r.read()
    except HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


def raw_get(base: str, raw_path: str) -> tuple[int, bytes]:
    """GET a path exactly as written: urllib would not send every odd path unchanged."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request("GET", raw_path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_home_page_served_for_root_with_base_substituted(portal: tuple[str, Path]) -> None:
    base, _ = portal
    status, headers, body = fetch(base + "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    expected = (PORTAL / "index.htm").read_bytes().replace(b"{{BASE}}", base.encode())
    assert body == expected
    assert f'href="{base}/rss.xml"'.encode() in body


def test_gbk_page_comes_back_as_recorded_bytes(portal: tuple[str, Path]) -> None:
    base, _ = portal
    status, headers, body = fetch(base + GBK_PATH)
    assert status == 200
    assert headers.get_all("Content-Type") == ["text/html"], "charset only in the <meta>"
    assert body == (PORTAL / GBK_PATH.lstrip("/")).read_bytes()
    assert b'charset=gb2312"' in body
    assert "王喆" in body.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # 喆 镕 堃 昇 are GBK, not GB2312: the meta under-declares


def test_base_substituted_in_robots_sitemaps_and_feed(portal: tuple[str, Path]) -> None:
    base, _ = portal
    status, headers, robots = fetch(base + "/robots.txt")
    assert (status, headers["Content-Type"]) == (200, "text/plain")
    assert f"Sitemap: {base}/sitemap.xml".encode() in robots.splitlines()
    assert b"Disallow: /private/" in robots.splitlines()
    status, headers, index = fetch(base + "/sitemap.xml")
    assert (status, headers["Content-Type"]) == (200, "application/xml")
    assert f"<loc>{base}/sitemap-news.xml</loc>".encode() in index
    _, headers, feed = fetch(base + "/rss.xml")
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"  # _headers.json
    assert b"{{BASE}}" not in feed


def test_missing_page_is_404_with_html_body(portal: tuple[str, Path]) -> None:
    base, _ = portal
    status, headers, body = fetch(base + build_portal.MISSING)
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"404 Not Found" in body


def test_head_sends_headers_only(portal: tuple[str, Path]) -> None:
    base, _ = portal
    status, headers, body = fetch(base + "/robots.txt", method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) > 0


@pytest.mark.parametrize(
    "raw_path",
    [
        "/../server.py",
        "/%2e%2e/server.py",
        "/tech/..%2f..%2fserver.py",
        "/tech/../../server.py",
        "/..%5cserver.py",
        "/_headers.json",
    ],
)
def test_nothing_outside_the_portal_is_served(portal: tuple[str, Path], raw_path: str) -> None:
    base, _ = portal
    status, body = raw_get(base, raw_path)
    assert status in (403, 404), f"{raw_path} answered {status}"
    assert b"ThreadingHTTPServer" not in body
    assert b"Content-Type" not in body


def test_every_request_is_in_the_access_log(portal: tuple[str, Path]) -> None:
    base, access_log = portal
    fetch(base + "/tag/5G.htm?probe=1")
    # The line is written before the response is sent, so it is there once we have the page.
    assert "GET /tag/5G.htm?probe=1" in access_log.read_text(encoding="utf-8").splitlines()


def test_start_in_thread_and_loopback_only(tmp_path: Path) -> None:
    (tmp_path / "index.htm").write_bytes(b"<a href='{{BASE}}/x'>x</a>")
    base, server = start_in_thread(tmp_path)
    try:
        status, _, body = fetch(base + "/")
        assert (status, body) == (200, f"<a href='{base}/x'>x</a>".encode())
        assert server.access_log == ["GET /"]
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(ValueError, match="loopback"):
        serve(tmp_path, host="0.0.0.0")


def test_bundled_portal_is_what_build_portal_writes() -> None:
    on_disk = {
        p.relative_to(PORTAL).as_posix(): p.read_bytes() for p in PORTAL.rglob("*") if p.is_file()
    }
    assert on_disk == build_portal.pages(), "run: python -m crawler.demo.build_portal"
    assert sum(map(len, on_disk.values())) < 150_000


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(path: str, encoding: str = "utf-8") -> str:
    parser = _VisibleText()
    parser.feed((PORTAL / path.lstrip("/")).read_bytes().decode(encoding))
    parser.close()
    return "".join(parser.parts)


def test_ground_truth_agrees_with_the_pages() -> None:
    articles = TRUTH["articles"]
    assert set(articles) == set(build_portal.BY_PATH)
    all_paragraphs = [p for a in articles.values() for p in a["paragraphs"]]
    pages = {}
    for path, truth in articles.items():
        text = pages[path] = visible_text(path, truth.get("encoding", "utf-8"))
        assert truth["title"] in text and truth["byline"] in text, path
        position = 0
        for para in truth["paragraphs"]:
            found = text.find(para, position)
            assert found != -1, f"{path}: paragraph missing or out of order: {para[:20]}"
            if truth["language"] == "zh":
                assert text[found - 2 : found] == "\u3000\u3000", f"{path}: no indent: {para[:20]}"
            position = found + len(para)
        others = [p for other, t in articles.items() if other != path for p in t["paragraphs"]]
        assert not [p for p in others if truth["title"] in p]
    for path in [*TRUTH["non_articles"], *TRUTH["disallowed"]]:
        pages[path] = visible_text("/index.htm" if path == "/" else path)
    for path in TRUTH["missing"]:
        assert not (PORTAL / path.lstrip("/")).exists()
    for caption in TRUTH["captions"]:
        assert any(caption in text for text in pages.values()), caption
    for piece in TRUTH["furniture"]:
        assert any(piece in text for text in pages.values()), f"furniture not on any page: {piece}"
        assert not [p for p in all_paragraphs if piece in p], f"furniture inside text: {piece}"
