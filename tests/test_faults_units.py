"""The pieces behind the hostile-web handling, one by one: failure reasons, what a body really
is, session IDs, entity declarations, the sites file's page budget, and the middlewares and
stats file built directly from plain values."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.test import get_crawler

from crawler.crawl import discovery, faults
from crawler.crawl.middlewares.budget import PageBudgetMiddleware
from crawler.crawl.middlewares.metarefresh import LazyMetaRefreshMiddleware, may_refresh
from crawler.crawl.middlewares.redirects import RedirectGuardMiddleware
from crawler.extract import structure, urls
from crawler.runfiles.runstats import StatsFile
from crawler.sites import SitesFileError, load_sites, site_for_urls
from tests.faultserver import CHALLENGE, SOFT_404, deeply_nested, good_article, zip_body

URL = "http://news.example.com/a/1.html"


def ignored_by_compression() -> IgnoreRequest:
    try:
        try:
            raise _DecompressionMaxSizeExceeded(2_000_000, 1_000_000)
        except ValueError as exc:
            raise IgnoreRequest("Ignored response: too big during decompression") from exc
    except IgnoreRequest as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (DownloadTimeoutError("took longer"), "timeout"),
        (ResponseDataLossError(), "truncated"),
        (DownloadCancelledError("larger than download max size"), "too_large"),
        (HttpError(Response(URL, status=503), "not handled"), "http_503"),
        (IgnoreRequest("Forbidden by robots.txt"), "robots_txt"),
        (ignored_by_compression(), "decompression_bomb"),
        (faults.PageFailed("redirect_loop", "a -> b -> a"), "redirect_loop"),
        (RuntimeError("?"), "download_error"),
    ],
)
def test_failure_reasons(exc, reason):
    assert faults.failure_reason(exc) == reason


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert faults.retry_after_seconds(b"120") == 120
    assert faults.retry_after_seconds("Wed, 01 May 2024 12:00:30 GMT", now) == 30
    assert faults.retry_after_seconds("Wed, 01 May 2024 11:00:00 GMT", now) == 0
    assert faults.retry_after_seconds(b"soon") is None
    assert faults.retry_after_seconds(None) is None


def test_binary_bodies_are_recognised_and_text_is_not():
    assert faults.binary_kind(b"%PDF-1.7\n...") == "pdf"
    assert faults.binary_kind(zip_body()) == "zip"
    assert faults.binary_kind(b"\x89PNG\r\n\x1a\n") == "png"
    assert faults.binary_kind(b"<html>\x00</html>") == "binary"
    assert faults.binary_kind("<html>é</html>".encode("utf-16")) is None  # BOM: text
    assert faults.binary_kind(good_article(1)) is None


def test_challenge_pages_are_recognised_and_articles_are_not():
    assert faults.is_challenge(HtmlResponse(URL, status=403, body=CHALLENGE))
    headers = {"cf-mitigated": "challenge"}
    assert faults.is_challenge(HtmlResponse(URL, status=403, headers=headers, body=b"<p>"))
    assert not faults.is_challenge(HtmlResponse(URL, body=SOFT_404))
    assert not faults.is_challenge(HtmlResponse(URL, body=good_article(1)))


def test_nesting_beyond_the_parser_limit():
    assert structure.too_deep(deeply_nested().decode())
    assert not structure.too_deep(good_article(1).decode())
    # Unclosed paragraphs and list items close themselves: no depth.
    assert not structure.too_deep("<ul>" + "<li><p>item" * 1000 + "</ul>")


def test_session_ids_are_removed_from_urls():
    strip = urls.strip_session_ids
    assert strip("http://x.cn/list/?sid=9f8e&page=2") == "http://x.cn/list/?page=2"
    assert strip("http://x.cn/list/;jsessionid=AB12?PHPSESSID=1") == "http://x.cn/list/"
    assert strip("http://x.cn/a.html?id=3") == "http://x.cn/a.html?id=3"


def test_xml_entity_declarations_are_spotted():
    assert discovery.declares_entities(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    assert discovery.declares_entities(b'<!DOCTYPE x [\n<!ENTITY e SYSTEM "file:///etc">]><x/>')
    assert not discovery.declares_entities(b'<!DOCTYPE rss PUBLIC "-//N//DTD RSS 0.91//EN" "u">')
    assert not discovery.declares_entities(b"<urlset><url><loc>http://x/</loc></url></urlset>")


def test_links_with_other_schemes_are_counted_by_scheme():
    html = (
        '<a href="javascript:void(0)">x</a> <a href=mailto:a@b.c>m</a> <a href="/p:q">r</a>'
        '<a href="https://x.cn/">h</a> <a href="chrome-extension://x">c</a>'
    )
    assert urls.refused_link_schemes(html) == ["javascript", "mailto", "other"]


def test_max_pages_in_the_sites_file(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text('[sites.a]\nstart_urls = ["http://a.cn/"]\nmax_pages = 500\n', "utf-8")
    assert load_sites(path)["a"].max_pages == 500
    for bad in ("0", "true", '"many"'):
        path.write_text(f'[sites.a]\nstart_urls = ["http://a.cn/"]\nmax_pages = {bad}\n')
        with pytest.raises(SitesFileError, match=r"\[sites.a\]: max_pages"):
            load_sites(path)


def page(url: str, **meta) -> Request:  # type: ignore[no-untyped-def]
    return Request(url, meta={"site": "a", "page": True, **meta})


def test_page_budget_counts_every_fetch_of_a_site_but_not_retries():
    """Sitemaps and feeds count too: a sitemap-index trap went through 2,518 sitemaps against
    max_pages = 5 when only pages counted."""
    budget = PageBudgetMiddleware(default_budget=100, site_budgets={"a": 3})
    budget.process_request(page("http://a.cn/1"))
    budget.process_request(page("http://a.cn/1", retry_times=1))
    budget.process_request(Request("http://a.cn/sitemap.xml", meta={"site": "a"}))
    budget.process_request(Request("http://a.cn/robots.txt"))  # Scrapy's own: no site
    budget.process_request(page("http://a.cn/2"))
    with pytest.raises(faults.PageFailed) as refused:
        budget.process_request(Request("http://a.cn/sitemap-2.xml", meta={"site": "a"}))
    assert refused.value.reason == "site_budget"
    PageBudgetMiddleware(0, {}).process_request(page("http://a.cn/4"))  # 0: no budget


def test_redirect_guard():
    site = site_for_urls(["http://a.cn/"], name="a")
    guard = RedirectGuardMiddleware(20, {"a": site}.get)

    def redirect(location: str, request: Request) -> str | None:
        response = Response(request.url, status=302, headers={"Location": location})
        try:
            guard.process_response(request, response)
        except faults.PageFailed as exc:
            return exc.reason
        return None

    assert redirect("/next", page("http://a.cn/1")) is None
    assert redirect("http://www.a.cn/next", page("http://a.cn/1")) is None  # a subdomain
    assert redirect("http://127.0.0.2/x", page("http://a.cn/1")) == "offsite_redirect"
    assert redirect("file:///etc/passwd", page("http://a.cn/1")) == "redirect_scheme"
    assert redirect("http://[broken/x", page("http://a.cn/1")) == "redirect_invalid"
    hop = page("http://a.cn/2", redirect_urls=["http://a.cn/1"], redirect_times=1)
    assert redirect("http://a.cn/1", hop) == "redirect_loop"
    far = page("http://a.cn/21", redirect_urls=["http://a.cn/1"], redirect_times=20)
    assert redirect("/22", far) == "too_many_redirects"


def test_stats_file_lists_urls_per_reason_bounded(tmp_path):
    stats = SimpleNamespace(get_stats=lambda: {"newscrawl/failed/timeout": 3})
    ext = StatsFile(str(tmp_path / "stats.json"), stats, max_urls=2)  # type: ignore[arg-type]
    for n in range(3):
        ext.page_failed(f"http://a.cn/{n}", "failed/timeout")
    ext.page_rejected("http://a.cn/x", "text_too_short")
    assert ext.bad_urls == {
        "failed/timeout": ["http://a.cn/0", "http://a.cn/1"],
        "rejected/text_too_short": ["http://a.cn/x"],
    }


def test_only_a_page_that_may_hold_a_meta_refresh_is_decoded_to_look():
    refresh = '<meta http-equiv="Refresh" content="0; url=/next.html">'
    page = f"<html><head><title>移動しました</title>{refresh}</head></html>"
    assert may_refresh(page.encode("utf-8"))
    assert may_refresh(page.encode("shift_jis"))
    assert may_refresh(page.encode("utf-16"))  # its bytes hold no ASCII "refresh"
    assert not may_refresh(b"<html><head><title>A story</title></head><body>" + b"x" * 99)
    # Beyond the 4096 characters Scrapy reads, even of four-byte characters: not a refresh.
    assert not may_refresh(("𠮷" * 4096 + refresh).encode("utf-8"))


def test_a_page_that_may_refresh_has_only_its_head_decoded():
    crawler = get_crawler(settings_dict={"METAREFRESH_IGNORE_TAGS": []})
    middleware = LazyMetaRefreshMiddleware.from_crawler(crawler)
    request = Request("https://a.cn/story.html")
    body = "<html><head><script>refresh()</script></head><body>" + "<p>故事</p>" * 50_000
    page = HtmlResponse(request.url, body=body.encode("utf-8"), request=request)
    assert middleware.process_response(request, page) is page  # not a refresh: passed on
    assert page._cached_ubody is None  # the 550 kB of text were not decoded and kept
    refresh = '<meta http-equiv="refresh" content="0; url=/next.html">'
    moved = page.replace(body=f"<html><head>{refresh}</head>{body}".encode())
    followed = middleware.process_response(request, moved)
    assert isinstance(followed, Request)
    assert followed.url == "https://a.cn/next.html"
