"""Clean -> validate -> dedup in a real crawl: duplicates under other URLs are dropped and
counted, a page too short to be a record goes to the rejects file with its reason."""

from __future__ import annotations

from tests.conftest import FIXTURES, run_crawl, serve


def test_duplicates_and_rejects(tmp_path, record_validator):
    with serve(FIXTURES / "dupes") as url:
        result = run_crawl(tmp_path, "-a", f"start_urls={url}/")
    assert result.returncode == 0, result.log[-2000:]
    titles = sorted(r["title"] for r in result.records)
    assert titles == ["River park plan approved", "Tram line extension opens"]
    assert len({r["text_hash"] for r in result.records}) == 2
    stats = result.stats
    duplicates = sum(v for k, v in stats.items() if k.startswith("newscrawl/duplicates/"))
    assert duplicates == 3  # print copy, tracking-parameter URL, same text under another URL
    assert stats["newscrawl/duplicates/same_url"] >= 1
    (reject,) = result.rejects
    assert reject["reason"] == "text_too_short"
    assert reject["url"].endswith("/news/2022/05/mayor-statement-expected-later-today.html")
    assert stats["newscrawl/rejected/text_too_short"] == 1
    for record in result.records:
        assert not list(record_validator.iter_errors(record))
        assert "Copyright" not in record["text"]
        assert "Published 2022-05-02" not in record["text"]
        assert record["date_published"] == "2022-05-02T09:00:00"


def test_bad_sites_file_stops_the_crawl_with_a_clear_message(tmp_path):
    sites = tmp_path / "sites.toml"
    sites.write_text('[sites.x]\nstart_urls = ["http://127.0.0.1:9/"]\nbody_xpath = "//div[@"\n')
    result = run_crawl(tmp_path, "-a", f"sites={sites}")
    assert result.returncode != 0
    assert "[sites.x]: bad XPath" in result.log
