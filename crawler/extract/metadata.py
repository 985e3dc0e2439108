"""Page metadata beyond trafilatura's: the publication date where the page states it (parsed,
with time, offset and source, by ``crawler.extract.dates``), titles without the site suffix, clean
author lists, language checked against the text.

Pure functions over an lxml tree and strings; nothing here imports Scrapy.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.metadata import (
    examine_meta,
    extract_catstags,
    extract_meta_json,
    extract_sitename,
    extract_title,
    normalize_authors,
    trim,
)
from trafilatura.settings import Document, set_date_params

from crawler.extract import cleaning, jsonbounds
from crawler.extract.dates import FoundDate, date_in_dateline, date_in_url, parse_date
from crawler.extract.verdict import has_byline, has_dateline

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "report",
        "scholarlyarticle",
        "techarticle",
    }
)


@dataclass
class JsonLd:
    """What the page's JSON-LD says about its main article, if anything."""

    types: set[str] = field(default_factory=set)
    headline: str | None = None
    date_published: str | None = None
    date_modified: str | None = None
    authors: list[str] = field(default_factory=list)
    section: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    language: str | None = None
    # Blocks taken out of the tree unread: beyond jsonbounds' depth or number size.
    refused: int = 0
    article_body: str | None = None  # the whole text, where the page ships it for readers


def read_jsonld(tree: HtmlElement) -> JsonLd:
    """Collect types everywhere and fields from the first article-typed object. A block out of
    ``jsonbounds`` is removed from the tree, so that trafilatura's own reading of it (which
    fails the whole page) never sees it either."""
    out = JsonLd()
    article: dict[str, Any] | None = None
    for script in tree.xpath(
        '//script[@type="application/ld+json" or @type="application/settings+json"]'
    ):
        try:
            data = jsonbounds.loads(script.text or "")
        except jsonbounds.JsonOutOfBounds:
            out.refused += 1
            script.drop_tree()
            continue
        except ValueError:
            continue
        if script.get("type") != "application/ld+json":
            continue
        for obj in _walk_jsonld(data):
            types = obj.get("@type")
            names = {
                t.lower()
                for t in ([types] if isinstance(types, str) else types or [])
                if isinstance(t, str)
            }
            out.types |= names
            if article is None and names & ARTICLE_TYPES:
                article = obj
    if article is not None:
        out.headline = _first_str(article.get("headline"))
        out.date_published = _first_str(article.get("datePublished"))
        out.date_modified = _first_str(article.get("dateModified"))
        out.authors = _names(article.get("author"))
        out.section = _str_list(article.get("articleSection"))
        out.keywords = _str_list(article.get("keywords"))
        out.language = _first_str(article.get("inLanguage"))
        body = article.get("articleBody")
        out.article_body = body if isinstance(body, str) and body.strip() else None
    return out


def _walk_jsonld(data: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [data]
    while stack and len(found) < 200:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            found.append(node)
            for key in ("@graph", "mainEntity", "mainEntityOfPage"):
                if isinstance(node.get(key), (list, dict)):
                    stack.append(node[key])
    return found


def _first_str(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return value.strip() or None if isinstance(value, str) else None


def _str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[,，、;]", value) if v.strip()]
    if isinstance(value, list):
        return [v.strip() for v in value if isinstance(v, str) and v.strip()]
    return []


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def meta_tags(tree: HtmlElement) -> dict[str, str]:
    """The page's ``<meta>`` contents by lowercased property/name/itemprop (first wins): read
    once per page, for every field that looks in them."""
    metas: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = meta.get("content")
        if key and content and content.strip():
            metas.setdefault(key.strip().lower(), content.strip())
    return metas


def meta_content(metas: dict[str, str], *keys: str) -> str | None:
    """First ``<meta>`` content among ``keys`` (in order)."""
    for key in keys:
        if key in metas:
            return metas[key]
    return None


def trafilatura_fields(
    tree: HtmlElement, jsonld: JsonLd, dom_byline: Callable[[], str | None] | None = None
) -> Document:
    """trafilatura's metadata without its date search: the same steps as its
    ``extract_metadata``, but htmldate (a fifth of the extraction time) runs only when the
    page's own date markers fail (``htmldate_date``), and the DOM searches for authors,
    categories and tags only when the page's JSON-LD does not name them. ``dom_byline``: the
    page's ``dom_author``, when the caller keeps it for later."""
    fields = extract_meta_json(tree, examine_meta(tree))
    fields.title = fields.title or extract_title(tree)
    if not (fields.author or jsonld.authors):
        fields.author = dom_byline() if dom_byline else dom_author(tree)
    fields.sitename = fields.sitename or extract_sitename(tree)
    hrefs: list[str] | None = None
    if not (fields.categories or jsonld.section):
        hrefs = tree.xpath("//a/@href")
        fields.categories = _catstags("category", tree, hrefs)
    if not (fields.tags or jsonld.keywords):
        fields.tags = _catstags("tag", tree, tree.xpath("//a/@href") if hrefs is None else hrefs)
    return fields


_CATSTAGS_HREF = {
    "category": re.compile("/categor(?:y|ies|s)?/"),
    "tag": re.compile("/tag(?:y|ies|s)?/"),
}
_SECTION_METAS = etree.XPath(
    './/head//meta[@property="article:section" or contains(@name, "subject")][@content]'
)


def _catstags(kind: str, tree: HtmlElement, hrefs: list[str]) -> list[str]:
    """trafilatura's ``extract_catstags``, skipped where it cannot find anything: it keeps only
    links whose ``href`` names a category or tag folder, and on most pages no link does; its
    ten XPaths cost more than a millisecond per page. Categories also come from section
    ``<meta>`` tags, its fallback."""
    if any(map(_CATSTAGS_HREF[kind].search, hrefs)):
        return extract_catstags(kind, tree)
    if kind == "category" and _SECTION_METAS(tree):
        return extract_catstags(kind, tree)
    return []


def dom_author(tree: HtmlElement) -> str | None:
    """trafilatura's ``extract_author`` without its copy of the whole page and the search for
    what to prune from it (together a tenth of the extraction time where JSON-LD and meta tags
    name no author): the byline candidates are the same, and a candidate inside what it would
    prune is skipped, and what it would prune inside a candidate left unread. A form's field
    (a candidate holding its controls) is skipped too: a comment form's
    ``comment-form-author`` field is labelled "Name", no byline."""
    for el in byline_candidates(tree):
        if _pruned(el) or any(map(_pruned, el.iterancestors())) or _form_field(el):
            continue
        content = trim(" ".join(_unpruned_text(el)))
        if content and 2 < len(content) < 120:
            return normalize_authors(None, content)
    return None


_FORM_CONTROLS = ("input", "textarea", "select")


def _form_field(el: HtmlElement) -> bool:
    """Whether ``el`` is a form's field: holding its controls. (Not any element inside a
    ``<form>``: ASP.NET pages wrap the whole page in one.)"""
    return next(el.iter(*_FORM_CONTROLS), None) is not None


# trafilatura's AUTHOR_XPATHS, from specific to generic, tested on the elements in one pass:
# its three XPaths over the whole page took 6 ms where the page's metadata names no author.
_BYLINE_TAGS = (
    frozenset({"a", "address", "div", "link", "p", "span", "strong"}),
    frozenset({"a", "div", "h3", "h4", "p", "span"}),
)
_BYLINE_CLASS = (
    re.compile("author-?name|AuthorName|authorName"),
    re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"),
    re.compile("[Aa]uthor|screenname|writer|[Bb]yline"),
)
_BYLINE_ID = (re.compile("author|zuozhe|bianji|xiaobian"), re.compile("[Aa]uthor"))


# Every test below needs one of these in an attribute's value (or the element to be an
# ``author`` or to have a ``rel`` child saying "me"): one search of all its attribute values
# passes over the others (most of a page), where the tests one by one took 2 ms a page. A new
# test needs its word here. ``byline_candidates`` runs it inline, before any other read of the
# element (a call and a tag per element: 1.7 ms a page, now 1.4).
_BYLINE_WORDS = re.compile(
    "uthor|yline|byl|BBL|username|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|"
    "journalist-name|screenname|writer"
)


def _byline_level(el: HtmlElement, rel_me: frozenset[HtmlElement] = frozenset()) -> int | None:
    """Which of trafilatura's author XPaths (0, 1, 2) first selects ``el``, if any, for an
    element that passes ``_BYLINE_WORDS``'s test. ``rel_me``: the parents of the page's
    ``<rel>me</rel>`` elements."""
    tag, get = el.tag, el.get
    cls, id_, itemprop = get("class") or "", get("id") or "", get("itemprop") or ""
    if tag == "author" or (
        tag in _BYLINE_TAGS[0]
        and (
            get("rel") == "author"
            or id_ == "author"
            or cls == "author"
            or itemprop == "author name"
            or get("data-testid") in ("AuthorCard", "AuthorURL")
            or _BYLINE_CLASS[0].search(cls)
            or el in rel_me
        )
    ):
        return 0
    if tag in _BYLINE_TAGS[1] and (
        cls in ("byline", "username", "byl", "BBL")
        or "author" in itemprop
        or _BYLINE_ID[0].search(id_)
        or _BYLINE_CLASS[1].search(cls)
    ):
        return 1
    if (
        "Byline" in (get("data-component") or "")
        or "author" in itemprop
        or _BYLINE_ID[1].search(id_)
        or _BYLINE_CLASS[2].search(cls)
    ):
        return 2
    return None


def byline_candidates(tree: HtmlElement) -> list[HtmlElement]:
    """The elements trafilatura's author XPaths select, in the order its search tries them."""
    levels: tuple[list[HtmlElement], ...] = ([], [], [])
    rel_me = frozenset(rel.getparent() for rel in tree.iter("rel") if rel.text_content() == "me")
    special = rel_me.union(tree.iter("author"))
    search = _BYLINE_WORDS.search
    for el in tree.iter(etree.Element):
        if not ((values := el.values()) and search(" ".join(values))) and (
            not special or el not in special
        ):
            continue
        level = _byline_level(el, rel_me)
        if level is not None:
            levels[level].append(el)
    return [*levels[0], *levels[1], *levels[2]]


# trafilatura's AUTHOR_DISCARD_XPATHS, tested on elements one by one (comments, dates, figures,
# sidebars, share boxes: bylines there are not the article's).
_PRUNED_TAGS = frozenset({"a", "div", "section", "span"})
_PRUNED_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_PRUNED_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    r"article-(?:share|support)|print|category|meta-date|meta-reviewer"
)


def _pruned(el: HtmlElement) -> bool:
    if el.tag in ("time", "figure"):
        return True
    if el.tag not in _PRUNED_TAGS:
        return False
    id_, cls = el.get("id") or "", el.get("class") or ""
    return (
        id_ == "comments"
        or cls in ("comments", "title", "date")
        or _PRUNED_ID.search(id_) is not None
        or _PRUNED_CLASS.search(cls) is not None
        or "Figure" in (el.get("data-component") or "")
    )


def _unpruned_text(el: HtmlElement) -> list[str]:
    """``el.itertext()`` without the text of pruned descendants (their tails stay)."""
    pieces = [el.text] if el.text else []
    for child in el:
        if not _pruned(child):
            pieces.extend(_unpruned_text(child))
        if child.tail:
            pieces.append(child.tail)
    return pieces


def htmldate_date(tree: HtmlElement, url: str | None) -> FoundDate | None:
    """htmldate's reading of the page, as a last resort before sitemap/feed dates. Its
    extensive search stays off: it takes any year in the prose ("by 2026") for a date."""
    found = find_date(tree, url=url, **set_date_params(False))
    return FoundDate(found, found, "html") if found else None


# --- dates -----------------------------------------------------------------------------------

_META_PUBLISHED = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date",
    "dcterms.date",
    "date",
)
_META_MODIFIED = ("article:modified_time", "og:updated_time", "datemodified", "dc.date.modified")


def find_published(
    tree: HtmlElement,
    url: str | None,
    jsonld: JsonLd,
    metas: dict[str, str],
    header_text: str,
    tz: str | None = None,
) -> FoundDate | None:
    """The publication date the page states, by decreasing reliability: JSON-LD, meta, the
    dateline under the headline (a date beside "来源", "Updated", …), ``<time>``, the URL.
    A date in the prose is not among them (``dates.date_in_text``, the caller's last resort)."""
    candidates: list[tuple[str, str | None]] = [
        ("jsonld", jsonld.date_published),
        ("meta", meta_content(metas, *_META_PUBLISHED)),
    ]
    for source, raw in candidates:
        if raw and (iso := parse_date(raw, tz)):
            return FoundDate(iso, raw, source)
    if found := date_in_dateline(header_text, tz):
        return found
    for time_el in tree.iter("time"):
        raw = time_el.get("datetime") or time_el.text_content()
        if raw and (iso := parse_date(raw, tz)):
            return FoundDate(iso, raw.strip(), "html")
    return date_in_url(url) if url else None


def find_modified(jsonld: JsonLd, metas: dict[str, str], tz: str | None) -> str | None:
    raw = jsonld.date_modified or meta_content(metas, *_META_MODIFIED)
    return parse_date(raw, tz) if raw else None


# --- titles ------------------------------------------------------------------------------------

_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»/*]\s+|\s*[_｜|–—：ㅣ]\s*|\s+-\s*|--")
# Before a site's name, also the "«" of old blog themes ("Post « Blog"); not between a title's
# parts, where it opens a quote (French "… : « Nous … »").
_SITE_SEPARATORS = re.compile(_TITLE_SEPARATORS.pattern + r"|\s+«\s+")
# Invisible characters that only break matching and searching: zero-width spaces and joiners,
# the word joiner, byte-order marks, soft hyphens.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\xad]")
# A kicker stands before the headline it introduces: "Neue Leipziger Schule: Judy Lybke, …".
_KICKER_SEPARATOR = re.compile(r"\s*[:：|｜–—-]\s*$")
_SUFFIX_SEPARATOR = re.compile(r"\s*[|｜–—:：·»]|\s+[-*]\s")
# A hyphen without spaces sets off a section only in CJK or Hangul ("…-정치"), never in a
# compound ("Corona-Pandemie").
_SECTION_SUFFIX = re.compile(
    r"(?:\s+[-|/·]\s+|[_|｜ㅣ/])[^\s\-_|｜ㅣ/]{1,12}$|-[\u3131-\ud7a3\u4e00-\u9fff]{1,6}$"
)
_KICKER_SPLIT = re.compile(r"\s*[:：]\s+|\s+[-–—|]\s+")


def choose_title(
    h1s: Sequence[str],
    og_title: str | None,
    headline: str | None,
    page_title: str | None,
    site_names: Sequence[str],
    host: str | None,
) -> str | None:
    """The article's headline: the publisher's own (``og:title``, else JSON-LD ``headline``)
    without a site name; where the page's ``h1`` is the same headline with a kicker or a
    suffix set off by a separator ("Kicker: headline | Section"), or the two share a headline
    behind different kickers, that headline, with the quotes and apostrophes the ``h1`` prints.
    Without either, the ``<title>`` less its site suffix (or the ``h1`` it contains).

    An ``h1`` that differs from ``og:title`` in its words does not replace it, even where
    JSON-LD or the ``<title>`` repeat the ``h1``: on publisher pages (fundus) the two are
    equally often the headline the truth names (docs/schema.md, ``title``)."""
    h1s = [h for h in (_squash(h) for h in h1s) if h]
    og_title, headline = _unescaped(og_title), _unescaped(headline)
    # A name guessed from the <title> (trafilatura's: its first part with a dot in it) that
    # holds the page's headline is no site name: "Dyson ties … St. John's 81-65".
    site_names = [
        name
        for name in site_names
        if not any(len(h) >= 10 and _fold(h) in _fold(name) for h in h1s)
    ]
    stated = og_title or headline
    if not stated:
        return clean_title(page_title, _h1_in(h1s, page_title), site_names, host)
    stated = strip_site(stated, site_names, host)
    printed = [*h1s, strip_site(page_title, site_names, host)] if page_title else h1s
    cut = _ELLIPSIS.sub("", stated)
    for full in printed:
        # A <meta> content cut at a quote it did not escape: 'Biden de "incapacitado"'.
        if full.startswith(stated) and full[len(stated) :].lstrip()[:1] in _OPENING_QUOTES:
            return full
        # One shortened for sharing: "Sweden tells households how to…".
        if cut != stated and len(full) > len(cut) >= 10 and _fold(full).startswith(_fold(cut)):
            return full
    for h1 in h1s:
        if found := _agreed(h1, stated):
            return found
    return stated


def _h1_in(h1s: Sequence[str], title: str | None) -> str | None:
    """The first ``h1`` of a headline's weight the ``<title>`` contains (the others are logos
    and section names), else the first."""
    low = _HEADLINE_ABOVE[0]
    return next(
        (h for h in h1s if title and cleaning.weight(h) >= low and h in _squash(title)),
        h1s[0] if h1s else None,
    )


def _agreed(h1: str, stated: str) -> str | None:
    """The headline an ``h1`` and a stated title share, as the ``h1`` prints it; None when
    they are different headlines."""
    if _fold(h1) == _fold(stated):
        return _as_printed(h1, stated)
    if inner := _framed(stated, h1):
        return _as_printed(inner, stated)
    # og:title with more around the headline than a site name (a byline, a section): the
    # headline as it writes it.
    return _framed(h1, stated) or _shared_headline(h1, stated)


def _as_printed(printed: str, stated: str) -> str:
    """``printed`` where it differs from ``stated`` only in its quotes and apostrophes
    (curly where the ``<meta>`` has straight ones); ``stated`` where the case differs too (an
    ``h1`` written in capitals for its look)."""
    return printed if printed.translate(_QUOTES) == stated.translate(_QUOTES) else stated


# An HTML entity left in a headline escaped twice ("US&#8217;s", "Türkiye&#039;de").
_ENTITY = re.compile(r"&(?:#\d{2,6}|#x[0-9a-fA-F]{2,5}|[a-zA-Z]{2,8});")


def _unescaped(text: str | None) -> str | None:
    return html.unescape(text) if text and _ENTITY.search(text) else text


_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)$")
_OPENING_QUOTES = frozenset('"“„«')
_QUOTES = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'}
)


def _fold(text: str) -> str:
    """A title compared: case and quote style aside, character for character (so that a
    position in the folded text is one in the text)."""
    folded = text.translate(_QUOTES).lower()
    return folded if len(folded) == len(text) else text.translate(_QUOTES)


def _framed(short: str, long: str) -> str | None:
    """``short`` as ``long`` writes it, when ``long`` is ``short`` with a kicker before it
    and/or a suffix after it, each set off by a separator ("Kicker: short | Section")."""
    short_f, long_f = _fold(short), _fold(long)
    at = long_f.find(short_f)
    if len(short_f) < 10 or at < 0 or long_f == short_f or len(short_f) < 0.4 * len(long_f):
        return None
    before, after = long_f[:at], long_f[at + len(short_f) :]
    if before and not _KICKER_SEPARATOR.search(before):
        return None
    if after and not _SUFFIX_SEPARATOR.match(after):
        return None
    return long[at : at + len(short_f)]


def _shared_headline(a: str, b: str) -> str | None:
    """The headline two titles share behind different kickers ("Kicker A: headline",
    "Kicker B - headline"), as ``b`` writes it."""
    heads, tails = [], []
    for title in (a, b):
        found = next((m for m in _KICKER_SPLIT.finditer(title) if m.start() > 0), None)
        heads.append(set(_fold(title[: found.start()]).split()) if found else set())
        tails.append(title[found.end() :] if found else "")
    if not tails[1] or len(tails[1]) < 0.4 * len(b) or _fold(tails[0]) != _fold(tails[1]):
        return None
    # Different kickers, not one headline with its first words spelt two ways.
    return tails[1] if len(heads[0] & heads[1]) < 0.5 * len(heads[0] | heads[1]) else None


def strip_site(title: str, site_names: Sequence[str], host: str | None) -> str:
    """The title without a site name after or before it ("… | Reuters", "BBC News - …",
    "…：朝日新聞デジタル"); the rest is kept as written, dashes and colons inside included."""
    title = _squash(title)
    # The site's whole name after any separator ("… | AOC media - Analyse Opinion Critique").
    for name in site_names:
        if len(name) >= 4 and title.endswith(name) and _SEPARATOR_END.search(title[: -len(name)]):
            title = _SEPARATOR_END.sub("", title[: -len(name)])
    is_site = _site_matcher(site_names, host)
    separators = list(_SITE_SEPARATORS.finditer(title))
    if separators:
        last = separators[-1]
        if title[last.end() :].strip() and is_site(title[last.end() :]):
            title = title[: last.start()].strip()
            # A one-word section between headline and site name: "…-정치ㅣ한국일보".
            if section := _SECTION_SUFFIX.search(title):
                title = title[: section.start()].strip()
        first = separators[0]
        if first.start() > 0 and is_site(title[: first.start()]) and first.end() < len(title):
            title = title[first.end() :].strip()
    # Its name or host without a spaced separator ("… (neues deutschland)", "NDTV.com: …").
    is_named = _site_matcher(site_names, host, strict=True)
    if (tail := _SITE_TAIL.search(title)) and is_named(tail.group(1) or tail.group(2)):
        title = title[: tail.start()].strip()
    if (head := _SITE_HEAD.match(title)) and is_named(head.group(1)):
        title = title[head.end() :].strip()
    return title


_SEPARATOR_END = re.compile(r"\s*[|｜_–—:：·»/*-]\s*$")


_SITE_TAIL = re.compile(r"\s*\(([^()]{2,40})\)$|(?<=\S)-([^\s\-][^\-]{1,40})$")
_SITE_HEAD = re.compile(r"^([^:：\s][^:：]{1,29})[:：]\s+")


_GENERIC_LABELS = frozenset({"www", "com", "net", "org", "gov", "edu", "co", "news"})


def _site_matcher(
    site_names: Sequence[str], host: str | None, strict: bool = False
) -> Callable[[str], bool]:
    """Whether a piece of a title names the site: one of its names, or its host; ``strict``:
    it is one of them or part of the host ("NDTV.com"), not merely a text containing one
    ("Kate Moss auf dem VOGUE-Cover" on vogue.de)."""
    host_letters = re.sub(r"\W", "", (host or "").lower())
    labels = [label for label in (host or "").lower().split(".") if label not in _GENERIC_LABELS]
    names = {n for n in (re.sub(r"\W", "", name.lower()) for name in site_names) if len(n) >= 2}

    def is_site(part: str) -> bool:
        letters = re.sub(r"\W", "", part.lower())
        if len(letters) < 2:
            return False
        if strict:
            return letters in names or (len(letters) >= 4 and letters in host_letters)
        return (
            any(n in letters or letters in n for n in names)
            or any(label in letters for label in labels if len(label) > 3)
            # "BBC News" on www.bbc.co.uk
            or any(letters.startswith(label) for label in labels if len(label) == 3)
            or (len(letters) >= 4 and letters in host_letters)
        )

    return is_site


# A headline's weight (CJK counted twice): longer than a section's name, shorter than a paragraph.
_HEADLINE_ABOVE = (10, 160)
_NOT_SHOWN = frozenset({"script", "style", "noscript", "template", "textarea", "select", "option"})
# Lines that end like these are sentences or labels, not headlines.
_NOT_HEADLINE_END = (".", "。", ",", "，", ":", "：", ";", "；", "…")


def headline_above(body: HtmlElement, lines: Sequence[str]) -> str | None:
    """The headline no markup names: the short line that stands just above the article's
    first paragraph (a bold line, a cell, the post's own permalink), past a dateline or byline
    between them. For pages saved without ``<head>``, or whose ``<title>`` and ``<h1>`` are
    empty; old table-layout portals and blogs. None when the line above is not a headline."""
    first = next((line for line in lines if cleaning.is_prose(line)), None)
    needle = _needle(first) if first else None
    if not needle:
        return None
    found = body.xpath(".//*[contains(., $needle)]", needle=needle)
    if not found:
        return None
    index = 0  # the innermost element holding the first occurrence
    while index + 1 < len(found) and found[index] in found[index + 1].iterancestors():
        index += 1
    holder = found[index]
    inside: list[HtmlElement] = []
    for el in holder.iterdescendants(etree.Element):
        if needle in el.text_content():
            break
        inside.append(el)
    # Short lines the extraction kept above the first paragraph: the headline is likelier
    # among them than a standfirst it left out.
    kept_above = set(lines[: lines.index(first)])
    found_lines: list[str] = []
    seen: str | None = None
    for el in [*reversed(inside), *reversed(holder.xpath("preceding::*"))]:
        if el.tag in _NOT_SHOWN:
            continue
        text = " ".join(el.text_content().split())
        # A container of the line just read (its parent comes after it, read backwards).
        if not text or (seen is not None and seen in text):
            continue
        seen = text
        weight = cleaning.weight(text)
        if weight < 200 and (has_dateline(text) or has_byline(text)):
            continue
        low, high = _HEADLINE_ABOVE
        if not low <= weight <= high or text.endswith(_NOT_HEADLINE_END):
            break
        if text in kept_above:
            return text
        found_lines.append(text)
        if len(found_lines) == 2:
            break
    return found_lines[0] if found_lines else None


def _needle(line: str) -> str | None:
    """A piece of the line to find it in the page by: its longest run without spacing near
    the start (the page may space it with entities the text no longer has)."""
    runs = re.findall(r"\S+", line[:80])
    best = max(runs, key=len, default="")
    return best[:20] if len(best) >= 4 else None


def clean_title(
    title: str | None, h1: str | None, site_names: Sequence[str], host: str | None
) -> str | None:
    """A ``<title>`` without its site suffix or prefix ("…_中国网科技", "… | Reuters",
    "Reuters - …"): the ``h1`` it contains, else its longest part that is not the site."""
    if not title:
        return h1
    title = strip_site(title, site_names, host)
    h1 = _squash(h1) if h1 else None
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title) if p and p.strip()]
    is_site = _site_matcher(site_names, host)
    kept = [p for p in parts if not is_site(p)] or parts
    # An h1 the <title> holds is the headline (CJK counts twice: a three-character name is one)
    # unless a part twice as long stands beside it, set off by a separator ("Site - Headline -
    # Section", with the section's name in the h1).
    if h1 and cleaning.weight(h1) >= 4 and h1 in title:
        beside = _TITLE_SEPARATORS.split(title.replace(h1, "\0"))
        if not any(
            len(p.strip()) > 2 * len(h1) and "\0" not in p and not is_site(p) for p in beside
        ):
            return h1
    if len(parts) < 2:
        return title
    # The headline is the longest part; section names and site names are short.
    best = max(kept, key=len)
    if len(best) < 0.4 * len(title) and not any(is_site(p) for p in parts):
        return title
    return best


def _squash(text: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return re.sub(r"\s+", " ", text).strip()


# --- language ----------------------------------------------------------------------------------


def declared_language(tree: HtmlElement, jsonld: JsonLd, metas: dict[str, str]) -> str | None:
    """``<html lang>``, Content-Language, og:locale or JSON-LD inLanguage, as ISO 639-1."""
    raw = (
        tree.get("lang")
        or tree.get("xml:lang")
        or meta_content(metas, "content-language", "og:locale", "language", "dc.language")
        or jsonld.language
    )
    return _iso639_1(raw)


def _iso639_1(raw: str | None) -> str | None:
    if not raw:
        return None
    code = re.split(r"[-_,;\s]", raw.strip().lower())[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


@cache
def _identifier() -> Any:
    # Loaded once per process on first use; read-only afterwards.
    from crawler.extract import language_model

    return language_model.load()


# The letters (isalpha) of the Han, kana and Hangul syllable blocks.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_KANA = re.compile(r"[\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def script_language(text: str) -> str | None:
    """zh/ja/ko when CJK scripts dominate the text: cheaper and surer than a model."""
    sample = text[:3000]
    letters = sum(map(str.isalpha, sample))
    if not letters:
        return None
    han, kana, hangul = (len(script.findall(sample)) for script in (_HAN, _KANA, _HANGUL))
    if hangul > 0.3 * letters:
        return "ko"
    if kana > 0.05 * letters and han + kana > 0.3 * letters:
        return "ja"
    if han > 0.3 * letters:
        return "zh"
    return None


def detect_language(text: str, declared: str | None) -> tuple[str | None, bool]:
    """The text's language and whether the page's declaration was overruled.

    The declaration wins unless the text clearly says otherwise: short texts and close
    calls keep it.
    """
    if not text:
        return declared, False
    detected = script_language(text)
    confident = detected is not None
    if detected is None and len(text) >= 80:
        lang, prob = _identifier().classify(text[:2000])
        detected, confident = lang, prob >= 0.9 and len(text) >= 200
    if detected is None:
        return declared, False
    if declared is None:
        return detected, False
    if declared != detected and confident:
        return detected, True
    return declared, False
