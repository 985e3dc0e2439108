"""A real crawl of the seed-style demo portal (served from a subprocess on 127.0.0.1):
one record per article, the article's paragraphs and nothing else, right metadata."""

from __future__ import annotations

import pytest
import trafilatura

from crawler.extract.encoding import decode_html
from tests.conftest import PORTAL, PORTAL_TRUTH, CrawlResult, run_crawl, serve

ARTICLES: dict = PORTAL_TRUTH["articles"]


def test_crawl_finishes_cleanly(portal_crawl: CrawlResult):
    assert portal_crawl.returncode == 0, portal_crawl.log[-3000:]
    assert "Traceback" not in portal_crawl.log
    assert portal_crawl.stats["finish_reason"] == "finished"
    assert portal_crawl.rejects == []


def test_one_record_per_article_and_none_for_listings(portal_crawl: CrawlResult):
    paths = [r["url"].split("/", 3)[3] for r in portal_crawl.records]
    assert sorted("/" + p for p in paths) == sorted(ARTICLES)
    assert (
        portal_crawl.stats["newscrawl/non_article/listing_url"]
        >= len(PORTAL_TRUTH["non_articles"]) - 1
    )  # the home page may only be linked, never a seed


def test_records_are_valid_against_the_schema(portal_crawl: CrawlResult, record_validator):
    for record in portal_crawl.records:
        errors = [e.message for e in record_validator.iter_errors(record)]
        assert not errors, (record["url"], errors)


@pytest.mark.parametrize("path", sorted(ARTICLES))
def test_paragraphs_exactly(portal_crawl: CrawlResult, path: str):
    record = portal_crawl.by_path()[path]
    assert record["text"].split("\n") == ARTICLES[path]["paragraphs"]


def test_no_furniture_or_captions_anywhere(portal_crawl: CrawlResult):
    for record in portal_crawl.records:
        for junk in PORTAL_TRUTH["furniture"] + PORTAL_TRUTH["captions"]:
            assert junk not in record["text"], (record["url"], junk)


@pytest.mark.parametrize("path", sorted(ARTICLES))
def test_title_date_language_authors(portal_crawl: CrawlResult, path: str):
    record = portal_crawl.by_path()[path]
    truth = ARTICLES[path]
    assert record["title"] == truth["title"]
    assert record["date_published"] == truth["date"] + truth.get("offset", "")
    assert record["language"] == truth["language"]
    assert record["authors"] == truth["authors"]
    assert record["warnings"] == []


def test_gbk_page_with_meta_charset_only(portal_crawl: CrawlResult):
    gbk = next(p for p, t in ARTICLES.items() if t["template"] == "gbk")
    record = portal_crawl.by_path()[gbk]
    assert record["encoding"] == "gb18030"
    assert "\ufffd" not in record["text"]
    # Characters outside GB2312 survive.
    assert "喆" in record["text"]


def test_discovered_via_is_recorded(portal_crawl: CrawlResult):
    assert {r["discovered_via"] for r in portal_crawl.records} <= {
        "seed",
        "sitemap",
        "feed",
        "link",
    }


@pytest.mark.parametrize("obey", [True, False], ids=["robots-obeyed", "robots-not-obeyed"])
def test_sitemaps_and_feeds_alone_find_every_article(tmp_path, obey: bool):
    """With link following off, robots.txt -> sitemap index -> sitemaps, and the feed linked
    from the home page, still deliver every article; robots.txt is fetched once, whether its
    rules are obeyed (the fetch for them also serves its Sitemap: lines) or not."""
    access = tmp_path / "access.log"
    settings = ["NEWS_LINK_DEPTH=0", f"ROBOTSTXT_OBEY={obey}"]
    with serve(PORTAL, access) as url:
        result = run_crawl(tmp_path, "-a", f"start_urls={url}/", settings=settings)
    assert result.returncode == 0
    robots = [line for line in access.read_text("utf-8").splitlines() if "/robots.txt" in line]
    assert len(robots) == 1, robots
    assert result.stats.get("newscrawl/robots/shared", 0) == int(obey)
    assert sorted(result.by_path()) == sorted(ARTICLES)
    assert {r["discovered_via"] for r in result.records} <= {"sitemap", "feed"}
    assert result.stats["newscrawl/discovery/sitemaps"] == 3  # index, news and pages sitemaps
    assert result.stats["newscrawl/discovery/feeds"] == 1
    dated = {r["url"]: r for r in result.records if r["date_published_source"] == "jsonld"}
    assert len(dated) == 1


def test_robots_disallow_is_obeyed(portal_crawl: CrawlResult):
    assert portal_crawl.accessed, "the server saw no requests"
    assert not [line for line in portal_crawl.accessed if "/private/" in line]
    assert portal_crawl.stats.get("robotstxt/forbidden", 0) >= 1


def test_stats_count_pages_articles_and_skips(portal_crawl: CrawlResult):
    stats = portal_crawl.stats
    assert stats["newscrawl/articles_extracted"] == len(ARTICLES)
    assert stats["item_scraped_count"] == len(ARTICLES)
    assert stats["newscrawl/pages_fetched"] >= len(ARTICLES) + len(PORTAL_TRUTH["non_articles"])
    assert stats["httperror/response_ignored_status_count/404"] >= 1  # the broken link


def test_fixture_defeats_plain_trafilatura():
    """The table-layout page is hard on purpose: plain trafilatura keeps its furniture."""
    table = next(p for p, t in ARTICLES.items() if t["template"] == "table")
    html = decode_html((PORTAL / table.lstrip("/")).read_bytes()).text
    plain = trafilatura.extract(html) or ""
    leaked = [junk for junk in PORTAL_TRUTH["furniture"] if junk in plain]
    assert leaked, "the table page no longer tests anything: plain trafilatura gets it right"


def test_max_age_keeps_only_recent_articles(tmp_path):
    """NEWS_MAX_AGE_DAYS: older articles are skipped before fetching where the sitemap dates
    them, and after extraction otherwise; counted, not rejected."""
    from datetime import UTC, datetime

    cut = datetime(2022, 4, 1, tzinfo=UTC)
    days = (datetime.now(UTC) - cut).total_seconds() / 86400
    with serve(PORTAL) as url:
        result = run_crawl(
            tmp_path, "-a", f"start_urls={url}/", settings=[f"NEWS_MAX_AGE_DAYS={days}"]
        )
    assert result.returncode == 0
    recent = sorted(p for p, t in ARTICLES.items() if t["date"] >= "2022-04-01")
    assert sorted(result.by_path()) == recent
    assert result.stats["newscrawl/articles/too_old"] >= len(ARTICLES) - len(recent)
    assert result.rejects == []
