"""The hostile web, crawled for real: tests/faultserver.py serves 200 good articles among every
fault it knows, each under its own path. One crawl of the whole site backs one test per fault:
the fault is counted under its named reason and listed under it in the stats file, a page that
arrived but could not become a record is in the rejects file, and all the good pages of that
same crawl were delivered. Cases that need a site of their own (robots.txt trouble,
Crawl-delay, Retry-After, page budgets) crawl a small one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest

from tests.conftest import HOSTILE, CrawlResult, FaultSite, fault_server, run_crawl
from tests.faultserver import (
    BAD,
    CHAIN_START,
    ENCODED,
    GOOD_DESPITE,
    MALFORMED_LINKS,
    REFRESH_START,
    REFUSED_LINKS,
    good_path,
)

pytestmark = pytest.mark.crawl

ARTICLES = 200
CONTACT = "https://example.org/newscrawl-contact"


@dataclass
class Crawl:
    result: CrawlResult
    site: FaultSite
    accessed: list[dict[str, Any]]

    @property
    def stats(self) -> dict[str, Any]:
        return self.result.stats

    def listed(self, reason: str) -> list[str]:
        return self.stats["newscrawl/bad_urls"].get(reason, [])

    def all_listed(self) -> list[str]:
        return [url for urls in self.stats["newscrawl/bad_urls"].values() for url in urls]

    def records_by_path(self) -> dict[str, dict[str, Any]]:
        return {r["url"].removeprefix(self.site.url): r for r in self.result.records}

    def hits(self, path: str) -> list[dict[str, Any]]:
        return [e for e in self.accessed if e["path"] == path]


def assert_good_pages_delivered(crawl: Crawl, articles: int = ARTICLES) -> None:
    delivered = crawl.records_by_path()
    missing = [good_path(n) for n in range(1, articles + 1) if good_path(n) not in delivered]
    assert not missing, f"good articles not delivered: {missing[:5]} (of {len(missing)})"


def crawl_site(tmp_path, *server_args: str, args=(), settings=()) -> Crawl:  # type: ignore[no-untyped-def]
    with fault_server(tmp_path, *server_args) as site:
        start = args or ("-a", f"start_urls={site.url}/")
        result = run_crawl(tmp_path, *start, settings=[*HOSTILE, *settings])
        accessed = site.accessed()
    assert result.returncode == 0, result.log[-3000:]
    assert "Traceback" not in result.log, result.log[-3000:]
    return Crawl(result, site, accessed)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    """One crawl of the whole hostile site."""
    tmp = tmp_path_factory.mktemp("hostile")
    return crawl_site(tmp, settings=[f"NEWS_CONTACT_URL={CONTACT}"])


# --- the acceptance crawl -------------------------------------------------------------------------


def test_all_good_articles_delivered_and_the_crawl_ends_cleanly(hostile: Crawl):
    assert hostile.stats["finish_reason"] == "finished"
    assert_good_pages_delivered(hostile)
    assert len(hostile.result.records) == ARTICLES + len(GOOD_DESPITE)
    assert " ERROR: " not in hostile.result.log


def test_stats_file_lists_every_bad_url_under_its_reason(hostile: Crawl):
    unlisted = {
        path: reason
        for path, reason in BAD.items()
        if hostile.site.url + path not in hostile.listed(reason)
    }
    assert not unlisted, f"not listed under their reason: {unlisted}"


def test_no_request_leaves_the_site_or_http(hostile: Crawl):
    host = hostile.site.url.removeprefix("http://")
    assert {e["server"] for e in hostile.accessed} == {host}, "the other host was fetched"
    assert {e["host"] for e in hostile.accessed} == {host}
    # Every request Scrapy made reached this server: none went to another host or scheme.
    assert hostile.stats["downloader/request_count"] == len(hostile.accessed)
    assert not hostile.stats.get("offsite/filtered")


def test_user_agent_names_the_contact_url_given_on_the_command_line(hostile: Crawl):
    agents = {e["ua"] for e in hostile.accessed}
    assert len(agents) == 1
    (agent,) = agents
    assert agent.startswith("newscrawl/") and CONTACT in agent


def test_command_line_overrides_politeness_defaults(hostile: Crawl):
    """run_crawl passes -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False
    -s CONCURRENT_REQUESTS_PER_DOMAIN=32 over the defaults for portals; the memory guard stays
    on."""
    log = hostile.result.log
    overridden = log[log.index("Overridden settings:") :].split("}", 1)[0]
    for setting in ("'DOWNLOAD_DELAY': '0'", "'AUTOTHROTTLE_ENABLED': 'False'"):
        assert setting in overridden
    assert "'CONCURRENT_REQUESTS_PER_DOMAIN': '32'" in overridden
    assert "'MEMUSAGE_LIMIT_MB': 2048" in overridden
    extensions = log[log.index("Enabled extensions:") :].split("]", 1)[0]
    assert "scrapy.extensions.memusage.MemoryUsage" in extensions
    assert "scrapy.extensions.throttle.AutoThrottle" not in extensions


# --- one test per fault ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(BAD), ids=lambda p: p.rsplit("/", 1)[-1])
def test_fault_is_counted_listed_and_rejected_when_fetched(hostile: Crawl, path: str):
    reason = BAD[path]
    url = hostile.site.url + path
    assert hostile.stats.get(f"newscrawl/{reason}", 0) >= 1, f"no newscrawl/{reason} counter"
    assert url in hostile.listed(reason)
    rejects = [r for r in hostile.result.rejects if r["url"] == url]
    if reason.startswith("rejected/"):
        assert [r["reason"] for r in rejects] == [reason.removeprefix("rejected/")]
    else:
        assert not rejects, "a page that was not fetched whole is no reject"
    assert path not in hostile.records_by_path()
    assert_good_pages_delivered(hostile)


@pytest.mark.parametrize("path", sorted(GOOD_DESPITE), ids=lambda p: p.rsplit("/", 1)[-1])
def test_troubled_page_is_still_delivered(hostile: Crawl, path: str):
    record = hostile.records_by_path().get(path)
    assert record is not None, f"{path} was not delivered"
    assert GOOD_DESPITE[path] in record["text"] or GOOD_DESPITE[path] in record["title"]
    assert "\ufffd" not in record["text"]
    assert not [url for url in hostile.all_listed() if url.endswith(path)]
    assert_good_pages_delivered(hostile)


@pytest.mark.parametrize("path", sorted(ENCODED), ids=lambda p: p.rsplit("/", 1)[-1])
def test_encodings_decode_without_mojibake_and_doubt_is_flagged(hostile: Crawl, path: str):
    phrase, warning = ENCODED[path]
    record = hostile.records_by_path()[path]
    assert phrase in record["text"]
    assert not re.search("[\ufffd\u00c2\u00c3][\u0080-\u00bf]?", record["text"]), "mojibake"
    if warning:
        assert warning in record["warnings"]
        assert hostile.stats[f"newscrawl/encoding/{warning}"] >= 1
    else:
        assert not {w for w in record["warnings"] if w.startswith(("encoding", "decode"))}


def test_5xx_that_recover_are_retried(hostile: Crawl):
    for status in (500, 502, 503):
        assert len(hostile.hits(f"/news/2024/06/02/flaky-{status}.html")) == 2
        assert any(k.startswith(f"retry/reason_count/{status}") for k in hostile.stats)


def test_xml_entities_are_never_resolved(hostile: Crawl):
    paths = [e["path"] for e in hostile.accessed]
    assert "/xxe-probe" not in paths
    assert not [p for p in paths if "lol" in p or p.startswith("/news/&")]


def test_sitemaps_gzipped_malformed_and_huge_are_read_within_bounds(hostile: Crawl):
    by_path = hostile.records_by_path()
    assert by_path["/news/2024/07/02/only-in-gzipped-sitemap.html"]["discovered_via"] == "sitemap"
    assert by_path["/news/2024/07/01/only-in-malformed-sitemap.html"]["discovered_via"] == "sitemap"
    # The sitemap loop was not followed round: each sitemap fetched once.
    assert len(hostile.hits("/sitemaps/index.xml")) == 1
    assert len(hostile.hits("/sitemaps/loop.xml")) == 1


def test_listed_pages_wait_in_the_frontier_and_are_all_fetched(hostile: Crawl):
    """With 20 requests scheduled at most (HOSTILE), the huge sitemap's 1000 entries waited as
    bare entries; the pages the sitemaps list were still all fetched, each once."""
    assert hostile.stats["newscrawl/frontier/waiting_max"] > 500
    assert hostile.hits("/news/2024/07/02/only-in-gzipped-sitemap.html")
    listed = {good_path(n) for n in range(1, min(ARTICLES, 20) + 1)}
    assert all(len(hostile.hits(path)) == 1 for path in listed)


def test_links_with_other_schemes_or_hosts_are_never_fetched(hostile: Crawl):
    for link in REFUSED_LINKS:
        scheme = link.split(":", 1)[0]
        assert hostile.stats[f"newscrawl/links_refused/{scheme}"] >= 1
    assert hostile.stats["newscrawl/links_offsite"] >= 1
    assert not [e for e in hostile.accessed if e["server"] != hostile.site.url[7:]]


def test_a_link_urllib_cannot_parse_costs_only_itself(hostile: Crawl):
    """The home page carries two (MALFORMED_LINKS): its other links are still followed."""
    assert hostile.hits(CHAIN_START), "a link next to the malformed ones was followed"
    assert hostile.stats["newscrawl/links_unparsable"] == len(MALFORMED_LINKS)


def test_redirects_are_followed_only_on_site(hostile: Crawl):
    assert len(hostile.hits("/go/chain/1")) == 1
    assert len(hostile.hits("/news/2024/06/08/loop-a.html")) == 1
    assert len(hostile.hits("/news/2024/06/08/loop-b.html")) == 1
    assert len([e for e in hostile.accessed if e["path"].startswith("/go/endless/")]) == 21


def test_a_meta_refresh_is_followed_and_only_its_target_is_a_record(hostile: Crawl):
    assert len(hostile.hits(REFRESH_START)) == 1
    target = "/news/2024/06/08/end-of-a-meta-refresh.html"
    assert len(hostile.hits(target)) == 1
    assert REFRESH_START not in hostile.records_by_path()
    assert target in hostile.records_by_path()


def test_traps_are_bounded_by_link_depth_and_session_ids_removed(hostile: Crawl):
    depth = 3  # NEWS_LINK_DEPTH
    calendar = [e for e in hostile.accessed if e["path"].startswith("/events/")]
    archive = [e for e in hostile.accessed if e["path"].startswith("/archive/")]
    assert 1 < len(calendar) <= 2 * depth + 1
    assert 1 < len(archive) <= depth + 1
    assert hostile.stats["newscrawl/links_beyond_depth"] >= 1
    section = [e["path"] for e in hostile.accessed if e["path"].startswith("/section/")]
    assert section == ["/section/world/"]  # ?sid= and ;jsessionid= variants collapse into one
    assert hostile.stats["newscrawl/links_session_id_removed"] >= 1


def test_links_of_rejected_article_pages_are_not_followed(hostile: Crawl):
    """A page that should have been an article and is not (a soft 404 suggesting a story) is
    no hub: its links are not fetched, only counted."""
    paths = {e["path"] for e in hostile.accessed}
    assert "/news/2024/06/04/only-linked-from-a-soft-404.html" not in paths
    assert hostile.stats["newscrawl/links_of_rejected_pages"] >= 2


def test_robots_disallow_is_obeyed(hostile: Crawl):
    assert not [e for e in hostile.accessed if e["path"].startswith("/private/")]
    assert hostile.stats["robotstxt/forbidden"] == 1


# --- cases with a site of their own ---------------------------------------------------------------


def test_retry_after_is_honoured(tmp_path):
    """A crawl of its own, with the project's DOWNLOAD_TIMEOUT: under the hostile crawl's 1 s a
    429 answered late on a loaded host timed out, and the page was retried at once for the
    timeout, never seeing its Retry-After."""
    limited, for_an_hour = (
        "/news/2024/06/03/rate-limited.html",
        "/news/2024/06/03/rate-limited-for-an-hour.html",
    )
    with fault_server(tmp_path, "--site", "plain", "--articles", "1") as site:
        pages = ",".join(site.url + path for path in (limited, for_an_hour))
        result = run_crawl(
            tmp_path, "-a", f"start_urls={pages}", settings=["NEWS_PROBE_COMMON_PATHS=False"]
        )
        crawl = Crawl(result, site, site.accessed())
    assert result.returncode == 0, result.log[-3000:]
    first, second = crawl.hits(limited)
    assert second["t"] - first["t"] >= 0.95, "retried before Retry-After: 1 had passed"
    assert crawl.stats["newscrawl/retry_after/waited"] == 1
    assert limited in crawl.records_by_path()
    # An hour is not worth waiting for: given up at once, not retried.
    assert len(crawl.hits(for_an_hour)) == 1
    assert crawl.stats["newscrawl/retry_after/too_long"] == 1


def test_robots_txt_that_times_out_allows_the_crawl(tmp_path):
    crawl = crawl_site(
        tmp_path, "--site", "plain", "--articles", "5", "--robots", "slow",
        settings=["RETRY_TIMES=1"],
    )  # fmt: skip
    assert_good_pages_delivered(crawl, 5)
    assert crawl.site.url + "/robots.txt" in crawl.listed("failed/timeout")
    assert any(k.startswith("robotstxt/exception_count/") for k in crawl.stats)
    # One fetch and its one retry, shared by the rules and the spider's Sitemap: lines.
    assert len(crawl.hits("/robots.txt")) == 2
    assert crawl.stats["newscrawl/robots/shared"] == 1
    assert crawl.result.log.count("Gave up retrying") == 1


def test_robots_txt_answered_with_5xx_allows_the_crawl(tmp_path):
    crawl = crawl_site(tmp_path, "--site", "plain", "--articles", "5", "--robots", "500")
    assert_good_pages_delivered(crawl, 5)
    assert crawl.stats["robotstxt/response_status_count/500"] == 1
    assert crawl.listed("discovery/robots_error") == [crawl.site.url + "/robots.txt"]
    assert len(crawl.hits("/robots.txt")) == 1 + 2  # one fetch, RETRY_TIMES retries


def test_crawl_delay_is_honoured(tmp_path):
    crawl = crawl_site(
        tmp_path, "--site", "plain", "--articles", "3", "--robots", "crawl-delay=0.4",
        settings=["NEWS_PROBE_COMMON_PATHS=False"],
    )  # fmt: skip
    assert_good_pages_delivered(crawl, 3)
    assert crawl.stats["newscrawl/robots/crawl_delay_hosts"] == 1
    assert len(crawl.hits("/robots.txt")) == 1
    times = sorted(e["t"] for e in crawl.accessed)
    # The first request is robots.txt itself, before the delay is known.
    gaps = [b - a for a, b in pairwise(times[1:])]
    assert len(gaps) >= 5
    assert min(gaps) >= 0.35, gaps


def test_page_budget_and_url_patterns_bound_traps(tmp_path):
    sites = tmp_path / "sites.toml"
    with fault_server(tmp_path, "--site", "traps", "--articles", "5") as site:
        sites.write_text(
            f'[sites.traps]\nstart_urls = ["{site.url}/"]\nmax_pages = 20\n'
            "deny_patterns = ['/events/']\n",
            "utf-8",
        )
        result = run_crawl(
            tmp_path, "-a", f"sites={sites}", settings=[*HOSTILE, "NEWS_LINK_DEPTH=1000"]
        )
        accessed = site.accessed()
    crawl = Crawl(result, site, accessed)
    assert result.returncode == 0, result.log[-3000:]
    assert_good_pages_delivered(crawl, 5)
    # Every fetch counts against max_pages, robots.txt (fetched once), sitemaps and feeds too.
    fetched = [e["path"] for e in accessed]
    assert len(fetched) == 20, fetched
    assert not [p for p in fetched if p.startswith("/events/")]
    assert crawl.stats["newscrawl/failed/site_budget"] >= 1
    assert crawl.listed("failed/site_budget")
    assert json.dumps(crawl.stats["newscrawl/bad_urls"])  # plain JSON


def test_every_article_page_fetched_is_written_rejected_or_named_and_none_twice(hostile: Crawl):
    """Nothing lost, nothing twice: each article page the crawl fetched is a record, a reject
    or a URL listed under its failure's reason; no record is written twice."""
    ids = [r["id"] for r in hostile.result.records]
    assert len(ids) == len(set(ids)), "a record written twice"
    named = {r["url"] for r in hostile.result.records} | set(hostile.all_listed())
    named |= {r["url"] for r in hostile.result.rejects}
    # A redirect's hop is named by the URL its chain started from (loop-b by loop-a).
    hops = {"/news/2024/06/08/loop-b.html"}
    fetched = {
        hostile.site.url + e["path"]
        for e in hostile.accessed
        if e["path"].startswith("/news/") and e["path"] not in hops
    }
    assert not fetched - named, (
        f"fetched, then neither written, rejected nor named: {fetched - named}"
    )
