"""Scores newscrawl's metadata (title, publication date, authors) against the corpus pages
that have it (`meta` in ../shared/corpus/dev/truth.jsonl), beside trafilatura's own metadata
from the same decoded text.

    python bench/metadata.py [CORPUS]

Title: equal after whitespace and case folding. Date: the same calendar day. Author: every
truth name found among the extracted names (case-folded), or the truth byline equal to the
joined names; pages whose truth has no author are left out of that figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trafilatura import bare_extraction

from crawler.extract.encoding import decode_html
from crawler.extract.extraction import extract_page

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def title_ok(got: str | None, want: str) -> bool:
    return bool(got) and _fold(got) == _fold(want)


def date_ok(got: str | None, want: str) -> bool:
    return bool(got) and got[:10] == want[:10]


def authors_ok(got: list[str], want: str | list[str]) -> bool:
    if isinstance(want, list):
        want = ";".join(want)
    names = [_fold(n) for n in got]
    wanted = [_fold(w) for w in want.replace(" and ", ";").replace(",", ";").split(";")]
    return bool(names) and (
        all(w in names for w in wanted if w) or _fold(want) == _fold(", ".join(got))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    truth_file = args.corpus / "dev" / "truth.jsonl"
    if not truth_file.is_file():
        print(f"corpus not found: no {truth_file}; nothing to score")
        return 0
    hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for line in truth_file.read_text("utf-8").splitlines():
        page = json.loads(line)
        meta = page.get("meta") or {}
        wants = {
            "title": meta.get("title"),
            "date": meta.get("date") or meta.get("publishedTime"),
            "author": meta.get("author") or meta.get("byline"),
        }
        if not any(wants.values()):
            continue
        html = decode_html((args.corpus / "dev" / page["file"]).read_bytes()).text
        ours = extract_page(html, page["url"])
        plain = bare_extraction(html, url=page["url"], with_metadata=True)
        got = {
            "newscrawl": (ours.title, ours.date.iso if ours.date else None, ours.authors),
            "trafilatura": (
                (plain.title, plain.date, [a for a in (plain.author or "").split("; ") if a])
                if plain
                else (None, None, [])
            ),
        }
        for name, (title, date, authors) in got.items():
            if wants["title"]:
                hits[(name, "title")].append(title_ok(title, wants["title"]))
            if wants["date"]:
                hits[(name, "date")].append(date_ok(date, wants["date"]))
            if wants["author"]:
                hits[(name, "author")].append(authors_ok(authors, wants["author"]))
    print(f"{'field':8} {'pages':>6} {'newscrawl':>10} {'trafilatura':>12}")
    for field in ("title", "date", "author"):
        ours_hits, plain_hits = hits[("newscrawl", field)], hits[("trafilatura", field)]
        print(
            f"{field:8} {len(ours_hits):6} {sum(ours_hits) / len(ours_hits):10.3f}"
            f" {sum(plain_hits) / len(plain_hits):12.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
