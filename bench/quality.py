"""Extraction-quality benchmark: newscrawl's records and plain trafilatura, side by side.

Every corpus page goes, with its real URL, through newscrawl's one page-to-record path
(``crawler.extract.page.page_to_record``, the crawl's article gate and validation): the text
scored is the record's, and a page without a record scores 0 and is listed with the reason.
trafilatura gets the text ``crawler.extract.encoding.decode_html`` decodes. Scores are
bag-of-tokens precision/recall/F1 against a page's ``body``, the share of junk lines (lines
mostly not in the body), and, for snippet pages, the share of ``with`` snippets found and of
``without`` snippets absent (see ``../shared/README.md``). newscrawl's extraction alone, past
the gate (a record for any page with main text, as ``scrapy extract`` writes), is scored too.

    python bench/quality.py [CORPUS] [--json OUT] [--source S] [--limit N] [--workers N]
                            [--floors FILE] [--write-floors FILE]

CORPUS (default ``../shared/corpus`` beside the repository) holds ``dev/``, ``zh/`` and/or
``fundus/``; when it is absent the script says so and exits 0. ``--floors`` exits 1 when one of
newscrawl's headline figures (``headline_figures``) is below its floor or above its ceiling
(``*_max``: pages without a record, junk lines); ``--write-floors`` tightens them to this run's
figures, never loosens them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from multiprocessing import Pool
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
# The two compared side by side: newscrawl's records and plain trafilatura.
EXTRACTORS = ("newscrawl", "trafilatura")
# Scored too: newscrawl's extraction alone, what the floors of earlier runs guard.
SCORED = (*EXTRACTORS, "extraction")
# A page counts as worse than trafilatura when its score is lower by more than this.
WORSE_MARGIN = 0.01

# --- scoring --------------------------------------------------------------------------------

# Han (with 々〆〇 and the compatibility and supplementary planes), kana and hangul: these
# scripts are not written with spaces between words, so each character is one token.
_CJK = (
    "\u1100-\u11ff\u3005-\u3007\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
# One CJK word character, or a run of other word characters. The lookahead keeps CJK
# punctuation (・, ゠) out of the tokens, as \w+ keeps out punctuation elsewhere.
_TOKEN = re.compile(rf"(?=\w)[{_CJK}]|[^\W{_CJK}]+")


def tokenize(text: str) -> list[str]:
    """Lowercased word tokens; one token per character for CJK, which has no word spaces."""
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class TokenCounts:
    """Token totals of one page; kept as counts so that micro averages can sum them."""

    extracted: int
    truth: int
    common: int

    @property
    def precision(self) -> float:
        if not self.extracted:
            return 1.0 if not self.truth else 0.0
        return self.common / self.extracted

    @property
    def recall(self) -> float:
        if not self.truth:
            return 1.0 if not self.extracted else 0.0
        return self.common / self.truth

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def token_counts(extracted: str, truth: str) -> TokenCounts:
    """Compare two texts as multisets of tokens: a repeated word counts as often as in both."""
    got, want = Counter(tokenize(extracted)), Counter(tokenize(truth))
    return TokenCounts(got.total(), want.total(), (got & want).total())


def normalize_space(text: str) -> str:
    """Collapse every run of Unicode whitespace to one space and strip the ends.

    Extractors separate paragraphs with newlines and keep NBSP or ideographic spaces, while
    snippets were typed with single spaces; case and punctuation are left alone.
    """
    return " ".join(text.split())


@dataclass(frozen=True)
class SnippetCounts:
    """Snippet checks of one page: how many ``with`` were found, ``without`` were absent."""

    with_total: int
    with_found: int
    without_total: int
    without_absent: int

    @property
    def score(self) -> float:
        """Share of all checks passed, to rank one page's result against another's."""
        total = self.with_total + self.without_total
        return (self.with_found + self.without_absent) / total if total else 1.0


def snippet_counts(extracted: str, with_: Sequence[str], without: Sequence[str]) -> SnippetCounts:
    """Substring checks after ``normalize_space`` on both sides."""
    text = normalize_space(extracted)
    found = sum(normalize_space(s) in text for s in with_)
    leaked = sum(normalize_space(s) in text for s in without)
    return SnippetCounts(len(with_), found, len(without), len(without) - leaked)


# A line of extracted text is junk when fewer than this share of its tokens are in the truth.
JUNK_SHARE = 0.5


def junk_lines(extracted: str, truth: str) -> tuple[int, int]:
    """(lines with a token, lines of which most tokens are not in the truth at all): what an
    extractor adds that is not the article (menus, teasers, captions)."""
    known = set(tokenize(truth))
    lines = junk = 0
    for line in extracted.split("\n"):
        tokens = tokenize(line)
        if tokens:
            lines += 1
            junk += sum(t in known for t in tokens) < JUNK_SHARE * len(tokens)
    return lines, junk


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def fulltext_figures(counts: Sequence[TokenCounts]) -> dict[str, float]:
    """Macro (mean of per-page figures) and micro (from summed token counts) averages."""
    total = TokenCounts(
        sum(c.extracted for c in counts),
        sum(c.truth for c in counts),
        sum(c.common for c in counts),
    )
    return {
        "macro_p": _mean([c.precision for c in counts]),
        "macro_r": _mean([c.recall for c in counts]),
        "macro_f1": _mean([c.f1 for c in counts]),
        "micro_p": total.precision,
        "micro_r": total.recall,
        "micro_f1": total.f1,
    }


def snippet_figures(counts: Sequence[SnippetCounts]) -> dict[str, float]:
    """Shares pooled over all snippets of the group, not averaged per page."""
    with_total = sum(c.with_total for c in counts)
    without_total = sum(c.without_total for c in counts)
    return {
        "with_total": with_total,
        "with_found": sum(c.with_found for c in counts) / with_total if with_total else 1.0,
        "without_total": without_total,
        "without_absent": (
            sum(c.without_absent for c in counts) / without_total if without_total else 1.0
        ),
    }


def floor_down(value: float) -> float:
    """Round down to 3 decimals, so that the run that wrote a floor always passes it."""
    return math.floor(value * 1000 + 1e-9) / 1000


def ceil_up(value: float) -> float:
    """Round up to 3 decimals (a ceiling's ``floor_down``); counts stay as they are."""
    if isinstance(value, int):
        return value
    return math.ceil(value * 1000 - 1e-9) / 1000


# Figures that may only go down (pages lost, junk kept): the floors file holds their ceilings,
# under the figure's name with ``_max``.
CEILING_SUFFIXES = ("_without_record", "_junk_lines")
CEILING = "_max"


def is_ceiling(figure: str) -> bool:
    return figure.endswith(CEILING_SUFFIXES)


def raise_floors(floors: dict[str, float], figures: dict[str, float]) -> dict[str, float]:
    """New floors: each figure rounded down, but never below the floor it replaces; each
    ceiling figure rounded up, but never above the ceiling it replaces."""
    raised = dict(floors)
    for key, value in figures.items():
        if is_ceiling(key):
            limit = key + CEILING
            raised[limit] = min(floors.get(limit, math.inf), ceil_up(value))
        else:
            raised[key] = max(floors.get(key, 0.0), floor_down(value))
    return dict(sorted(raised.items()))


def below_floors(floors: dict[str, float], figures: dict[str, float]) -> list[str]:
    """Failure messages; a floor nobody measured fails too, so a misspelt key cannot pass."""
    failures = []
    for key, limit in sorted(floors.items()):
        figure = key.removesuffix(CEILING)
        if figure not in figures:
            failures.append(f"{key}: not measured by this run (known: {', '.join(figures)})")
        elif figure != key and figures[figure] > limit + 1e-9:
            failures.append(f"{figure}: {figures[figure]:.4f} is above its ceiling {limit:.3f}")
        elif figure == key and figures[figure] < limit - 1e-9:
            failures.append(f"{key}: {figures[key]:.4f} is below its floor {limit:.3f}")
    return failures


# --- corpus ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page to score, with everything a worker needs (workers read the file themselves)."""

    id: str
    corpus: str  # "dev", "zh" or "fundus"
    source: str
    lang: str
    path: str
    url: str | None
    content_type: str | None
    body: str | None
    with_: tuple[str, ...] | None
    without: tuple[str, ...] | None
    # What the truth calls an article page: one without a record is a miss. Every page of dev
    # and fundus; zh's news pages (its blog, forum and other pages are scored, not counted).
    article: bool = True
    # zh's genre (news, blog, forum, other): its news pages are the ones a news crawl is for.
    genre: str = ""


def load_pages(corpus: Path) -> list[Page]:
    """Pages of ``corpus/dev``, ``corpus/zh`` then ``corpus/fundus``, each in the order of its
    truth file."""
    pages = []
    dev = corpus / "dev"
    if (dev / "truth.jsonl").is_file():
        with open(dev / "truth.jsonl", encoding="utf-8") as lines:
            for line in lines:
                rec = json.loads(line)
                pages.append(
                    Page(
                        id=rec["id"],
                        corpus="dev",
                        source=rec["source"],
                        lang=rec["lang"],
                        path=str(dev / rec["file"]),
                        url=rec["url"],
                        content_type=None,
                        body=rec["body"],
                        with_=tuple(rec["with"]) if rec["with"] is not None else None,
                        without=tuple(rec["without"]) if rec["without"] is not None else None,
                    )
                )
    zh = corpus / "zh"
    if (zh / "ground-truth.json").is_file():
        truth = json.loads((zh / "ground-truth.json").read_text(encoding="utf-8"))
        for page_id, rec in truth.items():
            # The stated encoding reaches the decoder as a crawler would see it: in the header.
            enc = rec.get("encoding")
            pages.append(
                Page(
                    id=page_id,
                    corpus="zh",
                    source=rec["source"],
                    lang="zh",
                    path=str(zh / rec["file"]),
                    url=rec["url"] or None,
                    content_type=f"text/html; charset={enc}" if enc else None,
                    body=rec["body"],
                    with_=None,
                    without=None,
                    article=rec.get("genre") == "news",
                    genre=rec.get("genre") or "",
                )
            )
    fundus = corpus / "fundus"
    if (fundus / "truth.jsonl").is_file():
        with open(fundus / "truth.jsonl", encoding="utf-8") as lines:
            for line in lines:
                rec = json.loads(line)
                pages.append(
                    Page(
                        id=rec["id"],
                        corpus="fundus",
                        source=rec["country"],
                        lang="",
                        path=str(fundus / rec["file"]),
                        url=rec["url"],
                        content_type=None,
                        body=fundus_body(rec["body"]),
                        with_=None,
                        without=None,
                    )
                )
    return pages


def page_bytes(page: Page) -> bytes:
    """The stored page as served (fundus keeps its pages gzipped)."""
    raw = Path(page.path).read_bytes()
    return gzip.decompress(raw) if page.path.endswith(".gz") else raw


def fundus_body(body: dict[str, Any]) -> str:
    """The text fundus expects: summary, then each section's sub-headings and paragraphs."""
    lines = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        lines += section.get("headline") or []
        lines += section.get("paragraphs") or []
    return "\n".join(lines)


def select_pages(pages: Iterable[Page], sources: Sequence[str], limit: int | None) -> list[Page]:
    """Keep the named sources, and at most ``limit`` pages of each source."""
    kept: list[Page] = []
    per_source: Counter[str] = Counter()
    for page in pages:
        if sources and page.source not in sources:
            continue
        if limit is not None and per_source[page.source] >= limit:
            continue
        per_source[page.source] += 1
        kept.append(page)
    return kept


# --- extraction (runs in the workers) -------------------------------------------------------


@dataclass(frozen=True)
class ExtractorResult:
    """One extractor on one page. An exception counts as an empty extraction and is kept."""

    cpu_ms: float
    chars: int
    tokens: TokenCounts | None
    snippets: SnippetCounts | None
    error: str | None
    lines: int = 0  # lines of text extracted (with a word in them)
    junk_lines: int = 0  # of which most words are not in the truth (full-text pages)

    @property
    def score(self) -> float:
        """F1 for full-text pages, the snippet score for snippet pages."""
        if self.tokens is not None:
            return self.tokens.f1
        assert self.snippets is not None
        return self.snippets.score


@dataclass(frozen=True)
class PageResult:
    """Scores of one page: ``newscrawl`` is the record a crawl writes (empty when there is
    none, ``no_record`` saying why), ``extraction`` the text of newscrawl's extraction alone,
    past the article verdict and validation; ``trafilatura`` plain trafilatura."""

    page: Page
    encoding: str
    decode_ms: float
    results: dict[str, ExtractorResult]
    no_record: str | None = None


# Filled in each worker by _init_worker, which alone imports crawler and trafilatura.
_decode: Callable[[bytes, str | None], Any] | None = None
_plain: Callable[[str, str | None], str | None] | None = None
_to_record: Callable[[bytes, str, str | None], tuple[str, str, str | None]] | None = None


def _init_worker() -> None:
    """Import both extractors and run them once, so that no page pays for lazy set-up."""
    global _decode, _plain, _to_record
    sys.path.insert(0, str(REPO))
    import trafilatura

    from crawler.extract import page as record_path
    from crawler.extract.encoding import decode_html

    crawl = record_path.RecordRules()
    # Extraction alone: a record for any page with main text, however short.
    alone = record_path.RecordRules(min_text_chars=0, articles_only=False)

    def to_record(body: bytes, url: str, content_type: str | None) -> tuple[str, str, str | None]:
        """(extracted text, the record's text, why there is no record). The record's text is
        the extracted text; only a page without a record is extracted again."""
        found = record_path.Page(body=body, url=url, content_type=content_type)
        result = record_path.page_to_record(found, crawl)
        if result.record is not None:
            return result.record.text or "", result.record.text or "", None
        extracted = record_path.page_to_record(found, alone).record
        return (extracted.text or "") if extracted else "", "", result.reason

    def plain_trafilatura(html: str, url: str | None) -> str | None:
        return trafilatura.extract(html, url=url)

    _decode, _plain, _to_record = decode_html, plain_trafilatura, to_record
    warm_up = "<html><body><article>" + "<p>Warm-up paragraph, long enough.</p>" * 20
    plain_trafilatura(warm_up, None)
    to_record(warm_up.encode(), "http://localhost/warm-up", None)


def score_page(page: Page) -> PageResult:
    """Decode a page once for trafilatura; newscrawl takes the bytes through its page-to-record
    path (its decoding included, as in a crawl). A page without a URL gets its file's."""
    assert _decode is not None and _plain is not None and _to_record is not None
    raw = page_bytes(page)
    start = time.process_time()
    decoded = _decode(raw, page.content_type)
    decode_ms = (time.process_time() - start) * 1000
    texts: dict[str, str] = {}
    errors: dict[str, str | None] = {"newscrawl": None, "extraction": None, "trafilatura": None}
    times: dict[str, float] = {}
    no_record = None
    start = time.process_time()
    try:
        url = page.url or Path(page.path).resolve().as_uri()
        texts["extraction"], texts["newscrawl"], no_record = _to_record(raw, url, page.content_type)
    except Exception as exc:  # one broken page must not end a run of hundreds
        texts["extraction"] = texts["newscrawl"] = ""
        errors["newscrawl"] = errors["extraction"] = f"{type(exc).__name__}: {exc}"
        no_record = "extraction_error"
    times["newscrawl"] = times["extraction"] = (time.process_time() - start) * 1000
    start = time.process_time()
    try:
        texts["trafilatura"] = _plain(decoded.text, page.url) or ""
    except Exception as exc:
        texts["trafilatura"], errors["trafilatura"] = "", f"{type(exc).__name__}: {exc}"
    times["trafilatura"] = (time.process_time() - start) * 1000
    results = {}
    for name in SCORED:
        text = texts[name]
        lines, junk = junk_lines(text, page.body) if page.body is not None else (0, 0)
        results[name] = ExtractorResult(
            cpu_ms=times[name],
            chars=len(text),
            tokens=token_counts(text, page.body) if page.body is not None else None,
            snippets=(
                snippet_counts(text, page.with_, page.without or ())
                if page.with_ is not None
                else None
            ),
            error=errors[name],
            lines=lines,
            junk_lines=junk,
        )
    return PageResult(page, decoded.encoding, decode_ms, results, no_record)


def run(pages: Sequence[Page], workers: int) -> list[PageResult]:
    """Score pages in a pool (in this process for one worker), in the order given."""
    if workers == 1:
        _init_worker()
        return list(_progress(map(score_page, pages), len(pages)))
    with Pool(workers, initializer=_init_worker) as pool:
        results = list(_progress(pool.imap(score_page, pages, chunksize=1), len(pages)))
        pool.close()
        pool.join()  # reaped workers are what RUSAGE_CHILDREN reports
    return results


def _progress(results: Iterable[PageResult], total: int) -> Iterable[PageResult]:
    for done, result in enumerate(results, 1):
        if sys.stderr.isatty():
            print(f"\r{done}/{total} pages", end="", file=sys.stderr, flush=True)
        yield result
    if sys.stderr.isatty():
        print(file=sys.stderr)


# --- report ---------------------------------------------------------------------------------


# Sub-groups per corpus (fundus's 26 countries would be rows of a handful of pages each).
SUBGROUPS = {"dev": ("source", "lang"), "zh": ("source", "lang", "genre"), "fundus": ()}


def groups_of(results: Sequence[PageResult]) -> dict[str, list[PageResult]]:
    """Per corpus: everything, each source, each language; a group equal to its corpus is
    left out (the zh corpus is all ``lang=zh``)."""
    groups: dict[str, list[PageResult]] = {}
    for corpus, fields in SUBGROUPS.items():
        members = [r for r in results if r.page.corpus == corpus]
        if not members:
            continue
        groups[corpus] = members
        for field in fields:
            values = Counter(getattr(r.page, field) for r in members)
            for value, _ in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
                sub = [r for r in members if getattr(r.page, field) == value]
                if len(sub) < len(members):
                    groups[f"{corpus} {field}={value}"] = sub
    return groups


def group_figures(members: Sequence[PageResult]) -> dict[str, Any]:
    """Page counts, article pages without a record, and per extractor the full-text figures
    (with the share of junk lines) and snippet figures where the group has any."""
    full = [r for r in members if r.page.body is not None]
    snip = [r for r in members if r.page.with_ is not None]
    articles = [r for r in members if r.page.article]
    figures: dict[str, Any] = {
        "pages": len(members),
        "fulltext_pages": len(full),
        "snippet_pages": len(snip),
        "articles": len(articles),
        "articles_without_record": sum(r.no_record is not None for r in articles),
    }
    for name in SCORED:
        figures[name] = {}
        if full:
            tokens = [r.results[name].tokens for r in full]
            figures[name]["fulltext"] = fulltext_figures([t for t in tokens if t is not None])
            lines = sum(r.results[name].lines for r in full)
            junk = sum(r.results[name].junk_lines for r in full)
            figures[name]["fulltext"]["junk_lines"] = junk / lines if lines else 0.0
        if snip:
            snippets = [r.results[name].snippets for r in snip]
            figures[name]["snippets"] = snippet_figures([s for s in snippets if s is not None])
    return figures


def headline_figures(groups: dict[str, dict[str, Any]]) -> dict[str, float]:
    """newscrawl's figures that floors guard. Its records (``records_*``, the crawl's gate and
    validation applied; article pages without a record and the share of junk lines are
    ceilings) and, under the names earlier runs gave them, its extraction alone: dev full text
    (``fulltext_*``), dev snippets, zh, fundus."""
    figures: dict[str, float] = {}
    for corpus in SUBGROUPS:
        group = groups.get(corpus)
        if group is None:
            continue
        figures[f"{corpus}_articles_without_record"] = group["articles_without_record"]
        for name, prefix in (("newscrawl", "records_"), ("extraction", "")):
            ours = group[name]
            if "snippets" in ours:
                figures[f"{prefix}{corpus}_snippets_with_found"] = ours["snippets"]["with_found"]
                absent = ours["snippets"]["without_absent"]
                figures[f"{prefix}{corpus}_snippets_without_absent"] = absent
            if "fulltext" in ours:
                # dev's full-text figures were the first measured: named without the corpus.
                key = "fulltext" if corpus == "dev" and not prefix else f"{prefix}{corpus}"
                figures[f"{key}_macro_f1"] = ours["fulltext"]["macro_f1"]
                figures[f"{key}_micro_f1"] = ours["fulltext"]["micro_f1"]
                if prefix:
                    figures[f"{corpus}_junk_lines"] = ours["fulltext"]["junk_lines"]
    # zh's news pages alone: the records a news crawl of such portals delivers (its blog, forum
    # and other pages score 0 in the zh row when the gate refuses them, as it should).
    news = groups.get("zh genre=news")
    if news is not None and "fulltext" in news["newscrawl"]:
        figures["records_zh_news_macro_f1"] = news["newscrawl"]["fulltext"]["macro_f1"]
        figures["records_zh_news_micro_f1"] = news["newscrawl"]["fulltext"]["micro_f1"]
    return figures


def worse_pages(results: Sequence[PageResult]) -> list[tuple[float, PageResult]]:
    """Pages where newscrawl scores more than ``WORSE_MARGIN`` below trafilatura, worst first."""
    worse = []
    for r in results:
        delta = r.results["newscrawl"].score - r.results["trafilatura"].score
        if delta < -WORSE_MARGIN:
            worse.append((delta, r))
    return sorted(worse, key=lambda item: (item[0], item[1].page.id))


# Columns of the two tables: (heading, key in the figures), each 8 characters wide.
_FULLTEXT_COLUMNS = (
    ("P", "macro_p"),
    ("R", "macro_r"),
    ("F1", "macro_f1"),
    ("microF1", "micro_f1"),
    ("junk", "junk_lines"),
)
_SNIPPET_COLUMNS = (("found", "with_found"), ("absent", "without_absent"))


def _table(
    groups: dict[str, dict[str, Any]],
    kind: str,
    counts: Sequence[tuple[str, Callable[[dict[str, Any]], int]]],
    columns: Sequence[tuple[str, str]],
) -> list[str]:
    """Rows of groups that have ``kind`` pages: counts, then each extractor's columns."""
    rows = {name: fig for name, fig in groups.items() if kind in fig[EXTRACTORS[0]]}
    width = max(len(name) for name in rows)
    lead = " " * (width + 6 * len(counts))
    block = 8 * len(columns)
    lines = [
        lead + "".join(f"  {name:-^{block}}" for name in EXTRACTORS),
        f"{'group':{width}}"
        + "".join(f"{heading:>6}" for heading, _ in counts)
        + "".join("  " + "".join(f"{h:>8}" for h, _ in columns) for _ in EXTRACTORS),
    ]
    for name, fig in rows.items():
        lines.append(
            f"{name:{width}}"
            + "".join(f"{count(fig):6d}" for _, count in counts)
            + "".join(
                "  " + "".join(f"{fig[ext][kind][key]:8.3f}" for _, key in columns)
                for ext in EXTRACTORS
            )
        )
    return lines


def format_report(
    groups: dict[str, dict[str, Any]], results: Sequence[PageResult], wall_s: float
) -> str:
    """The terminal report: records per corpus, full-text table, snippet table, the article
    pages without a record, worse pages, errors, timing."""
    lines = [
        "RECORDS: newscrawl's columns score the record a crawl writes (page_to_record, the "
        "crawl's gate);",
        "a page without one scores 0. Article pages: every dev and fundus page, zh's news pages.",
    ]
    for corpus in SUBGROUPS:
        if corpus not in groups:
            continue
        fig = groups[corpus]
        alone = fig["extraction"].get("fulltext") or fig["extraction"]["snippets"]
        alone_text = (
            f"F1 {alone['macro_f1']:.3f} microF1 {alone['micro_f1']:.3f}"
            if "macro_f1" in alone
            else f"snippets found {alone['with_found']:.3f} absent {alone['without_absent']:.3f}"
        )
        lines.append(
            f"  {corpus:7} article pages without a record: "
            f"{fig['articles_without_record']}/{fig['articles']}"
            f"   (extraction alone, past the gate: {alone_text})"
        )
    lines.append("")
    if any(fig["fulltext_pages"] for fig in groups.values()):
        lines += [
            "FULL TEXT: bag-of-tokens P/R/F1 against body; P, R, F1 are macro averages; junk: "
            "share of lines mostly not in the body"
        ]
        lines += _table(
            groups, "fulltext", [("pages", lambda f: f["fulltext_pages"])], _FULLTEXT_COLUMNS
        )
        lines.append("")
    if any(fig["snippet_pages"] for fig in groups.values()):
        lines += ["SNIPPETS: share of `with` found, of `without` absent (pooled over snippets)"]
        lines += _table(
            groups,
            "snippets",
            [
                ("pages", lambda f: f["snippet_pages"]),
                ("with", lambda f: f["newscrawl"]["snippets"]["with_total"]),
                ("w/out", lambda f: f["newscrawl"]["snippets"]["without_total"]),
            ],
            _SNIPPET_COLUMNS,
        )
        lines.append("")

    missed = [r for r in results if r.page.article and r.no_record is not None]
    lines += [f"article pages without a record: {len(missed)}"]
    lines += [f"  {r.page.corpus:7} {r.page.id:50} {r.no_record}" for r in missed]
    lines.append("")

    worse = worse_pages(results)
    lines += [
        f"newscrawl worse than trafilatura by more than {WORSE_MARGIN} "
        f"(F1, or snippet score = share of checks passed): {len(worse)} pages",
    ]
    for delta, r in worse:
        kind = "F1" if r.page.body is not None else "snippets"
        lines.append(
            f"  {delta:+.3f}  {r.results['newscrawl'].score:.3f} vs "
            f"{r.results['trafilatura'].score:.3f}  {kind:8}  {r.page.id}"
        )

    errors = [(r.page.id, n, x.error) for r in results for n, x in r.results.items() if x.error]
    if errors:
        lines += ["", f"extractor errors (scored as empty extractions): {len(errors)}"]
        lines += [f"  {name}: {page_id}: {error}" for page_id, name, error in errors]

    timing = timing_figures(results)
    lines += [
        "",
        f"CPU ms/page over {len(results)} pages: newscrawl {timing['newscrawl_ms']:.1f}, "
        f"trafilatura {timing['trafilatura_ms']:.1f}, ratio {timing['ratio']:.2f} "
        f"(newscrawl's includes its decoding, trafilatura's not: {timing['decode_ms']:.1f})",
        "peak RSS: "
        + ", ".join(f"{who} {mb:.0f} MB" for who, mb in peak_rss_mb().items())
        + f"; wall time {wall_s:.1f} s",
    ]
    return "\n".join(lines)


def timing_figures(results: Sequence[PageResult]) -> dict[str, float]:
    """Mean CPU milliseconds per page, summed over pages as each worker measured them."""
    n = len(results)
    nc = sum(r.results["newscrawl"].cpu_ms for r in results) / n
    tr = sum(r.results["trafilatura"].cpu_ms for r in results) / n
    return {
        "newscrawl_ms": nc,
        "trafilatura_ms": tr,
        "ratio": nc / tr if tr else math.nan,
        "decode_ms": sum(r.decode_ms for r in results) / n,
    }


def peak_rss_mb() -> dict[str, float]:
    """Peak resident set size of this process and of the largest reaped worker, if any
    (Linux reports ``ru_maxrss`` in kB)."""
    peaks = {
        "main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "largest_worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    return {who: mb for who, mb in peaks.items() if mb}


def page_json(r: PageResult) -> dict[str, Any]:
    """One page's figures for ``--json``: counts as measured plus the derived scores."""
    out: dict[str, Any] = {
        "id": r.page.id,
        "corpus": r.page.corpus,
        "source": r.page.source,
        "lang": r.page.lang,
        "encoding": r.encoding,
        "decode_ms": r.decode_ms,
        "article": r.page.article,
        "no_record": r.no_record,
    }
    for name, x in r.results.items():
        entry: dict[str, Any] = {"cpu_ms": x.cpu_ms, "chars": x.chars, "error": x.error}
        if x.tokens is not None:
            t = x.tokens
            entry.update(asdict(t), precision=t.precision, recall=t.recall, f1=t.f1)
        if x.snippets is not None:
            entry.update(asdict(x.snippets), snippet_score=x.snippets.score)
        out[name] = entry
    return out


# --- command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Score newscrawl's extraction against plain trafilatura on the corpus."
    )
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", type=Path, metavar="OUT", help="write all figures as JSON")
    parser.add_argument(
        "--source", action="append", default=[], help="only this source (repeatable)"
    )
    parser.add_argument("--limit", type=int, metavar="N", help="at most N pages per source")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--floors", type=Path, metavar="FILE", help="exit 1 below these floors")
    parser.add_argument(
        "--write-floors", type=Path, metavar="FILE", help="raise floors to this run's figures"
    )
    args = parser.parse_args(argv)
    if (args.floors or args.write_floors) and (args.source or args.limit is not None):
        parser.error("floors describe the whole corpus: drop --source/--limit")
    if args.workers < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--workers and --limit must be at least 1")
    if args.floors and not args.floors.is_file():
        parser.error(f"no floors file {args.floors}")

    corpus = args.corpus.resolve()
    pages = load_pages(corpus) if corpus.is_dir() else []
    if not pages:
        print(f"corpus not found: no dev/, zh/ or fundus/ truth file under {corpus}")
        print("nothing to score; pass the corpus folder as the first argument")
        return 0
    unknown = set(args.source) - {page.source for page in pages}
    if unknown:
        known = ", ".join(sorted({page.source for page in pages}))
        print(f"no source {', '.join(sorted(unknown))} in {corpus}; its sources: {known}")
        return 2
    pages = select_pages(pages, args.source, args.limit)

    started = time.perf_counter()
    results = run(pages, min(args.workers, len(pages)))
    wall_s = time.perf_counter() - started
    groups = {name: group_figures(members) for name, members in groups_of(results).items()}
    figures = headline_figures(groups)
    print(f"corpus {corpus}: {len(results)} pages, {min(args.workers, len(pages))} workers\n")
    print(format_report(groups, results, wall_s))

    if args.json:
        report = {
            "corpus": str(corpus),
            "figures": figures,
            "groups": groups,
            "timing": timing_figures(results),
            "peak_rss_mb": peak_rss_mb(),
            "wall_s": wall_s,
            "pages": [page_json(r) for r in results],
        }
        args.json.write_text(
            json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"\nwrote {args.json}")

    status = 0
    if args.floors:
        failures = below_floors(json.loads(args.floors.read_text()), figures)
        print(f"\nfloors {args.floors}: " + ("all met" if not failures else "BELOW FLOOR"))
        for failure in failures:
            print(f"  {failure}")
        status = 1 if failures else 0
    if args.write_floors:
        path = args.write_floors
        old = json.loads(path.read_text()) if path.exists() else {}
        new = raise_floors(old, figures)
        path.write_text(json.dumps(new, indent=2) + "\n")
        raised = [f"{k} {old.get(k, '-')} -> {v}" for k, v in new.items() if old.get(k) != v]
        print(f"\nfloors written to {path}: " + ("; ".join(raised) or "none raised"))
    return status


if __name__ == "__main__":
    sys.exit(main())
