"""Discovery parsers on hand-made robots/sitemap/feed files, and the article verdict."""

import pytest

from crawler.crawl.discovery import Sitemap, parse_feed, parse_sitemap, robots_sitemaps
from crawler.extract.urls import absolute_http_url
from crawler.extract.verdict import PageSignals, article_verdict, url_kind
from crawler.sites import site_for_urls

BASE = "http://news.example.cn/"


def test_robots_sitemap_lines():
    robots = "User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\nsitemap: http://news.example.cn/s2.xml\n"
    assert robots_sitemaps(robots, BASE) == [
        "http://news.example.cn/sitemap.xml",
        "http://news.example.cn/s2.xml",
    ]


def test_sitemap_index_and_google_news_urlset():
    index = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>http://news.example.cn/sitemap-news.xml</loc></sitemap>
  <sitemap><loc>/sitemap-pages.xml</loc><lastmod>2022-03-01</lastmod></sitemap>
</sitemapindex>"""
    parsed = parse_sitemap(index, BASE)
    assert parsed is not None and parsed.is_index
    assert [e.url for e in parsed.entries] == [
        "http://news.example.cn/sitemap-news.xml",
        "http://news.example.cn/sitemap-pages.xml",
    ]
    news = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>http://news.example.cn/a/content_1.htm</loc><lastmod>2022-03-02</lastmod>
        <news:news><news:publication><news:name>X</news:name><news:language>zh</news:language>
        </news:publication><news:publication_date>2022-03-01T10:22:33+08:00</news:publication_date>
        <news:title>T</news:title></news:news></url>
      <url><loc>http://news.example.cn/b.htm</loc><lastmod>2022-03-03</lastmod></url>
    </urlset>"""
    parsed = parse_sitemap(news, BASE)
    assert parsed is not None and not parsed.is_index
    assert [(e.url, e.date) for e in parsed.entries] == [
        ("http://news.example.cn/a/content_1.htm", "2022-03-01T10:22:33+08:00"),
        ("http://news.example.cn/b.htm", "2022-03-03"),
    ]
    # How each was listed, a vote in the article verdict: a Google News entry counts more.
    assert [e.found_via for e in parsed.entries] == ["news_sitemap", "sitemap"]


def test_sitemap_entities_are_not_expanded_or_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    body = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY ext SYSTEM "file://{secret}">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://news.example.cn/x&b;&ext;.htm</loc></url></urlset>""".encode()
    parsed = parse_sitemap(body, BASE)
    urls = [e.url for e in parsed.entries] if parsed else []
    assert not any("TOPSECRET" in u or "aaaaaaaaaa" in u for u in urls)


def test_an_entry_urllib_cannot_parse_costs_only_itself():
    sitemap = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>http://[broken/a.htm</loc></url><url><loc>/b.htm</loc></url>
      <url><loc>http://news.example.cn:port/c.htm</loc></url></urlset>"""
    parsed = parse_sitemap(sitemap, BASE)
    assert parsed is not None and [e.url for e in parsed.entries] == [BASE + "b.htm"]
    feed = b"""<rss version="2.0"><channel><item><link>http://[broken/a.htm</link></item>
      <item><link>/b.htm</link></item></channel></rss>"""
    assert [e.url for e in parse_feed(feed, BASE) or []] == [BASE + "b.htm"]
    assert absolute_http_url("http://[broken/a.htm", BASE) is None
    assert absolute_http_url("//news.example.cn:port/c.htm", BASE) is None
    robots = "Sitemap: http://[broken/s.xml\nSitemap: /s2.xml\n"
    assert robots_sitemaps(robots, BASE) == [BASE + "s2.xml"]


def test_sitemap_entries_stop_at_the_limit():
    entries = "".join(f"<url><loc>/a/{n}.htm</loc></url>" for n in range(10))
    body = f"<urlset>{entries}</urlset>".encode()
    parsed = parse_sitemap(body, BASE, max_entries=4)
    assert parsed is not None
    assert [e.url for e in parsed.entries] == [f"{BASE}a/{n}.htm" for n in range(4)]
    assert parse_sitemap(b"<urlset/>", BASE) == Sitemap(is_index=False, entries=())


def test_not_a_sitemap():
    assert parse_sitemap(b"<html><body>hi</body></html>", BASE) is None
    assert parse_sitemap(b"\x00\x01garbage", BASE) is None


def test_rss_and_atom_feeds():
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><title>a</title><link>http://news.example.cn/a.htm</link>
        <pubDate>Tue, 01 Mar 2022 10:22:33 +0800</pubDate></item>
      <item><guid>http://news.example.cn/b.htm</guid></item></channel></rss>"""
    assert [(e.url, e.date) for e in parse_feed(rss, BASE)] == [
        ("http://news.example.cn/a.htm", "Tue, 01 Mar 2022 10:22:33 +0800"),
        ("http://news.example.cn/b.htm", None),
    ]
    assert {e.found_via for e in parse_feed(rss, BASE) or []} == {"feed"}
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <link rel="self" href="/self"/><link href="/c.htm"/>
      <published>2022-03-01T00:00:00Z</published></entry></feed>"""
    assert [(e.url, e.date) for e in parse_feed(atom, BASE)] == [
        ("http://news.example.cn/c.htm", "2022-03-01T00:00:00Z")
    ]
    assert parse_feed(b"<html></html>", BASE) is None


@pytest.mark.parametrize(
    "href",
    ["javascript:void(0)", "mailto:a@b.cn", "data:text/html,x", "file:///etc/passwd", "#top"],
)
def test_only_http_links_survive(href):
    assert absolute_http_url(href, BASE) is None


def test_relative_links_resolve_without_fragment():
    assert absolute_http_url("../a/b.htm#x", BASE + "c/d.htm") == "http://news.example.cn/a/b.htm"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://a.cn/", "listing"),
        ("http://a.cn/tech/node_7001.htm", "listing"),
        ("http://a.cn/tag/5G.htm", "listing"),
        ("https://a.com/news/page/3", "listing"),
        ("http://a.cn/tech/2022-03/01/content_78012345.htm", "article"),
        ("https://a.com/world/europe/some-long-story-slug-2021-11-24/", "article"),
        ("https://a.com/about", None),
    ],
)
def test_url_kind(url, kind):
    assert url_kind(url) == kind


def signals(**kw):
    base = dict(
        og_type=None,
        jsonld_article=False,
        title="A headline",
        text_chars=1200,
        long_paragraphs=5,
        link_density=0.1,
    )
    base.update(kw)
    return PageSignals(**base)


def test_verdicts():
    site = site_for_urls(["http://a.cn/"])
    article = "http://a.cn/tech/2022-03/01/content_1.htm"
    assert article_verdict(article, signals(), site) == (True, "article")
    assert (
        article_verdict("http://a.cn/", signals(long_paragraphs=1, text_chars=300), site)[0]
        is False
    )
    assert article_verdict(article, signals(text_chars=20), site) == (False, "too_little_text")
    # A listing's text is its links, which extraction leaves out: still a listing.
    listing = "http://a.cn/finance/node_7002.htm"
    assert article_verdict(listing, signals(text_chars=20), site) == (False, "listing_url")
    assert article_verdict(article, signals(title="404 Not Found", long_paragraphs=1), site) == (
        False,
        "error_page",
    )
    # A stored page without a URL is judged on its content and type.
    assert article_verdict(
        None, signals(og_type="article", long_paragraphs=1, text_chars=400), None
    )[0]
