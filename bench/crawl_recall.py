"""Crawl-mode recall: the corpus's article pages served as one news site, crawled for real, and
the records counted against the article pages.

The article pages (every page of ``dev/`` and ``fundus/``, zh's news pages) are served by
``crawler.demo.server`` on 127.0.0.1 under URLs that say nothing (``/news/00012.html``: no date,
no slug), with a Content-Type naming the charset where the corpus knows it, listed by a
``sitemap.xml`` (named in ``robots.txt``) and by listing pages of 20 links each (``/list/1.html``,
linked from ``/``). ``scrapy crawl news`` then crawls it with its own crawl state, as a user
would, and the bench counts the article pages with a record, the records of listing pages (there
should be none), and lists each article page without a record with the reason (its reject's, or
the spider's for a page it skipped as no article).

    python bench/crawl_recall.py [CORPUS] [--json OUT] [--keep DIR] [--timeout S]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality
from throughput import serve, write_sitemap

REPO = quality.REPO
LINKS_PER_LISTING = 20
# Local speed, no page budget (the site has no traps), and health checks that do not stop a
# run whose corpus pages link to paths this site lacks.
SETTINGS = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "NEWS_MAX_PAGES_PER_SITE=0",
    "NEWS_MAX_ERROR_RATE=1",
    # The spider names each page it skips as no article at DEBUG: the reason for a miss that
    # is no reject.
    "LOG_LEVEL=DEBUG",
)
_SKIPPED = re.compile(r"Not an article \((?P<reason>[^)]*)\): (?P<url>\S+)")


@dataclass
class Site:
    """The served site: article URL paths and the corpus page each serves, listing paths."""

    root: Path
    articles: dict[str, quality.Page] = field(default_factory=dict)
    listings: list[str] = field(default_factory=list)


def article_pages(corpus: Path) -> list[quality.Page]:
    """The pages the corpus's truth calls articles."""
    return [p for p in quality.load_pages(corpus) if p.article]


def build_site(pages: Sequence[quality.Page], root: Path) -> Site:
    """Write the site under ``root``: the articles with their bytes as stored, listing pages,
    a home page, a sitemap and robots.txt."""
    site = Site(root)
    headers = {}
    (root / "news").mkdir(parents=True)
    for n, page in enumerate(pages):
        path = f"/news/{n:05d}.html"
        (root / path.lstrip("/")).write_bytes(quality.page_bytes(page))
        headers[path] = {"Content-Type": page.content_type or "text/html"}
        site.articles[path] = page
    # crawler.demo.server sends these headers with the paths they name.
    (root / "_headers.json").write_text(json.dumps(headers), encoding="utf-8")
    paths = list(site.articles)
    chunks = [paths[k : k + LINKS_PER_LISTING] for k in range(0, len(paths), LINKS_PER_LISTING)]
    (root / "list").mkdir()
    for k, chunk in enumerate(chunks, start=1):
        listing = f"/list/{k}.html"
        more = [(f"/list/{k + 1}.html", "Next page")] if k < len(chunks) else []
        links = [(p, f"Story {p[6:11]}") for p in chunk]
        (root / listing.lstrip("/")).write_text(
            _listing(f"News, page {k}", links + more), encoding="utf-8"
        )
        site.listings.append(listing)
    home = [(p, f"News, page {k}") for k, p in enumerate(site.listings, start=1)]
    (root / "index.htm").write_text(_listing("News", home), encoding="utf-8")
    site.listings.append("/")
    write_sitemap(root, paths)
    return site


def _listing(title: str, links: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{h}">{html.escape(t)}</a></li>\n' for h, t in links)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n<ul>\n{items}</ul>\n</body></html>\n"
    )


@dataclass
class Crawl:
    returncode: int
    records: list[dict[str, Any]]
    rejects: list[dict[str, Any]]
    log: Path


def crawl(url: str, work: Path, timeout: float) -> Crawl:
    """``scrapy crawl news`` of the site with a crawl state of its own."""
    out, rejects, log = work / "out.jsonl", work / "rejects.jsonl", work / "crawl.log"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"start_urls={url}/"]
    cmd += ["-O", str(out)]
    for setting in (
        *SETTINGS,
        f"NEWS_STATE={work / 'state.sqlite'}",
        f"NEWS_REJECTS={rejects}",
        f"LOG_FILE={log}",
    ):
        cmd += ["-s", setting]
    done = subprocess.run(cmd, cwd=REPO, timeout=timeout, capture_output=True, text=True)
    return Crawl(done.returncode, _jsonl(out), _jsonl(rejects), log)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def recall_figures(site: Site, result: Crawl) -> dict[str, Any]:
    """Article pages with a record (in all and per corpus), records of listing pages, and the
    article pages without a record with the reason the rejects file gives (or none)."""
    recorded = {urlsplit(r["url"]).path for r in result.records}
    log = result.log.read_text("utf-8") if result.log.exists() else ""
    reasons = {urlsplit(m["url"]).path: f"skipped: {m['reason']}" for m in _SKIPPED.finditer(log)}
    reasons.update({urlsplit(r["url"] or "").path: r["reason"] for r in result.rejects})
    total: Counter[str] = Counter(p.corpus for p in site.articles.values())
    found: Counter[str] = Counter(p.corpus for u, p in site.articles.items() if u in recorded)
    missed = [
        {"path": u, "id": p.id, "corpus": p.corpus, "reason": reasons.get(u, "not fetched")}
        for u, p in site.articles.items()
        if u not in recorded
    ]
    articles = len(site.articles)
    return {
        "articles": articles,
        "articles_with_record": sum(found.values()),
        "recall": sum(found.values()) / articles if articles else 1.0,
        "per_corpus": {c: {"articles": n, "with_record": found[c]} for c, n in total.items()},
        "listing_pages": len(site.listings),
        "listing_records": len(recorded & set(site.listings)),
        "returncode": result.returncode,
        "missed": missed,
    }


def format_report(figures: dict[str, Any], wall_s: float) -> str:
    lines = [
        f"crawl recall: {figures['articles_with_record']}/{figures['articles']} article pages "
        f"with a record ({figures['recall']:.1%}); records for listing pages: "
        f"{figures['listing_records']} of {figures['listing_pages']}",
    ]
    for corpus, fig in figures["per_corpus"].items():
        lines.append(f"  {corpus:7} {fig['with_record']}/{fig['articles']}")
    lines.append(f"article pages without a record: {len(figures['missed'])}")
    lines += [
        f"  {m['path']}  {m['corpus']:7} {m['id']:50} {m['reason']}" for m in figures["missed"]
    ]
    lines.append(f"crawl exit status {figures['returncode']}; wall time {wall_s:.1f} s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=quality.DEFAULT_CORPUS)
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the figures as JSON")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build and crawl in DIR")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the crawl")
    args = parser.parse_args(argv)
    corpus = args.corpus.resolve()
    pages = article_pages(corpus) if corpus.is_dir() else []
    if not pages:
        print(f"corpus not found: no article pages under {corpus}")
        return 0
    with tempfile.TemporaryDirectory(prefix="crawl-recall-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        site = build_site(pages, work / "site")
        started = time.perf_counter()
        with serve(site.root, work / "access.log") as url:
            result = crawl(url, work, args.timeout)
        wall_s = time.perf_counter() - started
        figures = recall_figures(site, result)
    print(format_report(figures, wall_s))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
