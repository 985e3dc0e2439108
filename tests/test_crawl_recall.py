"""bench/crawl_recall.py on the fixture corpus: its pages served as a site under URLs that say
nothing, crawled for real; every article page becomes a record, and no listing page does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import FIXTURES, load_bench

crawl_recall = load_bench("crawl_recall")


def test_a_crawl_of_the_served_corpus_finds_every_article_and_no_listing(tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", corpus / "dev")
    out = tmp_path / "recall.json"
    work = tmp_path / "work"
    assert crawl_recall.main([str(corpus), "--json", str(out), "--keep", str(work)]) == 0
    figures = json.loads(out.read_text("utf-8"))
    pages = len((FIXTURES / "corpus" / "truth.jsonl").read_text("utf-8").splitlines())
    assert figures["articles"] == pages
    # The sitemap and the listing pages both reach every article: a miss is the verdict's.
    assert figures["missed"] == [], (work / "crawl.log").read_text("utf-8")[-3000:]
    assert figures["articles_with_record"] == pages
    assert figures["listing_pages"] >= 2 and figures["listing_records"] == 0
    assert figures["returncode"] == 0
