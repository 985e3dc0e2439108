"""A hostile news site for crawl tests: good articles among every fault a crawler meets on the
open web, each under its own path, on loopback only.

    python -m tests.faultserver [--site full|plain|traps] [--articles N]
                                [--robots ok|slow|500|crawl-delay=SECONDS] [--access-log FILE]
                                [--latency SECONDS]

prints two lines once ready, the site's base URL (127.0.0.1) and that of "another host"
(127.0.0.2, a second server that pages redirect and link to), and serves until killed. Every
request either server gets is appended to the access log as a JSON line: ``t`` (Unix time),
``server`` (the host:port that got it), ``host`` (its Host header), ``method``, ``path``,
``ua``, ``in_flight`` (the requests being answered then, this one included; a request counts
until its response starts). ``--latency`` delays each good article. The other host serves an
article on any path, so a crawler that went there shows.

``--site full`` (default): the home page links the good articles, every fault below, crawler
traps, links with other schemes and to the other host; robots.txt names the hostile sitemaps.
``plain``: good articles only. ``traps``: good articles and the traps. ``records``: good
articles and the ``RECORD_TROUBLES`` pages (good articles with values a record must not carry).
``sprawl``: good articles, a home page with ``WIDE_LINKS`` more links, and robots.txt naming a
sitemap index whose every sitemap lists ten new ones, without end. ``counter``: good articles and
``COUNTED``, an article whose view counter changes on every fetch. ``ports``: good articles,
and a link, a redirect, a meta refresh, a robots.txt ``Sitemap:`` line and a sitemap entry
that lead to ``--foreign URL``, a server on another port of the same host.

``BAD`` maps each faulty path to the key under which newscrawl's stats file lists it;
``GOOD_DESPITE`` maps pages that must still become records, troubles and all, to a phrase of
their text; ``ENCODED`` gives the warning the encoding pages' records carry.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import random
import re
import threading
import time
import zipfile
import zlib
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import brotli

from crawler.demo.server import ERROR_PAGE

OTHER_HOST = "127.0.0.2"
# How long a hanging response hangs: far beyond the DOWNLOAD_TIMEOUT tests use.
HANG_SECONDS = 8.0
BOMB_BYTES = 32_000_000  # unpacked; beyond any DOWNLOAD_MAXSIZE a news crawl would set
OVERSIZED_BYTES = 12_000_000  # beyond the 10 MB default DOWNLOAD_MAXSIZE
HUGE_SITEMAP_ENTRIES = 5000
WIDE_LINKS = 5000  # links of the sprawl site's home page, besides its articles
COUNTED = "/news/2024/05/03/counted.html"

BAD: dict[str, str] = {
    "/news/2024/06/01/no-response.html": "failed/timeout",
    "/news/2024/06/01/stalled-body.html": "failed/timeout",
    "/news/2024/06/02/broken-500.html": "failed/http_500",
    "/news/2024/06/02/broken-502.html": "failed/http_502",
    "/news/2024/06/02/broken-503.html": "failed/http_503",
    "/news/2024/06/02/missing.html": "failed/http_404",
    "/news/2024/06/03/rate-limited-for-an-hour.html": "failed/http_429",
    "/news/2024/06/04/challenge.html": "rejected/not_article/challenge",
    "/news/2024/06/04/challenge-200.html": "rejected/not_article/challenge",
    "/news/2024/06/04/soft-404.html": "rejected/not_article/error_page",
    "/news/2024/06/06/annual-report.html": "rejected/not_article/not_html",
    "/news/2024/06/06/photo.html": "rejected/not_article/not_html",
    "/news/2024/06/06/archive.html": "rejected/not_article/not_html",
    "/news/2024/06/06/empty.html": "rejected/not_article/empty",
    "/news/2024/06/06/truncated.html": "failed/truncated",
    "/news/2024/06/06/oversized.html": "failed/too_large",
    "/news/2024/06/06/oversized-unknown-length.html": "failed/too_large",
    "/news/2024/06/06/bomb-gzip.html": "failed/decompression_bomb",
    "/news/2024/06/06/bomb-deflate.html": "failed/decompression_bomb",
    "/news/2024/06/06/bomb-br.html": "failed/decompression_bomb",
    "/news/2024/06/07/deeply-nested.html": "rejected/not_article/too_deep",
    "/news/2024/06/08/loop-a.html": "failed/redirect_loop",
    "/go/endless/1": "failed/too_many_redirects",
    "/news/2024/06/08/moved-away.html": "failed/offsite_redirect",
    "/news/2024/06/08/moved-to-file.html": "failed/redirect_scheme",
    "/private/news/2024/06/09/members-only.html": "failed/robots_txt",
    "/sitemaps/garbage.xml": "discovery/bad_sitemap",
    "/sitemaps/laughs.xml": "discovery/xml_entities",
    "/sitemaps/xxe.xml": "discovery/xml_entities",
    "/sitemaps/index.xml": "discovery/sitemap_loop",  # listed again by loop.xml
    "/sitemaps/huge.xml": "discovery/sitemap_truncated",
    "/sitemaps/bomb.xml.gz": "discovery/too_large",
    "/feeds/not-a-feed.rss": "discovery/bad_feed",
    "/feeds/laughs.rss": "discovery/xml_entities",
}

GBK_TEXT = "国务院总理朱镕基和王喆在会上讲话，讨论数字人民币试点工作的进展"
GB18030_TEXT = "吉野家的𠮷字和𩸽鱼都在扩展汉字区，旧的编码表里找不到它们"
BIG5_TEXT = "臺北市政府今天宣布，將在明年推動新的交通計畫，改善市民通勤的品質"
SJIS_TEXT = "東京都は本日、来年度から新しい交通計画を推進すると発表しました"
CP1252_TEXT = "Café société: naïve “quotes” – résumé"
BOM_TEXT = "Crème brûlée at the café, naïve and déjà vu"
MIXED_OLD = "Müller’s “old” column: déjà vu, façade, señor – first printed in 2004"
MIXED_NEW = "Zoë Brontë’s new introduction — written in 2024"

ENCODED: dict[str, tuple[str, str | None]] = {
    "/news/2024/06/05/gbk-undeclared.html": (GBK_TEXT, "encoding_guessed"),
    "/news/2024/06/05/gb18030-undeclared.html": (GB18030_TEXT, "encoding_guessed"),
    "/news/2024/06/05/big5-undeclared.html": (BIG5_TEXT, "encoding_guessed"),
    "/news/2024/06/05/shift-jis.html": (SJIS_TEXT, None),
    "/news/2024/06/05/cp1252-labelled-utf8.html": (CP1252_TEXT, "encoding_mismatch"),
    "/news/2024/06/05/bom-contradicts-header.html": (BOM_TEXT, "encoding_mismatch"),
    "/news/2024/06/05/mixed-encoding.html": (MIXED_OLD, "encoding_mixed"),
}

GOOD_DESPITE: dict[str, str] = {
    "/news/2024/06/01/slow-but-fine.html": "arrived late",
    "/news/2024/06/02/flaky-500.html": "second try",
    "/news/2024/06/02/flaky-502.html": "second try",
    "/news/2024/06/02/flaky-503.html": "second try",
    "/news/2024/06/03/rate-limited.html": "waited politely",
    "/news/2024/06/07/malformed-markup.html": "broken markup",
    "/news/2024/06/08/end-of-chain.html": "end of a redirect chain",
    "/news/2024/06/08/end-of-a-meta-refresh.html": "was reached through a meta refresh",
    "/news/2024/07/01/only-in-malformed-sitemap.html": "malformed sitemap",
    "/news/2024/07/02/only-in-gzipped-sitemap.html": "gzipped sitemap",
    **{path: phrase for path, (phrase, _) in ENCODED.items()},
}

# Good articles whose metadata holds what breaks an output file or its readers: a lone surrogate
# (JSON-LD "\ud83d"), NUL, U+2028 and U+2029. Each must be written, clean, exactly once.
RECORD_TROUBLES: dict[str, str] = {
    "/news/2024/08/01/lone-surrogate.html": "kept its byline",
    "/news/2024/08/01/line-separators.html": "kept its summary",
    "/news/2024/08/02/jsonld-deep.html": "outlived its deep markup",
    "/news/2024/08/02/jsonld-long-number.html": "outlived its long number",
    # A charset label naming no text encoding: Python has a "zlib" codec, browsers ignore it.
    "/news/2024/08/03/charset-zlib.html": "outlived its charset label",
}
GOOD_DESPITE.update(RECORD_TROUBLES)

# Links of the home page that lead to GOOD_DESPITE pages by another path.
CHAIN_START = "/go/chain/1"
REFRESH_START = "/go/refresh"
REFUSED_LINKS = (
    "javascript:void(0)",
    "mailto:newsroom@example.org",
    "data:text/html,<p>hello</p>",
    "file:///etc/passwd",
    "ftp://127.0.0.1/pub/",
)
# Links urllib cannot parse: each is skipped, the page they are on still counts.
MALFORMED_LINKS = ("http://[broken-ipv6/news/x.html", "http://127.0.0.1:port/news/y.html")
TRAPS = ("/events/calendar?month=2024-05", "/archive/list?page=1", "/section/world/?sid=a1b2c3")


def good_path(n: int) -> str:
    return f"/news/2024/05/{1 + n % 28:02d}/story-{n:04d}.html"


_GOOD = re.compile(r"^/news/2024/05/\d\d/story-(\d{4})\.html$")

# --- prose ---------------------------------------------------------------------------------------

_SUBJECTS = (
    "The city council",
    "The regional transport authority",
    "A group of local teachers",
    "The harbour board",
    "Residents of the old quarter",
    "The national weather service",
    "Engineers at the water utility",
    "The university hospital",
    "Farmers in the northern valleys",
    "The museum's new director",
    "Shop owners on the high street",
    "The fire brigade",
)
_VERBS = (
    "approved",
    "questioned",
    "announced",
    "delayed",
    "welcomed",
    "criticised",
    "reviewed",
    "funded",
    "postponed",
    "presented",
)
_OBJECTS = (
    "a plan to rebuild the river bridge",
    "new rules for night buses",
    "the budget for the coming school year",
    "a study of flooding along the coast",
    "the closure of two branch libraries",
    "a scheme to plant trees in every district",
    "higher fees for parking near the station",
    "the design of a new concert hall",
    "a survey of air quality near the port",
    "the renovation of the central market",
)
_TAILS = (
    "after a long debate on Tuesday evening.",
    "despite objections from several neighbours.",
    "in a statement published on its website.",
    "following months of public consultation.",
    "at a crowded meeting in the town hall.",
    "although the final cost is still unknown.",
    "with support from most of the opposition.",
    "before the summer holidays begin.",
    "according to documents seen by reporters.",
    "while promising a second review next year.",
)


def _prose(rng: random.Random, paragraphs: int = 6, sentences: int = 5) -> list[str]:
    def sentence() -> str:
        return " ".join(
            (rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_OBJECTS), rng.choice(_TAILS))
        )

    return [" ".join(sentence() for _ in range(sentences)) for _ in range(paragraphs)]


def article_html(
    title: str,
    paragraphs: list[str],
    day: str = "2024-05-01",
    lang: str = "en",
    meta: str = '<meta charset="utf-8">',
) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head>{meta}
<title>{title} | Fault Gazette</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="{day}T08:00:00+00:00">
</head><body>
<nav><a href="/">Home</a> <a href="/section/world/">World</a></nav>
<article><h1>{title}</h1>
<p class="byline">By Ann Example</p>
{body}
</article>
<footer>© Fault Gazette</footer>
</body></html>
"""


def good_article(n: int) -> bytes:
    rng = random.Random(n)
    title = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} (report {n})"
    day = f"2024-05-{1 + n % 28:02d}"
    return article_html(title, _prose(rng), day).encode()


def troubled_article(path: str, head: str = "") -> bytes:
    """A good article whose text carries its GOOD_DESPITE phrase; ``head`` goes in its head."""
    rng = random.Random(path)
    paragraphs = _prose(rng)
    paragraphs[1] = f"This story {GOOD_DESPITE[path]}. " + paragraphs[1]
    meta = '<meta charset="utf-8">' + head
    return article_html(f"A story that {GOOD_DESPITE[path]}", paragraphs, meta=meta).encode()


def record_trouble_page(path: str) -> bytes:
    """A GOOD_DESPITE page, with the head its RECORD_TROUBLES entry puts trouble in."""
    return troubled_article(path, _RECORD_TROUBLE_HEADS.get(path.rsplit("/", 1)[-1], ""))


# JSON-LD escapes: json.loads makes them a lone surrogate, NUL and the two separators. JSON-LD
# nested 200,000 deep (RecursionError) and a 5,000-digit number (ValueError) fail a parser.
_RECORD_TROUBLE_HEADS = {
    "jsonld-deep.html": (
        f'<script type="application/ld+json">{"[" * 200_000}{"]" * 200_000}</script>'
    ),
    "jsonld-long-number.html": (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        f'"wordCount": {"7" * 5000}}}</script>'
    ),
    "lone-surrogate.html": (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"author": {"@type": "Person", "name": "Ann \\ud83d Example"}, '
        '"keywords": ["flood\\u0000", "rain\\udc00"]}</script>'
    ),
    "line-separators.html": (
        '<meta name="description" content="One line\u2028and another\u2029and a third">'
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"articleSection": ["World\\u2028Asia"], "keywords": "storm\\u2029wind"}</script>'
    ),
}


# Clauses that read in all three scripts' languages well enough for a detector; combined at
# random so that no two paragraphs (or pages) repeat, which extractors deduplicate.
_ZH_CLAUSES = (
    "记者从有关部门获悉", "这项工作将在全国范围内逐步推开", "各地正在积极准备", "专家认为",
    "市民对此表示欢迎", "相关部门将加强监督管理", "预计明年完成全部建设任务",
    "会议还讨论了资金安排", "多位代表提出了具体建议", "当地政府将在下月公布详细方案",
)  # fmt: skip
_ZH_TW_CLAUSES = (
    "記者從有關部門獲悉", "這項工作將在全國範圍內逐步推開", "各地正在積極準備", "專家認為",
    "市民對此表示歡迎", "相關部門將加強監督管理", "預計明年完成全部建設任務",
    "會議還討論了資金安排", "多位代表提出了具體建議", "當地政府將在下月公佈詳細方案",
)  # fmt: skip
_JA_CLAUSES = (
    "関係者によると", "この取り組みは全国で段階的に進められる予定です", "各地で準備が進んでいます",
    "専門家は効果を期待しています", "市民からは歓迎の声が上がっています",
    "予算の配分も議論されました", "来月には詳しい計画が発表されます",
    "多くの議員が具体的な提案をしました",
)  # fmt: skip


def _cjk_paragraphs(phrase: str, clauses: tuple[str, ...], stop: str = "。") -> list[str]:
    rng = random.Random(phrase)
    paragraphs = []
    for i in range(6):
        sentences = ["，".join(rng.sample(clauses, 3)) for _ in range(4)]
        paragraphs.append((phrase + stop if i == 1 else "") + stop.join(sentences) + stop)
    return paragraphs


def encoded_article(path: str) -> tuple[bytes, str]:
    """(body, Content-Type) of the page for an ENCODED path."""
    name = path.rsplit("/", 1)[1]
    english = _prose(random.Random(path))
    if name.startswith(("gbk", "gb18030")):
        text = GBK_TEXT if name.startswith("gbk") else GB18030_TEXT
        title = "数字人民币试点" if name.startswith("gbk") else "扩展汉字的故事"
        html = article_html(title, _cjk_paragraphs(text, _ZH_CLAUSES), lang="zh", meta="")
        codec = "gb18030" if name.startswith("gb18030") else "gbk"
        return html.encode(codec, "xmlcharrefreplace"), "text/html"
    if name.startswith("big5"):
        paragraphs = _cjk_paragraphs(BIG5_TEXT, _ZH_TW_CLAUSES)
        html = article_html("臺北交通新計畫", paragraphs, lang="zh", meta="")
        return html.encode("big5", "xmlcharrefreplace"), "text/html"
    if name.startswith("shift-jis"):
        paragraphs = _cjk_paragraphs(SJIS_TEXT, _JA_CLAUSES)
        meta = '<meta charset="Shift_JIS">'
        html = article_html("東京の交通計画", paragraphs, lang="ja", meta=meta)
        return html.encode("shift_jis", "xmlcharrefreplace"), "text/html"
    if name.startswith("cp1252"):
        english[0] = CP1252_TEXT + ". " + english[0]
        html = article_html("Café society, mislabelled", english, meta="")
        return html.encode("cp1252"), "text/html; charset=utf-8"
    if name.startswith("bom"):
        english[0] = BOM_TEXT + ". " + english[0]
        html = article_html("A page with a byte order mark", english, meta="")
        return b"\xef\xbb\xbf" + html.encode(), "text/html; charset=iso-8859-1"
    # Mixed: a UTF-8 page around a paragraph pasted in from an old windows-1252 archive.
    english[0] = MIXED_NEW + ". " + english[0]
    html = article_html("An old column, reprinted", [*english, "OLD"])
    new, old = html.split("<p>OLD</p>")
    body = new.encode() + f"<p>{MIXED_OLD}.</p>".encode("cp1252") + old.encode()
    return body, "text/html; charset=utf-8"


# --- bodies that are not what they claim ----------------------------------------------------------


@cache
def bomb(kind: str) -> bytes:
    payload = b"<html><body><p>" + b" " * BOMB_BYTES
    if kind == "gzip":
        return gzip.compress(payload, 9)
    if kind == "deflate":
        return zlib.compress(payload, 9)
    return brotli.compress(payload, quality=5)


@cache
def sitemap_bomb() -> bytes:
    return gzip.compress(b'<?xml version="1.0"?><urlset>' + b" " * BOMB_BYTES, 9)


def zip_body() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("story.txt", "An archive, not a page.\n" * 100)
    return buffer.getvalue()


BINARIES = {
    "annual-report.html": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    + bytes(range(256)) * 8,
    "photo.html": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
}

CHALLENGE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<script>window._cf_chl_opt={cvId:'3',cZone:'127.0.0.1',cType:'managed'};</script></head>
<body><div id="cf-chl-widget-x1"></div><noscript>Enable JavaScript and cookies to continue
</noscript></body></html>"""

SOFT_404 = b"""<!DOCTYPE html><html><head><title>Page not found | Fault Gazette</title></head>
<body><nav><a href="/">Home</a></nav><h1>Page not found</h1>
<p>Most read: <a href="/news/2024/06/04/only-linked-from-a-soft-404.html">Our top story</a></p>
<p>Sorry, the page you are looking for has moved or no longer exists.</p></body></html>"""

# The way old CMSs move a story: an HTML page whose <meta> sends the browser on.
META_REFRESH = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Moved</title>
<meta http-equiv="Refresh" content="0; url={}"></head>
<body><p>This story has moved.</p></body></html>"""


def deeply_nested() -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in _prose(random.Random("deep")))
    depth = 400
    return (
        "<html><head><title>A story buried deep</title></head><body>"
        + "<div>" * depth
        + paragraphs
        + "</div>" * depth
        + "</body></html>"
    ).encode()


def malformed() -> bytes:
    path = "/news/2024/06/07/malformed-markup.html"
    paragraphs = _prose(random.Random(path))
    paragraphs[1] = f"This story {GOOD_DESPITE[path]}. " + paragraphs[1]
    broken = "\n".join(f"<p class=x>{p}" for p in paragraphs)  # never closed
    return (
        "<html><head><title>A story with broken markup</title>"
        '<meta property="og:type" content="article"></head><body>'
        "<div><span><table><tr><td></div></span>"  # misnested, unclosed
        f"<article><h1>A story with broken markup</h1>{broken}"
        "</td></td></b></i>&nbsp &amp; < > stray"
    ).encode()


# --- sitemaps and feeds ---------------------------------------------------------------------------

SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
# "Billion laughs": &lol9; would expand to 10^9 "lol"s.
LAUGHS_DTD = (
    '<!DOCTYPE lolz [<!ENTITY lol1 "lol">'
    + "".join('<!ENTITY lol{} "{}">'.format(i, f"&lol{i - 1};" * 10) for i in range(2, 10))
    + "]>"
)


def urlset(base: str, paths: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {SITEMAP_NS}>{urls}</urlset>'.encode()


def sitemap_index(base: str, paths: list[str]) -> bytes:
    maps = "".join(f"<sitemap><loc>{base}{p}</loc></sitemap>" for p in paths)
    return f'<?xml version="1.0"?><sitemapindex {SITEMAP_NS}>{maps}</sitemapindex>'.encode()


def sitemap_file(base: str, name: str, articles: int) -> bytes | None:
    if name == "index.xml":
        children = [
            "articles.xml.gz", "malformed.xml", "garbage.xml", "laughs.xml", "xxe.xml",
            "huge.xml", "bomb.xml.gz", "loop.xml",
        ]  # fmt: skip
        return sitemap_index(base, [f"/sitemaps/{c}" for c in children])
    if name == "loop.xml":
        return sitemap_index(base, ["/sitemaps/index.xml"])
    if name == "articles.xml.gz":
        paths = [good_path(n) for n in range(1, min(articles, 20) + 1)]
        paths.append("/news/2024/07/02/only-in-gzipped-sitemap.html")
        return gzip.compress(urlset(base, paths))
    if name == "malformed.xml":
        return (
            f'<?xml version="1.0"?><urlset {SITEMAP_NS}><url><loc>{base}'
            "/news/2024/07/01/only-in-malformed-sitemap.html</loc></url>"
            f"<url><loc>{base}{good_path(1)}</loc><lastmod>2024-05-02</url><url><loc>{base}/ne"
        ).encode()
    if name == "garbage.xml":
        return b"<html><body><p>Our sitemap has moved.</p></body></html>"
    if name == "laughs.xml":
        return (
            f'<?xml version="1.0"?>{LAUGHS_DTD}<urlset {SITEMAP_NS}>'
            f"<url><loc>{base}/news/&lol9;.html</loc></url></urlset>"
        ).encode()
    if name == "xxe.xml":
        return (
            f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "{base}/xxe-probe">'
            '<!ENTITY passwd SYSTEM "file:///etc/passwd">]>'
            f"<urlset {SITEMAP_NS}><url><loc>{base}/news/&xxe;&passwd;</loc></url></urlset>"
        ).encode()
    if name == "huge.xml":
        paths = [good_path(1 + i % max(articles, 1)) for i in range(HUGE_SITEMAP_ENTRIES)]
        return urlset(base, paths)
    if name == "bomb.xml.gz":
        return sitemap_bomb()
    return None


def feed_file(base: str, name: str) -> bytes | None:
    if name == "not-a-feed.rss":
        return b"<html><head><title>Feed</title></head><body>No feed here.</body></html>"
    if name == "laughs.rss":
        return (
            f'<?xml version="1.0"?>{LAUGHS_DTD}<rss version="2.0"><channel><title>&lol9;</title>'
            f"<item><link>{base}/news/&lol9;.html</link></item></channel></rss>"
        ).encode()
    return None


# --- the site -------------------------------------------------------------------------------------


def listing(title: str, links: list[str], extra_head: str = "") -> bytes:
    items = "\n".join(f'<li><a href="{h}">{h}</a></li>' for h in links)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>{extra_head}'
        f"</head><body><h1>{title}</h1><ul>\n{items}\n</ul></body></html>"
    ).encode()


class Site:
    """What both servers serve, and their shared access log."""

    def __init__(
        self, kind: str, articles: int, robots: str, log_path: Path | None, latency: float = 0
    ) -> None:
        self.kind = kind
        self.latency = latency
        self.in_flight = 0
        self.articles = articles
        self.robots = robots
        self.log_path = log_path
        self.foreign = ""  # the ports site's other server
        self.base = ""
        self.other_base = ""
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> int:
        """Log a request; the number of times its path has been asked for, this one included."""
        with self.lock:
            self.in_flight += 1
            entry["in_flight"] = self.in_flight
            self.hits[entry["path"]] = hits = self.hits.get(entry["path"], 0) + 1
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(entry) + "\n")
        return hits

    def answered(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def home_links(self) -> list[str]:
        links = [good_path(n) for n in range(1, self.articles + 1)]
        if self.kind in ("full", "traps"):
            links += TRAPS
        if self.kind == "records":
            links += list(RECORD_TROUBLES)
        if self.kind == "sprawl":
            links += [f"/more/{n}" for n in range(WIDE_LINKS)]
        if self.kind == "counter":
            links.append(COUNTED)
        if self.kind == "ports":
            links += [
                f"{self.foreign}{good_path(1)}",
                "/go/foreign-redirect",
                "/go/foreign-refresh",
            ]
        if self.kind == "full":
            sitemap_only = {p for p in GOOD_DESPITE if p.startswith("/news/2024/07/")}
            links += [p for p in BAD if not p.startswith(("/sitemaps/", "/feeds/"))]
            links += [p for p in GOOD_DESPITE if p not in sitemap_only and "end-of" not in p]
            links += [CHAIN_START, REFRESH_START, *REFUSED_LINKS, *MALFORMED_LINKS]
            links.append(f"{self.other_base}/news/2024/06/08/x.html")
        return links

    def robots_txt(self) -> bytes:
        lines = ["User-agent: *", "Disallow: /private/"]
        if self.robots.startswith("crawl-delay="):
            lines.append(f"Crawl-delay: {self.robots.split('=', 1)[1]}")
        if self.kind == "full":
            lines.append(f"Sitemap: {self.base}/sitemaps/index.xml")
        if self.kind == "sprawl":
            lines.append(f"Sitemap: {self.base}/endless/0.xml")
        if self.kind == "ports":
            lines += [f"Sitemap: {self.foreign}/sitemap.xml", f"Sitemap: {self.base}/ports.xml"]
        return ("\n".join(lines) + "\n").encode()


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True
    # A crawler opens dozens of connections at once; the default backlog of 5 would drop some
    # before they reach the access log.
    request_queue_size = 256

    def __init__(self, site: Site, host: str) -> None:
        self.site = site
        super().__init__((host, 0), FaultHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: crawlers hang up on hanging, oversized and bombing responses on purpose."""


class FaultHandler(BaseHTTPRequestHandler):
    server: FaultServer
    in_flight = False

    def log_message(self, format: str, *args: object) -> None:
        """Silenced; see the access log."""

    def do_GET(self) -> None:
        site = self.server.site
        parts = urlsplit(self.path)
        hits = site.record(
            {
                "t": time.time(),
                "server": self.server.base_url.removeprefix("http://"),
                "host": self.headers.get("Host", ""),
                "method": self.command,
                "path": self.path,
                "ua": self.headers.get("User-Agent", ""),
            }
        )
        self.in_flight = True
        try:
            if self.server.base_url != site.base:
                self.send(200, good_article(1))  # the other host: anything fetched here shows
                return
            self.route(parts.path, parse_qs(parts.query), hits)
        finally:
            self.answering()

    def answering(self) -> None:
        """This request no longer counts as in flight: its response starts."""
        if self.in_flight:
            self.in_flight = False
            self.server.site.answered()

    # --- responses

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.answering()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send(status, b"", headers={"Location": location})

    def error(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send(status, ERROR_PAGE.format(f"{status} Error").encode(), headers=headers)

    def stream(self, total: int, content_length: int | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if content_length is not None:
            self.send_header("Content-Length", str(content_length))
        self.end_headers()
        chunk = b"<p>" + b"lorem ipsum " * 5000 + b"</p>\n"
        sent = 0
        while sent < total:
            self.wfile.write(chunk)
            sent += len(chunk)

    # --- routing

    def route(self, path: str, query: dict[str, list[str]], hits: int) -> None:
        site = self.server.site
        base = site.base
        name = path.rsplit("/", 1)[-1]
        if path == "/":
            feeds = (
                '<link rel="alternate" type="application/rss+xml" href="/feeds/not-a-feed.rss">'
                '<link rel="alternate" type="application/rss+xml" href="/feeds/laughs.rss">'
                if site.kind == "full"
                else ""
            )
            self.send(200, listing("Fault Gazette", site.home_links(), feeds))
        elif path == "/robots.txt":
            if site.robots == "slow":
                time.sleep(HANG_SECONDS)
            if site.robots == "500":
                self.error(500)
            else:
                self.send(200, site.robots_txt(), "text/plain")
        elif (match := _GOOD.match(path)) and 1 <= int(match.group(1)) <= site.articles:
            time.sleep(site.latency)
            self.send(200, good_article(int(match.group(1))))
        elif path.startswith("/sitemaps/") and (body := sitemap_file(base, name, site.articles)):
            gzipped = name.endswith(".gz")
            self.send(200, body, "application/x-gzip" if gzipped else "application/xml")
        elif path.startswith("/feeds/") and (body := feed_file(base, name)):
            self.send(200, body, "application/rss+xml")
        elif path in ENCODED:
            body, content_type = encoded_article(path)
            self.send(200, body, content_type)
        elif path.startswith("/endless/") and name.removesuffix(".xml").isdigit():
            n = int(name.removesuffix(".xml"))
            children = [f"/endless/{n * 10 + i}.xml" for i in range(1, 11)]
            self.send(200, sitemap_index(base, children), "application/xml")
        elif path == "/ports.xml":
            entries = [f"{site.foreign}{good_path(2)}", f"{base}{good_path(2)}"]
            body = "".join(f"<url><loc>{e}</loc></url>" for e in entries)
            self.send(200, f"<urlset {SITEMAP_NS}>{body}</urlset>".encode(), "application/xml")
        elif path == "/go/foreign-redirect":
            self.redirect(f"{site.foreign}{good_path(3)}")
        elif path == "/go/foreign-refresh":
            self.send(200, META_REFRESH.format(f"{site.foreign}{good_path(3)}").encode())
        elif path == COUNTED:
            paragraphs = _prose(random.Random(COUNTED))
            paragraphs.append(f"This article has been read {hits} times.")
            self.send(200, article_html("A story people keep reading", paragraphs).encode())
        elif path.startswith("/more/"):
            self.send(200, listing("More", []))
        elif path.startswith(("/events/", "/archive/", "/section/")):
            self.trap(path, query)
        elif path.startswith("/go/"):
            self.redirecting(path)
        else:
            self.fault(path, name, hits)

    def trap(self, path: str, query: dict[str, list[str]]) -> None:
        """Listings with no end: a calendar, pagination, a session ID minted on every visit."""
        rng = random.Random()
        links = [good_path(1)]
        if path.startswith("/events/"):
            year, month = map(int, query.get("month", ["2024-05"])[0].split("-"))
            for step in (-1, 1):
                y, m = divmod(year * 12 + month - 1 + step, 12)
                links.append(f"/events/calendar?month={y}-{m + 1:02d}")
        elif path.startswith("/archive/"):
            page = int(query.get("page", ["1"])[0])
            links.append(f"/archive/list?page={page + 1}")
        else:
            links += [
                f"/section/world/?sid={rng.getrandbits(64):x}",
                f"/section/world/;jsessionid={rng.getrandbits(64):X}",
            ]
        self.send(200, listing("Listing", links))

    def redirecting(self, path: str) -> None:
        if path.startswith("/go/chain/"):
            step = int(path.rsplit("/", 1)[1])
            target = "/news/2024/06/08/end-of-chain.html" if step >= 3 else f"/go/chain/{step + 1}"
            self.redirect(target, 301 if step >= 3 else 302)
        elif path == REFRESH_START:
            target = "/news/2024/06/08/end-of-a-meta-refresh.html"
            self.send(200, META_REFRESH.format(target).encode())
        elif path.startswith("/go/endless/"):
            self.redirect(f"/go/endless/{int(path.rsplit('/', 1)[1]) + 1}")
        else:
            self.error(404)

    def fault(self, path: str, name: str, hits: int) -> None:
        if path in GOOD_DESPITE:
            self.troubled(path, name, hits)
        elif name == "no-response.html":
            time.sleep(HANG_SECONDS)
        elif name == "stalled-body.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "50000")
            self.end_headers()
            self.wfile.write(good_article(2)[:2000])
            self.wfile.flush()
            time.sleep(HANG_SECONDS)
        elif name.startswith("broken-"):
            self.error(int(name[7:10]))
        elif name == "rate-limited-for-an-hour.html":
            self.error(429, {"Retry-After": "3600"})
        elif name == "challenge.html":
            self.send(403, CHALLENGE, headers={"cf-mitigated": "challenge"})
        elif name == "challenge-200.html":
            self.send(200, CHALLENGE)
        elif name == "soft-404.html":
            self.send(200, SOFT_404)
        elif name in BINARIES:
            self.send(200, BINARIES[name])
        elif name == "archive.html":
            self.send(200, zip_body())
        elif name == "empty.html":
            self.send(200, b"")
        elif name == "truncated.html":
            body = good_article(3)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body) * 2))
            self.end_headers()
            self.wfile.write(body)  # then the connection closes: half the promised bytes
        elif name == "oversized.html":
            self.stream(OVERSIZED_BYTES, OVERSIZED_BYTES)
        elif name == "oversized-unknown-length.html":
            self.stream(OVERSIZED_BYTES, None)
        elif name.startswith("bomb-"):
            kind = name[5:-5]
            encoding = {"gzip": "gzip", "deflate": "deflate", "br": "br"}[kind]
            self.send(200, bomb(kind), headers={"Content-Encoding": encoding})
        elif name == "deeply-nested.html":
            self.send(200, deeply_nested())
        elif name == "loop-a.html":
            self.redirect("/news/2024/06/08/loop-b.html")
        elif name == "loop-b.html":
            self.redirect("/news/2024/06/08/loop-a.html")
        elif name == "moved-away.html":
            self.redirect(f"{self.server.site.other_base}{path}", 301)
        elif name == "moved-to-file.html":
            self.redirect("file:///etc/passwd")
        else:
            self.error(404)

    def troubled(self, path: str, name: str, hits: int) -> None:
        if name == "slow-but-fine.html":
            time.sleep(0.3)
        elif name.startswith("flaky-") and hits == 1:
            self.error(int(name[6:9]))
            return
        elif name == "rate-limited.html" and hits == 1:
            self.error(429, {"Retry-After": "1"})
            return
        elif name == "malformed-markup.html":
            self.send(200, malformed())
            return
        elif name == "charset-zlib.html":
            self.send(200, troubled_article(path), "text/html; charset=zlib")
            return
        self.send(200, record_trouble_page(path))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--site",
        choices=("full", "plain", "traps", "records", "sprawl", "counter", "ports"),
        default="full",
    )
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--robots", default="ok", help="ok, slow, 500 or crawl-delay=SECONDS")
    parser.add_argument("--access-log", type=Path)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per good article")
    parser.add_argument("--foreign", default="", help="the ports site's server on another port")
    args = parser.parse_args(argv)
    site = Site(args.site, args.articles, args.robots, args.access_log, args.latency)
    site.foreign = args.foreign
    main_server = FaultServer(site, "127.0.0.1")
    other_server = FaultServer(site, OTHER_HOST)
    site.base, site.other_base = main_server.base_url, other_server.base_url
    threading.Thread(target=other_server.serve_forever, daemon=True).start()
    print(site.base, flush=True)
    print(site.other_base, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        main_server.serve_forever()


if __name__ == "__main__":
    main()
