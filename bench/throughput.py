"""Throughput benchmark: newscrawl's crawl beside the inline-trafilatura spider users would write,
the extraction ceiling per core, and the trafilatura CLI, all on the same pages.

It builds a local news site in a temporary folder from the corpus pages (``dev/pages/*.html``
and ``zh/html/**``): each stored page is one article URL (``/news/2024/01/01/article-<n>.html``)
with its original bytes and a Content-Type naming its charset when the corpus knows it
(``zh/ground-truth.json`` ``encoding``), plus listing pages of 50 links each linked from ``/``,
a ``sitemap.xml`` listing every article and a ``robots.txt``. ``crawler.demo.server`` serves it
on 127.0.0.1 (a fresh server per run, so each run's access log says what it fetched). Then:

    a  newscrawl:   python -m scrapy crawl news -a start_urls=URL/ (local speed settings)
    b  baseline:    python -m scrapy runspider bench/baseline_spider.py, plain Scrapy defaults
                    and the same speed settings (trafilatura inline in the callback)
    c  ceiling:     trafilatura.bare_extraction(..., with_metadata=True) alone, one process on
                    one core, over the same pages decoded as the crawl decodes them
    d  CLI:         trafilatura --input-dir PAGES --output-dir OUT --parallel 2, when installed
    e  ceiling, all cores: c in one process per core at once, each over its share of the
                    pages, their loops started together: what the cores really give (two
                    vCPUs of a shared host need not double one core's rate), reported as a/e

For each: pages/s (article pages processed per wall second; for a and b the article URLs the
server delivered, for c the extraction loop alone), records written, CPU seconds of the process
and its descendants (the ``RUSAGE_CHILDREN`` delta, or the CPU of every process of the tree
sampled every 0.2 s when that is more: extraction workers forked by a forkserver are not
reaped by the crawl), the main process's own CPU, and the peak memory of the process tree,
sampled every 0.2 s, two ways: RSS (VmRSS of the process and its descendants summed: pages
that processes share, such as the libraries and models a forkserver loaded once, count in each)
and PSS (``/proc/PID/smaps_rollup``: shared pages split among their sharers, so that the sum is
the memory the crawl takes). Then the ratios a/b, a/(c x cores) and a/d.

    python bench/throughput.py [CORPUS] [--multiplier N] [--pages N] [--json OUT]
                               [--runs a,b,c,d,e] [-s NAME=VALUE] [--timeout S] [--keep]
                               [--repeat N]

CORPUS defaults to ``../shared/corpus`` beside the repository; when it is absent the script says
so and exits 0. ``--pages N`` keeps the first N corpus pages. ``--multiplier N`` serves each
page under N URLs (the memory mode: 470 pages x 43 is about 20,000 URLs) and reports, for the
crawl, the RSS when 10%, 50% and 100% of the article URLs had been served; its default runs
are a and c (c over the distinct pages). ``-s`` passes a setting to newscrawl's crawl only.
``--repeat N`` runs N rounds of every run in turn and reports each run's best round (a shared
host's speed drifts by a quarter between minutes here). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
BASELINE_SPIDER = Path(__file__).resolve().parent / "baseline_spider.py"
ARTICLES_PER_LISTING = 50
FIRST_DAY = date(2024, 1, 1)
ARTICLES_PER_DAY = 20
RUN_NAMES = {
    "a": "newscrawl crawl",
    "b": "baseline spider (inline)",
    "c": "bare_extraction, 1 core",
    "d": "trafilatura CLI --parallel 2",
    "e": "bare_extraction, all cores",
}
# Local crawls run at full speed; robots.txt is read for its Sitemap line but not obeyed.
SPEED = [
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "CONCURRENT_REQUESTS_PER_DOMAIN=32",
    "ROBOTSTXT_OBEY=False",
    "LOG_LEVEL=INFO",
]
SAMPLE_EVERY_S = 0.2
MARKS = (0.1, 0.5, 1.0)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# --- the site -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusPage:
    """A stored page and the Content-Type a server would send with it."""

    path: Path
    content_type: str


@dataclass(frozen=True)
class Article:
    url_path: str
    page: int  # index into Site.pages
    content_type: str


@dataclass
class Site:
    """The built site: ``root`` is served as is; ``pages_dir`` holds each distinct page once."""

    root: Path
    pages_dir: Path
    pages: list[CorpusPage]  # the distinct pages, as copied under pages_dir
    articles: list[Article]
    listings: list[str] = field(default_factory=list)


def corpus_pages(corpus: Path) -> list[CorpusPage]:
    """``dev/pages/*.html`` then ``zh/html/**``, sorted by path; the zh pages whose encoding
    the ground truth names get it as the header's charset."""
    encodings: dict[str, str] = {}
    truth = corpus / "zh" / "ground-truth.json"
    if truth.is_file():
        for rec in json.loads(truth.read_text(encoding="utf-8")).values():
            if rec.get("encoding") and rec.get("file"):
                encodings[str((corpus / "zh" / rec["file"]).resolve())] = rec["encoding"]
    found = sorted((corpus / "dev" / "pages").glob("*.html"))
    zh = corpus / "zh" / "html"
    found += sorted(p for p in zh.rglob("*") if p.is_file()) if zh.is_dir() else []
    pages = []
    for path in found:
        enc = encodings.get(str(path.resolve()))
        pages.append(CorpusPage(path, f"text/html; charset={enc}" if enc else "text/html"))
    return pages


def article_path(n: int) -> str:
    day = FIRST_DAY + timedelta(days=n // ARTICLES_PER_DAY)
    return f"/news/{day:%Y/%m/%d}/article-{n}.html"


def listing_path(k: int) -> str:
    return f"/news/page/{k}.html"


def build_site(
    corpus: Path, root: Path, multiplier: int = 1, pages: int | None = None
) -> Site | None:
    """Write the site under ``root``; None when the corpus has no pages.

    Copy ``c`` of page ``i`` (of ``P``) is article ``n = c * P + i``, so the sitemap and the
    listings go through every distinct page before the first repeat. Copies are hard links
    where the file system allows.
    """
    found = corpus_pages(corpus) if corpus.is_dir() else []
    if pages is not None:
        found = found[:pages]
    if not found:
        return None
    pages_dir = root / "_pages"  # "_" names are never served by crawler.demo.server
    pages_dir.mkdir(parents=True)
    stored = []
    for i, page in enumerate(found):
        target = pages_dir / f"page-{i:05d}.html"
        shutil.copyfile(page.path, target)
        stored.append(CorpusPage(target, page.content_type))
    site = Site(root, pages_dir, stored, [])
    for copy in range(multiplier):
        for i, page in enumerate(stored):
            n = copy * len(stored) + i
            article = Article(article_path(n), i, page.content_type)
            target = root / article.url_path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(page.path, target)
            except OSError:
                shutil.copyfile(page.path, target)
            site.articles.append(article)
    headers = {a.url_path: {"Content-Type": a.content_type} for a in site.articles}
    (root / "_headers.json").write_text(json.dumps(headers), encoding="utf-8")
    chunks = [
        site.articles[k : k + ARTICLES_PER_LISTING]
        for k in range(0, len(site.articles), ARTICLES_PER_LISTING)
    ]
    for k, chunk in enumerate(chunks, start=1):
        links = [(a.url_path, f"Article {a.url_path.rsplit('-', 1)[1][:-5]}") for a in chunk]
        more = [(listing_path(k + 1), "Next page")] if k < len(chunks) else []
        path = listing_path(k)
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_text(
            _html_page(f"News, page {k}", links, more), encoding="utf-8"
        )
        site.listings.append(path)
    home = [(path, f"News, page {k}") for k, path in enumerate(site.listings, start=1)]
    (root / "index.htm").write_text(_html_page("Benchmark news", home, []), encoding="utf-8")
    write_sitemap(root, [a.url_path for a in site.articles])
    return site


def write_sitemap(root: Path, paths: list[str]) -> None:
    """A sitemap of ``paths`` and a robots.txt that names it. crawler.demo.server replaces
    {{BASE}} in .xml and .txt files with its own base URL."""
    entries = "".join(f"<url><loc>{{{{BASE}}}}{p}</loc></url>\n" for p in paths)
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n",
        encoding="utf-8",
    )
    (root / "robots.txt").write_text(
        "User-agent: *\nAllow: /\nSitemap: {{BASE}}/sitemap.xml\n", encoding="utf-8"
    )


def _html_page(title: str, links: list[tuple[str, str]], more: list[tuple[str, str]]) -> str:
    def items(pairs: list[tuple[str, str]]) -> str:
        return "".join(f'<li><a href="{h}">{html.escape(t)}</a></li>\n' for h, t in pairs)

    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body><h1>{html.escape(title)}</h1>\n"
        f"<ul>\n{items(links)}</ul>\n<ul>\n{items(more)}</ul>\n</body></html>\n"
    )


# --- measuring a process tree -------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat from field 3 (state) on; the name may hold spaces."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """``root`` and its live descendants, from the parent ids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _proc_kib(pid: int, file: str, key: str) -> int:
    """A ``key: N kB`` line of /proc/<pid>/<file>; 0 for a process gone or a zombie."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib(pid: int) -> int:
    return _proc_kib(pid, "status", "VmRSS:")


def pss_kib(pid: int) -> int:
    return _proc_kib(pid, "smaps_rollup", "Pss:")


def own_cpu_s(pid: int) -> float | None:
    """User + system CPU of the process itself (not its children)."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if fields else None


class LineCounter:
    """Counts the lines of a growing file (those in ``only``, when given), reading only what
    is new. ``partial`` names the file a writer fills before renaming it to ``path`` (an
    atomic feed storage's ``.out.jsonl.*.part``); a rename keeps the bytes, so the offset
    holds."""

    def __init__(
        self, path: Path, only: frozenset[bytes] | None = None, partial: str | None = None
    ) -> None:
        self.path = path
        self.only = only
        self.partial = partial
        self.offset = 0
        self.count = 0

    def _current(self) -> Path:
        if self.partial and not self.path.exists():
            parts = sorted(self.path.parent.glob(self.partial))
            if parts:
                return parts[-1]
        return self.path

    def update(self) -> int:
        try:
            with open(self._current(), "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return self.count
        end = chunk.rfind(b"\n") + 1  # a line still being written is read next time
        lines = chunk[:end].splitlines()
        self.count += sum(line in self.only for line in lines) if self.only else len(lines)
        self.offset += end
        return self.count


@dataclass(frozen=True)
class Sample:
    t: float
    rss_mib: float
    main_rss_mib: float
    processes: int
    counts: dict[str, int]
    pss_mib: float = 0.0


class TreeSampler(threading.Thread):
    """Samples a process tree's summed RSS (and the given line counters) every 0.2 s."""

    def __init__(self, pid: int, counters: dict[str, LineCounter]) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid = pid
        self.counters = counters
        self.samples: list[Sample] = []
        self.main_cpu_s: float | None = None
        # The last CPU seen of every process of the tree, the gone ones included.
        self.cpu_by_pid: dict[int, float] = {}
        self._done = threading.Event()
        self._t0 = time.perf_counter()

    def run(self) -> None:
        while True:
            self.sample()
            if self._done.wait(SAMPLE_EVERY_S):
                return

    def sample(self) -> None:
        tree = process_tree(self.pid)
        rss = [rss_kib(pid) for pid in tree]
        pss = sum(pss_kib(pid) for pid in tree)
        for pid in tree:
            cpu = own_cpu_s(pid)
            if cpu is not None:
                self.cpu_by_pid[pid] = cpu
        self.main_cpu_s = self.cpu_by_pid.get(self.pid, self.main_cpu_s)
        counts = {name: c.update() for name, c in self.counters.items()}
        t = time.perf_counter() - self._t0
        sample = Sample(t, sum(rss) / 1024, rss[0] / 1024, len(tree), counts, pss / 1024)
        self.samples.append(sample)

    def stop(self) -> None:
        self._done.set()
        self.join()


@dataclass
class Measurement:
    run: str
    name: str
    pages: int  # article pages processed (delivered by the server, or extracted)
    records: int
    wall_s: float
    cpu_s: float  # process and children
    main_cpu_s: float | None
    peak_rss_mib: float
    peak_main_rss_mib: float
    max_processes: int
    returncode: int | None
    timed_out: bool = False
    peak_pss_mib: float = 0.0
    note: str = ""
    marks: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s else 0.0


@dataclass
class Finished:
    returncode: int | None
    timed_out: bool
    wall_s: float
    cpu_s: float
    sampler: TreeSampler


def run_measured(
    cmd: Sequence[str],
    cwd: Path,
    log: Path,
    timeout: float,
    counters: dict[str, LineCounter] | None = None,
    env: dict[str, str] | None = None,
) -> Finished:
    """Run ``cmd`` to its end (or ``timeout``), sampling its process tree; CPU from the
    ``RUSAGE_CHILDREN`` delta, which covers the workers it reaped too, or from the samples
    when they saw more (workers a forkserver forked, which nobody here reaps)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    timed_out = False
    with open(log, "wb") as out:
        # Its own session, so a timeout ends the whole tree (workers included) and nothing else.
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        sampler = TreeSampler(proc.pid, counters or {})
        try:
            sampler.start()
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            if proc.poll() is None:
                _stop_group(proc)
            if sampler.is_alive():
                sampler.stop()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    cpu = max(cpu, sum(sampler.cpu_by_pid.values()))
    return Finished(proc.returncode, timed_out, wall, cpu, sampler)


def _stop_group(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM to the process group we started (Scrapy shuts down cleanly), then SIGKILL."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def serve(root: Path, access_log: Path, timeout: float = 30) -> Iterator[str]:
    """``python -m crawler.demo.server ROOT`` on 127.0.0.1 port 0; yields its base URL."""
    cmd = [sys.executable, "-m", "crawler.demo.server", str(root), "--port", "0"]
    cmd += ["--access-log", str(access_log)]
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        url = proc.stdout.readline().strip() if ready else ""
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the site server did not start: {url!r}")
        yield url
    finally:
        if proc.poll() is None:
            _stop_group(proc)
        if proc.stdout:
            proc.stdout.close()


def progress_marks(
    samples: Sequence[Sample], total: int, key: str = "served"
) -> list[dict[str, Any]]:
    """RSS when 10%, 50% and 100% of ``total`` articles had been served: the RSS of the first
    sample at or past the mark, and the peak up to it; for 100% the whole run's peak (the
    crawl's end included) and, if the crawl ended between samples, its last sample."""
    peak = max((s.rss_mib for s in samples), default=0.0)
    peak_pss = max((s.pss_mib for s in samples), default=0.0)
    marks = []
    for mark in MARKS:
        seen = seen_pss = 0.0
        for s in samples:
            seen, seen_pss = max(seen, s.rss_mib), max(seen_pss, s.pss_mib)
            if s.counts.get(key, 0) >= mark * total:
                break
        else:
            if mark < 1.0 or not samples:
                continue  # not reached (a run cut short)
        at = {"mark": mark, "t_s": s.t, "rss_mib": s.rss_mib, "peak_mib": seen}
        at |= {"pss_mib": s.pss_mib, "peak_pss_mib": seen_pss} | s.counts
        if mark == 1.0:
            at["peak_mib"], at["peak_pss_mib"] = peak, peak_pss
        marks.append(at)
    return marks


def _peaks(f: Finished) -> tuple[float, float, int]:
    s = f.sampler.samples
    return (
        max((x.rss_mib for x in s), default=0.0),
        max((x.main_rss_mib for x in s), default=0.0),
        max((x.processes for x in s), default=0),
    )


def _peak_pss(f: Finished) -> float:
    return max((x.pss_mib for x in f.sampler.samples), default=0.0)


def _figures(f: Finished) -> dict[str, Any]:
    """The Measurement fields a run of one measured process gives."""
    peak, main_peak, procs = _peaks(f)
    return {
        "wall_s": f.wall_s,
        "cpu_s": f.cpu_s,
        "main_cpu_s": f.sampler.main_cpu_s,
        "peak_rss_mib": peak,
        "peak_main_rss_mib": main_peak,
        "max_processes": procs,
        "peak_pss_mib": _peak_pss(f),
        "returncode": f.returncode,
        "timed_out": f.timed_out,
    }


def _count_lines(path: Path) -> int:
    if not path.is_file():
        return 0
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def _served(access_log: Path, site: Site) -> tuple[int, int]:
    """(distinct article URLs of the site the server answered, all requests it answered):
    a retry is not a second page, and a link to a path the site lacks is no article."""
    if not access_log.is_file():
        return 0, 0
    lines = access_log.read_text(encoding="utf-8").splitlines()
    articles = {f"GET {a.url_path}" for a in site.articles}
    return len(articles.intersection(lines)), len(lines)


# --- the runs -----------------------------------------------------------------------------------


def crawl_run(
    run: str, site: Site, work: Path, timeout: float, settings: Sequence[str]
) -> Measurement:
    """Run a (newscrawl) or b (baseline spider) against a fresh server of the site."""
    out_dir = work / f"run-{run}"
    out_dir.mkdir()
    out, access = out_dir / "out.jsonl", out_dir / "access.log"
    article_lines = frozenset(f"GET {a.url_path}".encode() for a in site.articles)
    counters = {
        "served": LineCounter(access, article_lines),
        "records": LineCounter(out, partial=f".{out.name}.*.part"),
    }
    with serve(site.root, access) as url:
        if run == "a":
            cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"start_urls={url}/"]
            cmd += ["-O", str(out)]
            all_settings = [
                *SPEED,
                f"NEWS_REJECTS={out_dir / 'rejects.jsonl'}",
                f"NEWS_STATS_FILE={out_dir / 'stats.json'}",
                # A first run with its own crawl state: every article is new, and the
                # project's data/ is left alone.
                f"NEWS_STATE={out_dir / 'state.sqlite'}",
                # The page budget would cut a 20,000-article run short; the site has no traps.
                "NEWS_MAX_PAGES_PER_SITE=0",
                # The corpus pages' own links point at paths this site lacks; those 404s
                # would make the run manifest call the crawl unhealthy (exit 3).
                "NEWS_MAX_ERROR_RATE=1",
                *settings,
            ]
            cwd, env = REPO, None
        else:
            cmd = [sys.executable, "-m", "scrapy", "runspider", str(BASELINE_SPIDER)]
            cmd += ["-a", f"start_url={url}/", "-O", str(out)]
            all_settings = [*SPEED, "FEED_EXPORT_ENCODING=utf-8", "TELNETCONSOLE_ENABLED=False"]
            # Outside the project (no scrapy.cfg above out_dir): plain Scrapy defaults.
            cwd = out_dir
            env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
        for setting in all_settings:
            cmd += ["-s", setting]
        print(f"[{run}] {' '.join(cmd)}", file=sys.stderr, flush=True)
        finished = run_measured(cmd, cwd, out_dir / "crawl.log", timeout, counters, env)
    served, requests = _served(access, site)
    m = Measurement(
        run=run,
        name=RUN_NAMES[run],
        pages=served,
        records=_count_lines(out),
        **_figures(finished),
        marks=progress_marks(finished.sampler.samples, len(site.articles)),
        extra={
            "command": cmd,
            "log": str(out_dir / "crawl.log"),
            "requests": requests,
            **article_window(finished.sampler.samples, served),
        },
    )
    if run == "a":
        m.extra.update(_crawl_stats(out_dir / "stats.json"))
        m.extra["rejects"] = _count_lines(out_dir / "rejects.jsonl")
    return m


def _crawl_stats(path: Path) -> dict[str, Any]:
    """The figures of newscrawl's stats file that explain records < pages."""
    if not path.is_file():
        return {}
    stats = json.loads(path.read_text(encoding="utf-8"))
    keep = ("newscrawl/articles_extracted", "newscrawl/pages_fetched", "elapsed_time_seconds")
    picked = {k: stats[k] for k in keep if k in stats}
    prefixes = ("newscrawl/duplicates/", "newscrawl/rejected/", "newscrawl/failed/")
    picked.update({k: v for k, v in stats.items() if k.startswith(prefixes)})
    if "memusage/max" in stats:
        picked["memusage/max_mib"] = stats["memusage/max"] / 2**20
    if "finish_reason" in stats:
        picked["finish_reason"] = stats["finish_reason"]
    return {"stats": picked}


def _ceiling_command(entries: list[dict[str, Any]], folder: Path, start_at: float) -> list[str]:
    folder.mkdir(parents=True)
    page_list = folder / "pages.json"
    page_list.write_text(json.dumps(entries), encoding="utf-8")
    script = str(Path(__file__).resolve())
    return [sys.executable, script, "--ceiling", str(page_list), str(folder / "result.json")] + (
        ["--start-at", f"{start_at:.3f}"] if start_at else []
    )


def ceiling_run(site: Site, work: Path, timeout: float, processes: int = 1) -> Measurement:
    """c (one process) or e (``processes`` at once): this script's ``--ceiling`` mode in
    subprocesses, over the distinct pages; e's rate is all pages over the slowest loop."""
    run = "c" if processes == 1 else "e"
    out_dir = work / f"run-{run}"
    entries = [
        {"path": str(p.path), "content_type": p.content_type, "url": a.url_path}
        for p, a in zip(site.pages, site.articles, strict=False)
    ]
    # Loops that start together: each process imports and decodes first, then waits.
    start_at = time.time() + 10 if processes > 1 else 0.0
    cmds = [
        _ceiling_command(entries[i::processes], out_dir / f"share-{i}", start_at)
        for i in range(processes)
    ]
    for cmd in cmds:
        print(f"[{run}] {' '.join(cmd)}", file=sys.stderr, flush=True)
    done: list[Finished] = []
    threads = [
        threading.Thread(
            target=lambda c=cmd: done.append(
                run_measured(c, REPO, Path(c[4]).parent / "ceiling.log", timeout)
            )
        )
        for cmd in cmds
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shares = [json.loads(Path(c[4]).read_text()) for c in cmds if Path(c[4]).is_file()]
    figures = {
        "pages": sum(f["pages"] for f in shares),
        "extracted": sum(f["extracted"] for f in shares),
        "errors": sum(f["errors"] for f in shares),
        "wall_s": max((f["wall_s"] for f in shares), default=0.0),
        "cpu_s": sum(f["cpu_s"] for f in shares),
    }
    finished = done[0]
    peak, main_peak, procs = (sum(x) for x in zip(*(_peaks(f) for f in done), strict=True))
    return Measurement(
        run=run,
        name=RUN_NAMES[run],
        pages=figures.get("pages", 0),
        records=figures.get("extracted", 0),
        # The extraction loop alone: no imports, file reads or decoding.
        wall_s=figures.get("wall_s", finished.wall_s),
        cpu_s=figures.get("cpu_s", finished.cpu_s),
        main_cpu_s=figures.get("cpu_s"),
        peak_rss_mib=peak,
        peak_main_rss_mib=main_peak,
        max_processes=int(procs),
        peak_pss_mib=sum(_peak_pss(f) for f in done),
        returncode=next((f.returncode for f in done if f.returncode), finished.returncode),
        timed_out=any(f.timed_out for f in done),
        note="extraction loop only",
        extra={
            "commands": cmds,
            "process_wall_s": max(f.wall_s for f in done),
            "errors": figures.get("errors", 0),
        },
    )


def ceiling_main(page_list: Path, result: Path, start_at: float = 0.0) -> int:
    """The c measurement, in its own process: decode every page first, then time
    ``bare_extraction`` alone over them, on one core (from ``start_at``, a Unix time, when
    given: the processes of e start their loops together)."""
    sys.path.insert(0, str(REPO))
    import trafilatura

    from crawler.extract.encoding import decode_html

    entries = json.loads(page_list.read_text(encoding="utf-8"))
    base = "http://127.0.0.1"
    texts = [
        (decode_html(Path(e["path"]).read_bytes(), e["content_type"]).text, base + e["url"])
        for e in entries
    ]
    warm_up = "<html><body><article>" + "<p>Warm-up paragraph, long enough.</p>" * 20
    trafilatura.bare_extraction(warm_up, url=base + "/", with_metadata=True)
    time.sleep(max(0.0, start_at - time.time()))
    extracted = errors = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for text, url in texts:
        try:
            doc = trafilatura.bare_extraction(text, url=url, with_metadata=True)
        except Exception:  # counted; one page must not end the measurement
            errors += 1
            continue
        extracted += doc is not None
    figures = {
        "pages": len(texts),
        "extracted": extracted,
        "errors": errors,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
    }
    result.write_text(json.dumps(figures), encoding="utf-8")
    return 0


def trafilatura_cli() -> str | None:
    beside = Path(sys.executable).parent / "trafilatura"
    return str(beside) if beside.is_file() else shutil.which("trafilatura")


def cli_run(cli: str, site: Site, work: Path, timeout: float) -> Measurement:
    """d: the trafilatura CLI over the distinct pages as files."""
    out_dir = work / "run-d"
    out_dir.mkdir()
    output = out_dir / "out"
    cmd = [cli, "--input-dir", str(site.pages_dir), "--output-dir", str(output), "--parallel", "2"]
    print(f"[d] {' '.join(cmd)}", file=sys.stderr, flush=True)
    finished = run_measured(cmd, out_dir, out_dir / "cli.log", timeout)
    written = sum(1 for p in output.rglob("*") if p.is_file()) if output.is_dir() else 0
    return Measurement(
        run="d",
        name=RUN_NAMES["d"],
        pages=len(site.pages),
        records=written,
        **_figures(finished),
        note="files named by content: identical outputs share one",
        extra={"command": cmd},
    )


# --- report -------------------------------------------------------------------------------------


def ratios(rates: dict[str, float], cores: int) -> dict[str, float]:
    """The ratios of pages/s by run: of each run's best, or within one round."""
    rate = {run: value for run, value in rates.items() if value}
    out = {}
    if "a" in rate and "b" in rate:
        out["a/b"] = rate["a"] / rate["b"]
    if "a" in rate and "c" in rate:
        out[f"a/(c x {cores})"] = rate["a"] / (rate["c"] * cores)
    if "a" in rate and "d" in rate:
        out["a/d"] = rate["a"] / rate["d"]
    if "a" in rate and "e" in rate:
        out["a/e"] = rate["a"] / rate["e"]
    if "c" in rate and "e" in rate:
        out[f"e/(c x {cores})"] = rate["e"] / (rate["c"] * cores)
    return out


def best_rates(results: dict[str, Measurement]) -> dict[str, float]:
    return {run: m.pages_per_s for run, m in results.items()}


TARGETS = {
    "a/b": ">= 2.0",
    "a/(c x": ">= 0.8",
    "a/d": ">= 1.0 (goal)",
    "a/e": "(against what the cores really give)",
    "e/(c x": "(how far the cores scale)",
}


def format_table(results: dict[str, Measurement], cores: int) -> str:
    head = (
        f"{'run':<32} {'pages':>6} {'records':>7} {'wall s':>7} {'pages/s':>8} {'CPU s':>7} "
        f"{'CPU ms/pg':>9} {'main CPU s':>10} {'main ms/pg':>10} {'peak RSS MiB':>12} "
        f"{'main RSS':>8} {'peak PSS':>8} {'procs':>5}"
    )
    lines = [head, "-" * len(head)]
    for run, m in results.items():
        per_page = 1000 / m.pages if m.pages else 0.0
        main = f"{m.main_cpu_s:10.1f}" if m.main_cpu_s is not None else f"{'-':>10}"
        main_pp = f"{m.main_cpu_s * per_page:10.1f}" if m.main_cpu_s is not None else f"{'-':>10}"
        status = " TIMED OUT" if m.timed_out else f" exit {m.returncode}" if m.returncode else ""
        lines.append(
            f"{run + ' ' + m.name:<32} {m.pages:>6} {m.records:>7} {m.wall_s:>7.1f} "
            f"{m.pages_per_s:>8.2f} {m.cpu_s:>7.1f} {m.cpu_s * per_page:>9.1f} {main} "
            f"{main_pp} {m.peak_rss_mib:>12.0f} {m.peak_main_rss_mib:>8.0f} "
            f"{m.peak_pss_mib:>8.0f} {m.max_processes:>5}{status}"
        )
    lines.append("")
    for name, value in ratios(best_rates(results), cores).items():
        target = next((t for k, t in TARGETS.items() if name.startswith(k)), "")
        lines.append(f"{name:<14} {value:6.2f}   target {target}")
    return "\n".join(lines)


def format_marks(m: Measurement, total: int) -> str:
    lines = [
        f"{m.run} {m.name}: RSS by crawl progress ({total} article URLs; "
        "progress = article URLs served, records = lines written by then)",
        f"{'progress':>9} {'t s':>7} {'served':>7} {'records':>7} {'RSS MiB':>8} "
        f"{'peak so far':>11} {'PSS MiB':>8} {'peak so far':>11}",
    ]
    for mark in m.marks:
        lines.append(
            f"{mark['mark']:>9.0%} {mark['t_s']:>7.1f} {mark.get('served', 0):>7} "
            f"{mark.get('records', 0):>7} {mark['rss_mib']:>8.0f} {mark['peak_mib']:>11.0f} "
            f"{mark.get('pss_mib', 0):>8.0f} {mark.get('peak_pss_mib', 0):>11.0f}"
        )
    return "\n".join(lines)


def format_crawl_notes(m: Measurement) -> str:
    """What else a crawl did: requests beyond the articles, the time before the first and
    after the last article, and for newscrawl what became of the pages."""
    x = m.extra
    line = (
        f"{m.run}: {x.get('requests', 0)} requests served ({m.pages} articles); first article "
        f"served at {x.get('first_article_s', 0):.1f} s, last at {x.get('last_article_s', 0):.1f}"
        f" s ({x.get('steady_pages_per_s', 0):.2f} pages/s between them)"
    )
    stats = x.get("stats")
    if stats:
        dups = sum(v for k, v in stats.items() if k.startswith("newscrawl/duplicates/"))
        rejected = sum(v for k, v in stats.items() if k.startswith("newscrawl/rejected/"))
        line += (
            f"\n   {m.records} records, {rejected} rejected, {dups} duplicates dropped; Scrapy "
            f"memusage/max (main process) {stats.get('memusage/max_mib', 0):.0f} MiB; "
            f"finish_reason {stats.get('finish_reason', '?')}"
        )
    return line


def article_window(samples: Sequence[Sample], served: int) -> dict[str, float]:
    """When the first and the last article were served (to the sampling step), and the rate
    between: the crawl's pace without start-up and shutdown."""
    first = next((s.t for s in samples if s.counts.get("served", 0) > 0), None)
    last = next((s.t for s in samples if s.counts.get("served", 0) >= served), None)
    if first is None or last is None or last <= first or served < 2:
        return {}
    return {
        "first_article_s": first,
        "last_article_s": last,
        "steady_pages_per_s": served / (last - first),
    }


# --- command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Crawl throughput of newscrawl beside inline trafilatura, on the corpus."
    )
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--multiplier", type=int, default=1, metavar="N")
    parser.add_argument("--pages", type=int, metavar="N", help="first N corpus pages only")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write all figures as JSON")
    parser.add_argument(
        "--runs", help="which of a,b,c,d,e (default a,b,c,d,e; a,c with a multiplier)"
    )
    parser.add_argument(
        "-s", "--set", action="append", default=[], metavar="NAME=VALUE",
        help="a setting for newscrawl's crawl (repeatable)",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, metavar="S", help="wall-time bound per run")
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="rounds of all runs; the best counts"
    )
    parser.add_argument("--keep", action="store_true", help="keep the site and outputs")
    parser.add_argument("--ceiling", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ceiling:
        return ceiling_main(*args.ceiling, args.start_at)
    if args.multiplier < 1 or args.repeat < 1 or (args.pages is not None and args.pages < 1):
        parser.error("--multiplier, --repeat and --pages must be at least 1")
    runs = (args.runs or ("a,b,c,d,e" if args.multiplier == 1 else "a,c")).split(",")
    if set(runs) - set(RUN_NAMES):
        parser.error("--runs takes a comma-separated subset of a,b,c,d,e")

    corpus = args.corpus.resolve()
    if not (corpus.is_dir() and corpus_pages(corpus)):
        print(f"corpus not found: no dev/pages/*.html or zh/html/ under {corpus}")
        print("nothing to measure; pass the corpus folder as the first argument")
        return 0
    work = Path(tempfile.mkdtemp(prefix="newscrawl-throughput-"))
    try:
        return _measure(args, corpus, runs, work)
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _one_run(
    run: str, site: Site, work: Path, timeout: float, settings: list[str], cores: int
) -> Measurement | None:
    if run in ("a", "b"):
        return crawl_run(run, site, work, timeout, settings)
    if run == "c":
        return ceiling_run(site, work, timeout)
    if run == "e":
        return ceiling_run(site, work, timeout, processes=cores)
    if (cli := trafilatura_cli()) is not None:
        return cli_run(cli, site, work, timeout)
    print("[d] no trafilatura CLI installed: skipped", file=sys.stderr)
    return None


def _measure(args: argparse.Namespace, corpus: Path, runs: list[str], work: Path) -> int:
    site = build_site(corpus, work / "site", args.multiplier, args.pages)
    assert site is not None  # main checked that the corpus has pages
    cores = os.cpu_count() or 1
    total = len(site.articles)
    timeout = args.timeout or 120 + 1.0 * total
    print(
        f"corpus {corpus}: {len(site.pages)} pages x {args.multiplier} = {total} article URLs, "
        f"{len(site.listings)} listing pages; {cores} cores; runs {','.join(runs)}",
        flush=True,
    )
    results: dict[str, Measurement] = {}
    rounds: list[dict[str, float]] = []
    for number in range(1, args.repeat + 1):
        # Rounds run every measurement in turn, so that a slow spell of a shared host falls on
        # all of them; each run's best round is reported.
        folder = work / f"round-{number}"
        folder.mkdir()
        rates: dict[str, float] = {}
        for run in runs:
            m = _one_run(run, site, folder, timeout, args.set, cores)
            if m is None:
                continue
            rates[run] = m.pages_per_s
            print(f"[{run}] {m.pages} pages in {m.wall_s:.1f} s", file=sys.stderr, flush=True)
            if run not in results or m.pages_per_s > results[run].pages_per_s:
                results[run] = m
        rounds.append(rates)

    print()
    if args.repeat > 1:
        # A shared host's speed drifts: ratios within one round compare runs minutes apart at
        # most, the best of each run may come from different rounds.
        print(f"pages/s of each round ({args.repeat}); the table takes each run's best")
        for number, rates in enumerate(rounds, 1):
            within = ", ".join(f"{k} {v:.2f}" for k, v in ratios(rates, cores).items())
            print(
                f"  round {number}: "
                + ", ".join(f"{r} {v:.2f}" for r, v in rates.items())
                + (f"; {within}" if within else "")
            )
        print()
    print(format_table(results, cores))
    print()
    for m in results.values():
        if m.run in ("a", "b"):
            print(format_crawl_notes(m))
    if args.multiplier > 1:
        for m in results.values():
            if m.marks:
                print()
                print(format_marks(m, total))
    print(
        "\npages: article pages processed (a, b: article URLs the server delivered; c, d, e: "
        "distinct pages); CPU: process + descendants; main: the top process alone (sampled, "
        f"+-{SAMPLE_EVERY_S} s); peak RSS / PSS: the process tree summed, sampled every "
        f"{SAMPLE_EVERY_S} s (RSS counts shared pages in every process that maps them, PSS "
        "splits them); c and e time the extraction loops alone"
    )
    failed = [m for m in results.values() if m.timed_out or m.returncode]
    for m in failed:
        print(f"{m.run}: exit {m.returncode}, timed out {m.timed_out}; see {m.extra.get('log')}")

    if args.json:
        report = {
            "corpus": str(corpus),
            "pages": len(site.pages),
            "multiplier": args.multiplier,
            "article_urls": total,
            "listing_pages": len(site.listings),
            "cores": cores,
            "rounds": rounds,
            "results": {
                run: asdict(m) | {"pages_per_s": m.pages_per_s} for run, m in results.items()
            },
            "ratios": ratios(best_rates(results), cores),
            "round_ratios": [ratios(rates, cores) for rates in rounds],
        }
        args.json.write_text(json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
