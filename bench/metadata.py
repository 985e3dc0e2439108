"""Metadata benchmark: newscrawl's records and plain trafilatura's metadata, side by side, on the
corpus pages that state the truth: title, authors, publication date.

    python bench/metadata.py [CORPUS] [--json OUT] [--floors FILE] [--write-floors FILE]
                             [--misses FIELD]

CORPUS (default ``../shared/corpus``) holds ``dev/`` (``meta`` of its truth file), ``fundus/``
(publisher pages with hand-checked title, authors and date) and ``zh/`` (titles only, the
``<title>`` with its site suffix: not hand-checked, so only whether newscrawl's title stands in
it is reported). newscrawl's figures come from the record as a crawl writes it (the one
page-to-record path, ``crawler.extract.page``, without the article gate, as ``scrapy extract``
runs it); trafilatura's from ``bare_extraction(with_metadata=True)`` on the page's decoded text.

- title exact: equal as a reader sees them: spacing squashed, invisible characters (soft hyphens,
  zero-width spaces) aside; case and punctuation count.
- authors F1: names compared case-folded, micro-averaged over pages whose truth names the
  authors (on fundus every page: an empty list is the truth that there is no byline).
- date same day: the calendar day each states (``DATE_ERRATA``: a fundus date with day and month
  swapped against the page, corrected); same instant: the UTC instant equal to the second, on
  pages whose truth has a time with an offset (trafilatura gives days only).
- precision mix: the share of records whose date is an instant, a local time, a day or missing.
- pages without record: newscrawl writes none for them (text missing or too short), so they have
  no metadata to score and are left out of its figures; bench/quality.py counts them.

fundus's pages are also scored in two halves by publisher (``fundus_half``: the parity of a hash
of the publisher's name, so that one publisher's pages never stand in both): rules are tuned on
the ``tune`` half and checked on the ``check`` one. ``--floors`` exits 1 when one of
newscrawl's figures is below its floor (``bench/metadata_floors.json``); ``--write-floors``
raises floors to this run's figures, never lowers them.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from quality import below_floors, raise_floors  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
EXTRACTORS = ("newscrawl", "trafilatura")
PRECISIONS = ("instant", "local", "day", "none")


# fundus truth dates that contradict the page (its SOURCES.md: "on a few pages fundus's day and
# month look swapped against the page's own date"), by page id: the day the page prints.
DATE_ERRATA = {
    # The page prints "05.04.2025 - Güncelleme : 05.04.2025" (day.month.year); fundus has 05-04.
    "tr/AnadoluAjansi_2025_04_05": "2025-04-05",
}


@dataclass(frozen=True)
class Truth:
    """One page and what its truth states (None: the truth says nothing about that field)."""

    id: str
    corpus: str  # dev, fundus or zh
    path: Path
    url: str | None
    title: str | None = None
    authors: tuple[str, ...] | None = None
    date: str | None = None
    page_title: str | None = None  # zh: the page's <title>, a loose truth
    half: str | None = None  # fundus: "tune" or "check"


@dataclass
class Got:
    title: str | None
    authors: list[str]
    date: str | None
    precision: str | None = None


@dataclass
class Tally:
    """Hits of one extractor on one group of pages."""

    title: list[bool] = field(default_factory=list)
    title_in_page_title: list[bool] = field(default_factory=list)
    day: list[bool] = field(default_factory=list)
    instant: list[bool] = field(default_factory=list)
    authors_tp: int = 0
    authors_got: int = 0
    authors_want: int = 0
    precisions: Counter[str] = field(default_factory=Counter)
    # Pages that yield no record (their text too short or missing): no metadata to score; the
    # quality bench counts and floors them.
    no_record: int = 0

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pages_without_record": self.no_record}
        for name, hits in (
            ("title_exact", self.title),
            ("title_in_page_title", self.title_in_page_title),
            ("date_same_day", self.day),
            ("date_same_instant", self.instant),
        ):
            if hits:
                out[name] = sum(hits) / len(hits)
                out[f"{name}_pages"] = len(hits)
        if self.authors_want or self.authors_got:
            p = self.authors_tp / self.authors_got if self.authors_got else 0.0
            r = self.authors_tp / self.authors_want if self.authors_want else 0.0
            out["authors_f1"] = 2 * p * r / (p + r) if p + r else 0.0
        total = sum(self.precisions.values())
        if total:
            out["precision_mix"] = {k: self.precisions[k] / total for k in PRECISIONS}
        return out


# --- scoring ------------------------------------------------------------------------------


def squash(text: str | None) -> str:
    """Text as a reader sees it: NFC, spacing squashed, invisible format characters (soft
    hyphens, zero-width spaces) left out."""
    text = unicodedata.normalize("NFC", text or "")
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Cf").split())


def title_exact(got: str | None, want: str) -> bool:
    return bool(got) and squash(got) == squash(want)


def author_counts(got: Sequence[str], want: Sequence[str]) -> tuple[int, int, int]:
    """(true positives, names given, names wanted), names compared case-folded."""
    got_set = {squash(n).casefold() for n in got if n.strip()}
    want_set = {squash(n).casefold() for n in want if n.strip()}
    return len(got_set & want_set), len(got_set), len(want_set)


def _instant(iso: str) -> datetime | None:
    """The UTC instant of a date with a time and an offset, else None."""
    if len(iso) <= 10:
        return None
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00").replace(" ", "T"))
    return moment.astimezone(UTC) if moment.tzinfo else None


def same_day(got: str | None, want: str) -> bool:
    return bool(got) and got[:10] == want[:10]


def same_instant(got: str | None, want: str) -> bool:
    """The same UTC instant to the second (a record's dates go no finer)."""
    mine, theirs = _instant(got or ""), _instant(want)
    return (
        mine is not None
        and theirs is not None
        and mine.replace(microsecond=0) == theirs.replace(microsecond=0)
    )


# --- corpus -------------------------------------------------------------------------------


def _names(raw: str | list[str] | None) -> tuple[str, ...] | None:
    """dev's byline truth: a list, or one string of names joined by ';', ',' or ' and '."""
    if raw is None:
        return None
    if isinstance(raw, list):
        return tuple(raw)
    return tuple(n.strip() for n in raw.replace(" and ", ";").replace(",", ";").split(";"))


def fundus_half(publisher: str) -> str:
    """ "tune" or "check": fixed per publisher, whatever the order or number of its pages."""
    return "tune" if hashlib.sha1(publisher.encode()).digest()[-1] % 2 == 0 else "check"


def load_truth(corpus: Path) -> list[Truth]:
    """The pages of dev, fundus and zh that state some metadata, in truth-file order."""
    pages: list[Truth] = []
    dev = corpus / "dev" / "truth.jsonl"
    if dev.is_file():
        for line in dev.read_text("utf-8").splitlines():
            rec = json.loads(line)
            meta = rec.get("meta") or {}
            truth = Truth(
                id=rec["id"],
                corpus="dev",
                path=corpus / "dev" / rec["file"],
                url=rec["url"],
                title=meta.get("title") or None,
                authors=_names(meta.get("author") or meta.get("byline") or None),
                date=meta.get("date") or meta.get("publishedTime") or None,
            )
            if truth.title or truth.authors or truth.date:
                pages.append(truth)
    fundus = corpus / "fundus" / "truth.jsonl"
    if fundus.is_file():
        for line in fundus.read_text("utf-8").splitlines():
            rec = json.loads(line)
            pages.append(
                Truth(
                    id=rec["id"],
                    corpus="fundus",
                    path=corpus / "fundus" / rec["file"],
                    url=rec["url"],
                    title=rec.get("title") or None,
                    authors=tuple(rec.get("authors") or ()),
                    date=DATE_ERRATA.get(rec["id"], rec.get("date_published")) or None,
                    half=fundus_half(rec["publisher"]),
                )
            )
    zh = corpus / "zh" / "ground-truth.json"
    if zh.is_file():
        for page_id, rec in json.loads(zh.read_text("utf-8")).items():
            pages.append(
                Truth(
                    id=page_id,
                    corpus="zh",
                    path=corpus / "zh" / rec["file"],
                    url=rec["url"] or None,
                    page_title=rec.get("title") or None,
                )
            )
    return pages


# --- extraction ---------------------------------------------------------------------------


def _extractors() -> dict[str, Callable[[bytes, str, str | None], Got | None]]:
    """Each extractor takes the page's bytes and its decoded text (trafilatura's input)."""
    from trafilatura import bare_extraction

    from crawler.extract.dates import date_precision
    from crawler.extract.page import Page, RecordRules, page_to_record

    # Metadata of every page with main text, as ``scrapy extract`` writes it: the article
    # verdict is the quality bench's business.
    rules = RecordRules(articles_only=False)

    def newscrawl(raw: bytes, html: str, url: str | None) -> Got | None:
        # The record as the crawl writes it: the one page-to-record path.
        record = page_to_record(Page(body=raw, url=url or "file:///page"), rules).record
        if record is None:
            return None
        return Got(
            record.title,
            record.authors,
            record.date_published,
            date_precision(record.date_published),
        )

    def trafilatura(raw: bytes, html: str, url: str | None) -> Got:
        doc = bare_extraction(html, url=url, with_metadata=True)
        if not doc:
            return Got(None, [], None)
        authors = [a for a in (doc.author or "").split("; ") if a]
        return Got(doc.title, authors, doc.date)

    return {"newscrawl": newscrawl, "trafilatura": trafilatura}


def read_page(truth: Truth) -> bytes:
    raw = truth.path.read_bytes()
    return gzip.decompress(raw) if truth.path.suffix == ".gz" else raw


def score(pages: Iterable[Truth], misses: str | None = None) -> dict[tuple[str, str], Tally]:
    """Tallies by (group, extractor); groups: each corpus, and fundus's two halves."""
    from crawler.extract.encoding import decode_html

    extractors = _extractors()
    tallies: dict[tuple[str, str], Tally] = {}
    for truth in pages:
        raw = read_page(truth)
        html = decode_html(raw).text
        groups = [truth.corpus] + ([f"fundus_{truth.half}"] if truth.half else [])
        for name, extract in extractors.items():
            got = extract(raw, html, truth.url)
            for group in groups:
                tally = tallies.setdefault((group, name), Tally())
                if got is None:
                    tally.no_record += 1
                else:
                    _tally(tally, truth, got)
            if misses and name == "newscrawl" and got is not None:
                _print_miss(misses, truth, got, html)
    return tallies


def _tally(tally: Tally, truth: Truth, got: Got) -> None:
    if truth.title:
        tally.title.append(title_exact(got.title, truth.title))
    if truth.page_title:
        tally.title_in_page_title.append(
            bool(got.title) and squash(got.title) in squash(truth.page_title)
        )
    if truth.authors is not None:
        tp, n_got, n_want = author_counts(got.authors, truth.authors)
        tally.authors_tp += tp
        tally.authors_got += n_got
        tally.authors_want += n_want
    if truth.date:
        tally.day.append(same_day(got.date, truth.date))
        if _instant(truth.date) is not None:
            tally.instant.append(same_instant(got.date, truth.date))
    tally.precisions[got.precision or "none"] += 1


def _print_miss(field_name: str, truth: Truth, got: Got, html: str) -> None:
    if field_name == "title" and truth.title and not title_exact(got.title, truth.title):
        print(f"{truth.id}\n  want {truth.title!r}\n  got  {got.title!r}")
        for name, value in title_fields(html).items():
            mark = "=" if title_exact(unescape(value), truth.title) else " "
            print(f"  {mark} {name:13} {value!r}")
    if field_name == "authors" and truth.authors is not None:
        tp, n_got, n_want = author_counts(got.authors, truth.authors)
        if tp != n_got or tp != n_want:
            print(f"{truth.id}\n  want {list(truth.authors)!r}\n  got  {got.authors!r}")
    if field_name == "date" and truth.date and not same_day(got.date, truth.date):
        print(f"{truth.id}\n  want {truth.date!r}\n  got  {got.date!r}")


def title_fields(html: str) -> dict[str, str]:
    """What each place of the page says the headline is, for ``--misses title``: which one the
    truth agrees with (``=``) tells a rule from a publisher's choice of field."""
    from lxml.html import document_fromstring

    from crawler.extract.metadata import meta_tags, read_jsonld

    tree = document_fromstring(html)
    metas = meta_tags(tree)
    found = {
        "og:title": metas.get("og:title"),
        "twitter:title": metas.get("twitter:title"),
        "jsonld": read_jsonld(tree).headline,
        "<title>": tree.findtext(".//title"),
    }
    for i, h1 in enumerate(tree.xpath("//h1[position() <= 3]")):
        found[f"h1[{i}]"] = h1.text_content()
    return {name: squash(value) for name, value in found.items() if value and squash(value)}


# --- report -------------------------------------------------------------------------------

FLOORED = (
    "title_exact",
    "title_in_page_title",
    "authors_f1",
    "date_same_day",
    "date_same_instant",
)


def headline_figures(tallies: dict[tuple[str, str], Tally]) -> dict[str, float]:
    """newscrawl's figures that floors guard, per corpus: ``fundus_title_exact``, …"""
    out: dict[str, float] = {}
    for (group, name), tally in sorted(tallies.items()):
        if name != "newscrawl" or group.startswith("fundus_"):
            continue
        figures = tally.figures()
        out.update({f"{group}_{k}": figures[k] for k in FLOORED if k in figures})
    return out


def format_report(tallies: dict[tuple[str, str], Tally]) -> str:
    groups = sorted({g for g, _ in tallies}, key=lambda g: (g.split("_")[0], g))
    rows = [f"{'corpus':14} {'figure':20} {'pages':>6} {'newscrawl':>10} {'trafilatura':>12}"]
    for group in groups:
        ours = tallies[(group, "newscrawl")].figures()
        plain = tallies[(group, "trafilatura")].figures()
        for key in FLOORED:
            if key not in ours:
                continue
            theirs = f"{plain[key]:12.3f}" if key in plain else f"{'-':>12}"
            pages = ours.get(f"{key}_pages", "")
            rows.append(f"{group:14} {key:20} {pages:>6} {ours[key]:10.3f} {theirs}")
        mix = ours.get("precision_mix", {})
        rows.append(
            f"{group:14} {'precision mix':20} "
            + "  ".join(f"{k} {mix.get(k, 0.0):.2f}" for k in PRECISIONS)
        )
        if ours["pages_without_record"]:
            rows.append(f"{group:14} {'pages without record':20} {ours['pages_without_record']:>6}")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", type=Path, metavar="OUT", help="write all figures as JSON")
    parser.add_argument("--floors", type=Path, metavar="FILE", help="exit 1 below these floors")
    parser.add_argument(
        "--write-floors", type=Path, metavar="FILE", help="raise floors to this run's figures"
    )
    parser.add_argument(
        "--misses", choices=("title", "authors", "date"), help="print newscrawl's misses"
    )
    args = parser.parse_args(argv)
    if args.floors and not args.floors.is_file():
        parser.error(f"no floors file {args.floors}")
    pages = load_truth(args.corpus)
    if not pages:
        print(f"corpus not found or without metadata truth: {args.corpus}; nothing to score")
        return 0
    tallies = score(pages, args.misses)
    print(format_report(tallies))
    figures = headline_figures(tallies)
    if args.json:
        every = {f"{g}/{n}": t.figures() for (g, n), t in sorted(tallies.items())}
        args.json.write_text(json.dumps({"headline": figures, "all": every}, indent=2))
    if args.floors:
        failures = below_floors(json.loads(args.floors.read_text()), figures)
        print(f"\nfloors {args.floors}: " + ("all met" if not failures else "BELOW FLOOR"))
        for failure in failures:
            print("  " + failure)
        if failures:
            return 1
    if args.write_floors:
        old = json.loads(args.write_floors.read_text()) if args.write_floors.is_file() else {}
        args.write_floors.write_text(json.dumps(raise_floors(old, figures), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
