"""bench/throughput.py: the site it builds from a corpus folder, and its exit without a corpus.
No crawl runs here and no time is measured."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import load_bench

throughput = load_bench("throughput")

PAGE = "<html><head><title>{0}</title></head><body><article><p>{0} text.</p></article></body>"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Two dev pages and one GBK zh page whose encoding the ground truth names."""
    root = tmp_path / "corpus"
    (root / "dev" / "pages").mkdir(parents=True)
    (root / "dev" / "pages" / "a.html").write_text(PAGE.format("Alpha"), encoding="utf-8")
    (root / "dev" / "pages" / "b.html").write_text(PAGE.format("Beta"), encoding="utf-8")
    (root / "zh" / "html" / "src").mkdir(parents=True)
    (root / "zh" / "html" / "src" / "c.html").write_bytes(PAGE.format("新闻").encode("gbk"))
    truth = {"c": {"file": "html/src/c.html", "encoding": "gbk", "body": "新闻"}}
    (root / "zh" / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return root


def _hrefs(page: Path) -> list[str]:
    return re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8"))


def test_site_serves_each_page_as_an_article(corpus: Path, tmp_path: Path) -> None:
    site = throughput.build_site(corpus, tmp_path / "site")
    root = site.root
    assert len(site.pages) == 3 and len(site.articles) == 3
    sources = [
        corpus / "dev/pages/a.html",
        corpus / "dev/pages/b.html",
        corpus / "zh/html/src/c.html",
    ]
    for article, source in zip(site.articles, sources, strict=True):
        assert re.fullmatch(r"/news/\d{4}/\d\d/\d\d/article-\d+\.html", article.url_path)
        served = root / article.url_path.lstrip("/")
        assert served.read_bytes() == source.read_bytes(), "original bytes, untouched"
    headers = json.loads((root / "_headers.json").read_text(encoding="utf-8"))
    types = [headers[a.url_path]["Content-Type"] for a in site.articles]
    assert types == ["text/html", "text/html", "text/html; charset=gbk"]

    assert site.listings == ["/news/page/1.html"]
    assert _hrefs(root / "index.htm") == site.listings
    assert _hrefs(root / "news/page/1.html") == [a.url_path for a in site.articles]
    sitemap = (root / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>\{\{BASE\}\}([^<]+)</loc>", sitemap)
    assert locs == [a.url_path for a in site.articles]
    assert "Sitemap: {{BASE}}/sitemap.xml" in (root / "robots.txt").read_text(encoding="utf-8")


def test_multiplier_serves_each_page_under_n_urls(corpus: Path, tmp_path: Path) -> None:
    site = throughput.build_site(corpus, tmp_path / "site", multiplier=40)
    paths = [a.url_path for a in site.articles]
    assert len(paths) == 120 and len(set(paths)) == 120
    # Copy-major order: every distinct page once before the first repeat.
    assert [a.page for a in site.articles[:6]] == [0, 1, 2, 0, 1, 2]
    assert len(site.listings) == 3  # 50 links a page
    linked = [h for p in site.listings for h in _hrefs(site.root / p.lstrip("/"))]
    assert [h for h in linked if h.startswith("/news/20")] == paths
    assert [h for h in linked if "/page/" in h] == site.listings[1:], "each links the next"
    sitemap = (site.root / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<loc>") == 120
    last = site.root / paths[-1].lstrip("/")
    assert last.read_bytes() == (corpus / "zh/html/src/c.html").read_bytes()


def test_pages_limits_the_distinct_pages(corpus: Path, tmp_path: Path) -> None:
    site = throughput.build_site(corpus, tmp_path / "site", multiplier=2, pages=2)
    assert len(site.pages) == 2 and len(site.articles) == 4


def test_no_corpus_says_so_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert throughput.main([str(tmp_path / "missing")]) == 0
    out = capsys.readouterr().out
    assert "corpus not found" in out and str(tmp_path / "missing") in out


def test_progress_marks_take_the_first_sample_past_each_mark() -> None:
    samples = [
        throughput.Sample(i, 100 + i, 50, 3, {"served": s}, pss_mib=80 - i)
        for i, s in enumerate([0, 1, 5, 9, 10, 10])
    ]
    marks = {m["mark"]: m for m in throughput.progress_marks(samples, total=10)}
    assert (marks[0.1]["served"], marks[0.5]["served"], marks[1.0]["served"]) == (1, 5, 10)
    assert marks[0.5]["peak_mib"] == 102
    assert marks[1.0]["peak_mib"] == 105, "100%: the whole run's peak, shutdown included"
    assert (marks[0.5]["pss_mib"], marks[0.5]["peak_pss_mib"]) == (78, 80)


def test_line_counter_reads_only_whole_new_lines(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    counter = throughput.LineCounter(log, frozenset({b"GET /a"}))
    assert counter.update() == 0  # no file yet
    log.write_bytes(b"GET /a\nGET /b\nGET /")
    assert counter.update() == 1
    with log.open("ab") as f:
        f.write(b"a\n")
    assert counter.update() == 2
