"""`scrapy extract` on stored pages: one valid record per article file, in input order, and a
clear stderr line (no crash) for files that are not articles or cannot be read."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

from tests.conftest import PORTAL, PORTAL_TRUTH, REPO, run_crawl, serve
from tests.faultserver import RECORD_TROUBLES, record_trouble_page

ARTICLES = PORTAL_TRUTH["articles"]


def extract(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "extract", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_folder_of_stored_pages(tmp_path: Path, record_validator):
    out = tmp_path / "records.jsonl"
    result = extract(str(PORTAL), "-o", str(out), "--articles-only")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    by_name = {r["url"].rsplit("/", 1)[-1]: r for r in records}
    assert sorted(by_name) == sorted(p.rsplit("/", 1)[-1] for p in ARTICLES)
    for record in records:
        assert not list(record_validator.iter_errors(record))
        assert record["url"].startswith("file://")
        assert record["discovered_via"] == "file"
    # Input order: the folder's files sorted by path.
    urls = [r["url"] for r in records]
    assert urls == sorted(urls)
    for path, truth in ARTICLES.items():
        assert by_name[path.rsplit("/", 1)[-1]]["text"].split("\n") == truth["paragraphs"]
    # Listing pages produce a line on stderr each, not a record.
    assert result.stderr.count("not an article") >= len(PORTAL_TRUTH["non_articles"])


def test_url_option_gzip_and_stdout(tmp_path: Path):
    page = next(p for p, t in ARTICLES.items() if t["template"] == "gbk")
    stored = tmp_path / "page.htm.gz"
    stored.write_bytes(gzip.compress((PORTAL / page.lstrip("/")).read_bytes()))
    url = "http://tech.example.org.cn" + page
    result = extract(str(stored), "--url", url)
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["url"] == url
    assert record["site"] == "tech.example.org.cn"
    assert record["encoding"] == "gb18030"
    assert record["title"] == ARTICLES[page]["title"]


def test_unreadable_and_empty_files_do_not_crash(tmp_path: Path):
    good = next(p for p, t in ARTICLES.items() if t["template"] == "english")
    shutil.copy(PORTAL / good.lstrip("/"), tmp_path / "b-good.html")
    (tmp_path / "a-broken.html.gz").write_bytes(b"\x1f\x8bnot really gzip")
    (tmp_path / "c-empty.html").write_bytes(b"")
    result = extract(str(tmp_path))
    assert "Traceback" not in result.stderr
    assert result.returncode == 1  # a file could not be read
    assert len(result.stdout.splitlines()) == 1
    assert "a-broken.html.gz: cannot read" in result.stderr
    assert "c-empty.html: not an article" in result.stderr


def test_url_needs_one_file():
    result = extract(str(PORTAL), "--url", "http://example.org/")
    assert result.returncode == 2
    assert "--url needs exactly one input file" in result.stderr


def test_it_extracts_what_it_is_given(tmp_path: Path):
    """Without --articles-only a page the crawl would skip still yields its record, marked."""
    out = tmp_path / "records.jsonl"
    result = extract(str(PORTAL), "-o", str(out))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    marked = [r for r in records if any(w.startswith("not_article:") for w in r["warnings"])]
    articles = {p.rsplit("/", 1)[-1] for p in ARTICLES}
    assert marked, result.stderr
    assert not {r["url"].rsplit("/", 1)[-1] for r in marked} & articles
    assert {r["url"].rsplit("/", 1)[-1] for r in records} >= articles


def test_files_that_cannot_be_read_cost_only_themselves(tmp_path: Path):
    folder = tmp_path / "pages"
    folder.mkdir()
    good = next(iter(ARTICLES))
    shutil.copy(PORTAL / good.lstrip("/"), folder / "b-good.htm")
    os.mkfifo(folder / "a-fifo.html")  # would block a plain read for ever
    # 600 KB of gzip that inflates past the cap given below.
    (folder / "c-bomb.html.gz").write_bytes(gzip.compress(b"<p>" + b"a" * 5_000_000))
    (folder / "d-broken.html.gz").write_bytes(b"\x1f\x8b not really gzip")
    out = tmp_path / "records.jsonl"
    result = extract(str(folder), "-o", str(out), "-s", "DOWNLOAD_MAXSIZE=1000000")
    assert result.returncode == 1
    assert len(out.read_text("utf-8").splitlines()) == 1
    assert "a-fifo.html: cannot read: not a regular file" in result.stderr
    assert "c-bomb.html.gz: cannot read: larger than DOWNLOAD_MAXSIZE" in result.stderr
    assert "d-broken.html.gz: cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_crawl_and_scrapy_extract_give_the_same_record(tmp_path: Path):
    # One page-to-record path: only what the crawl knows of a page and a stored file cannot
    # (when and how it was fetched) may differ. The pages are stored as served (the server
    # writes its own address into them).
    fetch_only = {"fetched_at", "discovered_via", "http_status"}
    one_per_template = {truth["template"]: path for path, truth in ARTICLES.items()}
    with serve(PORTAL) as url:
        crawl = run_crawl(tmp_path, "-a", f"start_urls={url}/")
        for path in one_per_template.values():
            with urlopen(url + path, timeout=30) as response:
                (tmp_path / path.rsplit("/", 1)[-1]).write_bytes(response.read())
    assert crawl.returncode == 0, crawl.log[-2000:]
    crawled = crawl.by_path()
    for path in one_per_template.values():
        record = crawled[path]
        result = extract(str(tmp_path / path.rsplit("/", 1)[-1]), "--url", record["url"])
        assert result.returncode == 0, result.stderr
        (extracted,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert {k: v for k, v in extracted.items() if k not in fetch_only} == {
            k: v for k, v in record.items() if k not in fetch_only
        }, path
        assert extracted["discovered_via"] == "file" and record["http_status"] == 200


def test_pages_with_unwritable_or_unbounded_metadata_cost_nothing(tmp_path: Path):
    """A JSON-LD author holding a lone surrogate ended the batch with a traceback, losing the
    good files after it; so did JSON-LD nested 200,000 deep and a 5,000-digit number."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for n, path in enumerate(RECORD_TROUBLES):
        (folder / f"{n}-{path.rsplit('/', 1)[-1]}").write_bytes(record_trouble_page(path))
    shutil.copy(PORTAL / next(iter(ARTICLES)).lstrip("/"), folder / "9-good.html")
    out = tmp_path / "records.jsonl"
    result = extract(str(folder), "-o", str(out))
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(records) == len(RECORD_TROUBLES) + 1, result.stderr[-3000:]
    assert any(r["authors"] == ["Ann \ufffd Example"] for r in records)
