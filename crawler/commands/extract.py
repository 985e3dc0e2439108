"""``scrapy extract PATH... [--url URL] [-o FILE] [--articles-only]``: the crawl's extraction,
on stored pages.

The crawl's own page-to-record path (``crawler.extract.page``): the same page and URL give the
same record as in ``scrapy crawl news``; one JSON line per file with main text, in input order.
It extracts what it is given: a page the crawl's article verdict would skip still yields its
record, with the warning ``not_article:<verdict>``, unless ``--articles-only`` applies the
crawl's gate. Files that cannot be read (not a regular file,
larger than ``DOWNLOAD_MAXSIZE`` once decompressed, a broken gzip) or yield no valid record get a
line on stderr with the reason; one bad file never ends the batch.
Settings: ``NEWS_MIN_TEXT_CHARS``, ``DOWNLOAD_MAXSIZE``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.extract.page import Page, RecordRules, page_to_record
from crawler.items import record_dict
from crawler.sites import SiteConfig, SitesFileError, select_sites

_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "PATH... [--url URL] [-o FILE]"

    def short_desc(self) -> str:
        return "Extract article records from stored HTML files or folders"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--url", help="the page's URL (one file only); default: file:// URI")
        parser.add_argument("-o", "--output", metavar="FILE", help="write JSON Lines here")
        parser.add_argument("--sites", metavar="FILE", help="sites file with extraction hints")
        parser.add_argument("--site", metavar="NAME", help="apply this site's hints")
        parser.add_argument("--workers", type=int, default=1, help="extract in N processes")
        parser.add_argument(
            "--articles-only",
            action="store_true",
            help="no record for a page the crawl's article verdict would skip",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give at least one file or folder")
        files = list(_html_files([Path(a) for a in args]))
        if opts.url and len(files) != 1:
            raise UsageError("--url needs exactly one input file")
        site = _site(opts.sites, opts.site)
        work = partial(
            extract_file,
            url=opts.url,
            site=site,
            min_chars=self.settings.getint("NEWS_MIN_TEXT_CHARS"),
            max_bytes=self.settings.getint("DOWNLOAD_MAXSIZE"),
            articles_only=opts.articles_only,
        )
        out = open(opts.output, "w", encoding="utf-8") if opts.output else sys.stdout  # noqa: SIM115
        written = failed = 0
        try:
            if opts.workers > 1:
                with ProcessPoolExecutor(opts.workers) as pool:
                    results = list(pool.map(work, files, chunksize=4))
            else:
                results = [work(path) for path in files]
            for path, (line, problem) in zip(files, results, strict=True):
                if line is not None:
                    out.write(line + "\n")
                    written += 1
                else:
                    print(f"{path}: {problem}", file=sys.stderr)
                    failed += problem.startswith("cannot read")
        finally:
            if out is not sys.stdout:
                out.close()
        print(f"{written} records from {len(files)} files", file=sys.stderr)
        self.exitcode = 1 if failed else 0


def extract_file(
    path: Path,
    url: str | None,
    site: SiteConfig | None,
    min_chars: int,
    max_bytes: int = 0,
    articles_only: bool = False,
) -> tuple[str | None, str]:
    """(JSON line, "") for a page with main text, (None, why not) otherwise. Never raises."""
    try:
        body = read_page(path, max_bytes)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error, ValueError) as exc:
        return None, f"cannot read: {exc}"
    try:
        return _record_line(body, url or path.resolve().as_uri(), site, min_chars, articles_only)
    except Exception as exc:  # one page the extraction stack chokes on costs only itself
        return None, f"extraction_error: {exc!r}"[:300]


def read_page(path: Path, max_bytes: int) -> bytes:
    """A stored page's bytes, gunzipped as a stream and refused past ``max_bytes`` (0: no cap),
    so that a small gzip bomb cannot take the machine's memory. Only regular files are opened: a
    FIFO or device named ``*.html`` would block the read for ever."""
    if not path.is_file():
        raise ValueError("not a regular file")
    cap = max_bytes or -1
    with path.open("rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if gzipped else raw
        body = stream.read(cap + 1 if max_bytes else -1)
    if max_bytes and len(body) > max_bytes:
        raise ValueError(f"larger than DOWNLOAD_MAXSIZE ({max_bytes} bytes)")
    return body


def _record_line(
    body: bytes, page_url: str, site: SiteConfig | None, min_chars: int, articles_only: bool
) -> tuple[str | None, str]:
    page = Page(body=body, url=page_url, site=site, discovered_via="file")
    result = page_to_record(page, RecordRules(min_chars, articles_only=articles_only))
    if result.record is not None:
        return json.dumps(record_dict(result.record), ensure_ascii=False), ""
    if (result.reason or "").startswith("not_article/"):
        return None, f"not an article ({result.verdict})"
    return None, f"rejected ({result.reason})"


def _html_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.name.lower().endswith(_SUFFIXES))
        else:
            yield path


def _site(sites_file: str | None, name: str | None) -> SiteConfig | None:
    if not name:
        return None
    try:
        return select_sites(sites_file, name)[name]
    except SitesFileError as exc:
        raise UsageError(str(exc)) from exc
