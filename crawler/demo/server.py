"""A tiny static HTTP server for the demo portal, so crawl tests run with no network.

It serves the recorded bytes untouched (a GBK page stays GBK) except that ``{{BASE}}`` in
.htm/.html/.txt/.xml files becomes the server's own base URL: robots.txt, sitemaps and feeds
need absolute URLs, and the port is only known once the server is bound. ``_headers.json`` in
the root maps a URL path to response headers that replace the defaults (e.g. a page whose
charset must only be declared in its ``<meta>``). Every request is remembered as
``"METHOD PATH"`` so a test can assert what a crawler fetched (say, nothing under a path that
robots.txt disallows); ``--access-log FILE`` also appends those lines to a file.

    python -m crawler.demo.server [ROOT] [--port 0] [--access-log FILE]

prints one line, the base URL, once it is ready, and serves until it is killed.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

PORTAL = Path(__file__).resolve().parent / "portal"
PLACEHOLDER = b"{{BASE}}"
SUBSTITUTED_SUFFIXES = frozenset({".htm", ".html", ".txt", ".xml"})
CONTENT_TYPES = {
    ".htm": "text/html; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".json": "application/json",
    ".css": "text/css",
    ".js": "application/javascript",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".png": "image/png",
}
INDEX = "index.htm"
HEADERS_FILE = "_headers.json"
ERROR_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>\n"
)


class PortalServer(ThreadingHTTPServer):
    """A threading server that knows its document root and remembers every request."""

    daemon_threads = True  # a crawler's lingering connection must not block shutdown

    def __init__(
        self, root: Path, address: tuple[str, int], access_log_path: Path | None = None
    ) -> None:
        self.root = root.resolve()
        self.header_overrides = load_header_overrides(self.root)
        self.access_log: list[str] = []
        self.access_log_path = access_log_path
        self._log_lock = threading.Lock()
        super().__init__(address, PortalHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up mid-response (crawlers cancel requests)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def record(self, line: str) -> None:
        with self._log_lock:
            self.access_log.append(line)
            if self.access_log_path is not None:
                with self.access_log_path.open("a", encoding="utf-8") as log:
                    log.write(line + "\n")


class PortalHandler(BaseHTTPRequestHandler):
    """GET/HEAD of static files under the server's root; nothing else."""

    server: PortalServer

    def version_string(self) -> str:
        return "newscrawl-demo/1.0"

    def parse_request(self) -> bool:
        """Record every well-formed request, whatever its method, before it is answered."""
        ok = super().parse_request()
        if ok:
            self.server.record(f"{self.command} {self.path}")
        return ok

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: per-request stderr lines would drown test output; see ``access_log``."""

    def _respond(self, send_body: bool) -> None:
        url_path = urlsplit(self.path).path or "/"
        status, target = resolve(self.server.root, url_path)
        if status is HTTPStatus.MOVED_PERMANENTLY:
            location = self.server.base_url + url_path + "/"
            self._send(status, {"Location": location}, b"", send_body)
            return
        if target is None:
            page = ERROR_PAGE.format(f"{status.value} {status.phrase}").encode()
            self._send(status, {"Content-Type": "text/html; charset=utf-8"}, page, send_body)
            return
        body = target.read_bytes()
        if target.suffix in SUBSTITUTED_SUFFIXES:
            body = body.replace(PLACEHOLDER, self.server.base_url.encode("ascii"))
        headers = {"Content-Type": CONTENT_TYPES.get(target.suffix, "application/octet-stream")}
        for name, value in self.server.header_overrides.get(unquote(url_path), {}).items():
            # Replace case-insensitively so an override never yields two Content-Type headers.
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
            headers[name] = value
        self._send(status, headers, body, send_body)

    def _send(
        self, status: HTTPStatus, headers: dict[str, str], body: bytes, send_body: bool
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def resolve(root: Path, url_path: str) -> tuple[HTTPStatus, Path | None]:
    """Map a URL path to a file under ``root``, refusing anything that could leave it.

    Any ``..`` segment (also percent-encoded), backslash or NUL is refused outright rather than
    normalised, and the resolved path must still lie under ``root`` (symlinks). Names starting
    with ``_`` or ``.`` (``_headers.json``) are server configuration, not content: 404.
    """
    decoded = unquote(url_path, errors="replace")
    segments = decoded.split("/")
    if "\\" in decoded or "\x00" in decoded or ".." in segments:
        return HTTPStatus.FORBIDDEN, None
    parts = [s for s in segments if s not in ("", ".")]
    if any(s.startswith(("_", ".")) for s in parts):
        return HTTPStatus.NOT_FOUND, None
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root):
        return HTTPStatus.FORBIDDEN, None
    if target.is_dir():
        target = target / INDEX
        if target.is_file() and not decoded.endswith("/"):
            return HTTPStatus.MOVED_PERMANENTLY, None  # as real servers do, so links resolve
    if not target.is_file():
        return HTTPStatus.NOT_FOUND, None
    return HTTPStatus.OK, target


def load_header_overrides(root: Path) -> dict[str, dict[str, str]]:
    path = root / HEADERS_FILE
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(url): {str(k): str(v) for k, v in headers.items()} for url, headers in data.items()}


def serve(
    root: Path = PORTAL,
    host: str = "127.0.0.1",
    port: int = 0,
    access_log_path: Path | None = None,
) -> PortalServer:
    """Bind (not start) a server for ``root``; port 0 picks a free port.

    Only loopback addresses are accepted: the demo is for local tests and must never be
    reachable from elsewhere.
    """
    if host != "localhost" and not _is_loopback(host):
        raise ValueError(f"the demo server binds loopback addresses only, not {host!r}")
    if not root.is_dir():
        raise FileNotFoundError(f"no such portal directory: {root}")
    return PortalServer(root, (host, port), access_log_path)


# The demo crawl's port when free: the same URLs on every run, so that a rerun finds its
# articles unchanged (a new port made them new URLs whose text was delivered: duplicates).
DEMO_PORT = 8941


def start_in_thread(
    root: Path = PORTAL, access_log_path: Path | None = None, port: int = 0
) -> tuple[str, PortalServer]:
    """Serve ``root`` from a daemon thread, on ``port`` if it is free, else on any; stop it
    with ``shutdown()`` and ``server_close()``."""
    try:
        server = serve(root, port=port, access_log_path=access_log_path)
    except OSError:  # taken (another demo crawl): any free port
        server = serve(root, access_log_path=access_log_path)
    threading.Thread(target=server.serve_forever, name="demo-portal", daemon=True).start()
    return server.base_url, server


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the demo news portal on loopback.")
    parser.add_argument("root", nargs="?", type=Path, default=PORTAL, help="directory to serve")
    parser.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    parser.add_argument(
        "--access-log", type=Path, help='append one "METHOD PATH" line per request to this file'
    )
    args = parser.parse_args(argv)
    try:
        server = serve(args.root, port=args.port, access_log_path=args.access_log)
    except (ValueError, FileNotFoundError) as exc:
        parser.error(str(exc))
    # The one line a parent process waits for; flushed because stdout is a pipe there.
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
