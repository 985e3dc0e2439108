"""Measures site-level template learning on the corpus pages whose site has other pages there.

For each such page, the knowledge is learned from the *other* pages of its host only (leave one
out), as a crawl learns from the articles it saw before; the page then goes through the
page-to-record path (no article gate, as ``scrapy extract``) without and with that knowledge and
is scored as in bench/quality.py. Few hosts have several pages in the
corpus, so this covers a minority of it; the count is printed.

    python bench/templates.py [CORPUS] [--min-pages N]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import quality

from crawler.extract.page import Page, RecordRules, page_to_record
from crawler.extract.templates import SiteKnowledge, line_key

# Extraction alone, through the page-to-record path: a record for any page with main text.
ALONE = RecordRules(min_text_chars=0, articles_only=False)


def extracted(page: quality.Page, body: bytes, knowledge: SiteKnowledge) -> str:
    """The record's text of the page, given what is known of its site's template."""
    url = page.url or Path(page.path).resolve().as_uri()
    found = Page(body=body, url=url, content_type=page.content_type, knowledge=knowledge)
    record = page_to_record(found, ALONE).record
    return (record.text or "") if record else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=quality.DEFAULT_CORPUS)
    parser.add_argument("--min-pages", type=int, default=1, help="other pages sharing a line")
    args = parser.parse_args()
    pages = quality.load_pages(args.corpus.resolve()) if args.corpus.is_dir() else []
    by_host: dict[str, list[quality.Page]] = defaultdict(list)
    for page in pages:
        if page.url:
            by_host[urlsplit(page.url).hostname or ""].append(page)
    groups = {h: ps for h, ps in by_host.items() if len(ps) > args.min_pages}
    if not groups:
        print(f"no host with more than {args.min_pages} pages under {args.corpus}")
        return 0
    bodies = {p.id: quality.page_bytes(p) for ps in groups.values() for p in ps}
    plain = {
        p.id: extracted(p, bodies[p.id], SiteKnowledge()) for ps in groups.values() for p in ps
    }
    tokens: dict[str, list[quality.TokenCounts]] = {"without": [], "with": []}
    snippets: dict[str, list[quality.SnippetCounts]] = {"without": [], "with": []}
    for members in groups.values():
        keys = {p.id: {line_key(line) for line in plain[p.id].splitlines()} for p in members}
        shared = Counter(k for ks in keys.values() for k in ks)
        for page in members:
            # Lines on at least min_pages *other* pages of the host.
            learned = frozenset(
                k for k, n in shared.items() if n - (k in keys[page.id]) >= args.min_pages
            )
            text = extracted(page, bodies[page.id], SiteKnowledge(learned))
            for label, got in (("without", plain[page.id]), ("with", text)):
                if page.body is not None:
                    tokens[label].append(quality.token_counts(got, page.body))
                if page.with_ is not None:
                    snippets[label].append(
                        quality.snippet_counts(got, page.with_, page.without or ())
                    )
    print(f"{sum(len(ps) for ps in groups.values())} pages on {len(groups)} hosts")
    for label in ("without", "with"):
        line = f"{label:>7} template knowledge:"
        if tokens[label]:
            figures = quality.fulltext_figures(tokens[label])
            line += f"  full text ({len(tokens[label])}) " + " ".join(
                f"{k}={v:.3f}" for k, v in figures.items()
            )
        if snippets[label]:
            figures = quality.snippet_figures(snippets[label])
            line += f"  snippets ({len(snippets[label])}) " + " ".join(
                f"{k}={v:.3f}" for k, v in figures.items()
            )
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
