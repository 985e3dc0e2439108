"""HTML text + URL + site config -> article fields. Pure: no Scrapy, no I/O, no global state,
so it runs the same in the spider, in ``scrapy extract``, in benchmarks and in worker
processes.

trafilatura finds the main content; newscrawl then reads it line by line, without captions,
link-list blocks, what follows the article (``second_opinion``) and the furniture lines it
lets through, and reads metadata trafilatura does not give (dates with time, offset and
source, language checked against the text, clean titles and author lists).
"""

from __future__ import annotations

import html
import json
import re
from functools import cache, partial
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    document_fromstring,
)
from trafilatura import bare_extraction
from trafilatura.utils import repair_faulty_html

from crawler.extract import (
    authors,
    cleaning,
    dates,
    furniture,
    metadata,
    second_opinion,
    structure,
    urls,
)
from crawler.extract.extracted import Extraction
from crawler.extract.roundups import Roundups
from crawler.extract.templates import SiteKnowledge
from crawler.extract.verdict import (
    PageSignals,
    article_verdict,
    has_byline,
    has_dateline,
    opens_with_dateline,
)
from crawler.sites import SiteConfig

# Inline elements of trafilatura's output format; every other element is a block.
_INLINE = frozenset({"hi", "del", "span", "sub", "sup"})
# Elements of trafilatura's output whose newlines are line breaks.
_PREFORMATTED = frozenset({"quote", "code"})
# trafilatura's parser options. Its element classes are chosen in C: lxml.html's own choice is a
# Python call for every element object created, and trafilatura's copies of the tree and its
# XPaths create millions (a tenth of the extraction time). Every element is an HtmlElement; only
# the form classes (FormElement, InputElement, …), which nothing here uses, are given up.
_PARSER = HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)
# <meta> tags that name a page's authors, as the page writes them.
_AUTHOR_METAS = ("author", "dc.creator", "parsely-author", "sailthru.author", "byl")
# Longer lines (CJK counted twice) are paragraphs, not link lists, whatever their links.
_LONGEST_LINK_LINE = 400


def extract_page(
    html: str,
    url: str | None,
    site: SiteConfig | None = None,
    date_hint: dates.FoundDate | None = None,
    knowledge: SiteKnowledge | None = None,
    *,
    found_via: str | None = None,
) -> Extraction:
    """Extract one page. ``date_hint`` is the sitemap/feed date seen before fetching;
    ``knowledge`` what the crawl has learned of the site's template so far; ``found_via``
    where the URL was found ("news_sitemap", "sitemap", "feed", "listing"), a vote in the
    article verdict."""
    tree = _parse(html)
    if tree is None:
        return Extraction(is_article=False, verdict="unparsable")
    base = _base_url(tree, url)
    tz = site.timezone if site else None
    jsonld = metadata.read_jsonld(tree)
    metas = metadata.meta_tags(tree)
    # The byline element is looked for at most once: for trafilatura's fields, then the authors.
    dom_byline = cache(partial(metadata.dom_author, tree))
    meta = metadata.trafilatura_fields(tree, jsonld, dom_byline)
    h1s = [" ".join(_text(el).split()) for el in tree.iter("h1")]
    og_title = metadata.meta_content(metas, "og:title")
    h1 = next(filter(None, h1s), None) or jsonld.headline or og_title
    site_names = [n for n in (metadata.meta_content(metas, "og:site_name"), meta.sitename) if n]
    if site:
        site_names.append(site.name)
    host = urlsplit(url).hostname if url else None
    page_title = _first_text(tree, "//title") or meta.title
    title = metadata.choose_title(h1s, og_title, jsonld.headline, page_title, site_names, host)
    # Read once: the header, the link density and the link lines all need them.
    body = tree.find("body")
    body_text = body.text_content() if body is not None else ""
    link_texts = [_text(a) for a in body.iter("a")] if body is not None else []
    flat_body = " ".join(body_text.split())
    page_link_density = _link_density(flat_body, link_texts)
    og_type = (metadata.meta_content(metas, "og:type") or "").lower() or None
    declared = (site.language if site else None) or metadata.declared_language(tree, jsonld, metas)

    captions = structure.caption_texts(tree)
    lines = [line for line in _main_lines(tree, url, site, link_texts) if line not in captions]
    if title is None and body is not None:
        title = metadata.headline_above(body, lines)
    header = _header_text(flat_body, h1 or title)
    headline_above = _headline_above(
        flat_body,
        (title, h1, *h1s, og_title, jsonld.headline, *_title_heads(page_title, lines)),
    )
    headlines = {h for h in (h1, title) if h}
    lead = _standfirst(body, flat_body, meta.description, lines)
    if lead:
        # Under the headline where the lines repeat it: what stands above that goes.
        at = next((i + 1 for i, line in enumerate(lines[:6]) if line in headlines), 0)
        lines.insert(at, lead)
    # Without a headline to anchor on, the dateline is at the top of the body.
    header = header or " ".join(lines[:3])[:300]
    headline_links = _headline_links(link_texts)
    teasers = (
        _teaser_blocks(body)
        if body is not None and _may_have_teasers(flat_body, lines, headline_links)
        else []
    )
    if not any(map(cleaning.is_prose, lines)):
        lines = lines + _script_article(tree)
    more = _body_lines_after(lines, jsonld.article_body) if jsonld.article_body else []
    text = _without_teasers(_finish(lines + more, headlines, knowledge), teasers)
    untemplated = (
        _without_teasers(_finish(lines + more, headlines, None), teasers)
        if knowledge and knowledge.boilerplate
        else None
    )
    warnings: list[str] = []
    if jsonld.refused:
        warnings.append("jsonld_refused")
    language, overruled = metadata.detect_language(text or "", declared)
    if overruled:
        warnings.append("language_mismatch")

    date = metadata.find_published(tree, url, jsonld, metas, header, tz)
    if date is None:
        date = metadata.htmldate_date(tree, url) or date_hint
    if date is None and (date := dates.date_in_text(header, tz)):
        # A date in the first sentences may be an event's, not the article's.
        warnings.append("date_from_text")
    if date is None:
        warnings.append("no_date")
    elif date_hint and date is not date_hint and dates.days_apart(date, date_hint) > 2:
        warnings.append(f"date_disagrees_with_{date_hint.source}")
    # The text's prose paragraphs (``cleaning.is_prose``), each weighed once.
    prose_weighed = [
        (line, w)
        for line in (text or "").splitlines()
        if (w := cleaning.weight(line)) >= cleaning.PROSE_WEIGHT
    ]
    prose = [line for line, _ in prose_weighed]
    text_chars = _chars(text or "")
    signals = PageSignals(
        og_type=og_type,
        jsonld_article=bool(jsonld.types & metadata.ARTICLE_TYPES),
        title=title,
        text_chars=text_chars,
        long_paragraphs=len(prose),
        link_density=page_link_density,
        article_elements=sum(1 for _ in body.iter("article")) if body is not None else 0,
        headline_above=headline_above,
        headline_links=len(headline_links),
        headline_links_weight=sum(map(cleaning.weight, headline_links)),
        prose_weight=sum(w for _, w in prose_weighed),
        teaser_prose=sum(1 for line in prose if _is_teaser(line, teasers)),
        text_weight=text_chars + cleaning.weight(text or "") - len(text or ""),
        entries=_entries(body) if body is not None else 0,
        lead_dateline=bool(prose) and opens_with_dateline(prose[0]),
    )
    is_article, verdict = article_verdict(url, signals, site, found_via=found_via)
    canonical = _canonical(tree, metas, base, url, site, warnings)
    author_metas = [
        content
        for el in tree.iter("meta")
        if (el.get("name") or el.get("property") or "").lower() in _AUTHOR_METAS
        and (content := (el.get("content") or "").strip())
    ]
    result = Extraction(
        is_article=is_article,
        verdict=verdict,
        text=text,
        title=title,
        description=meta.description,
        authors=authors.choose_authors(
            # trafilatura's author (its reading of the <meta> tags, else of the byline element)
            # only where the page's own author tags name none: it is theirs, normalised.
            jsonld.authors,
            author_metas or ([meta.author] if meta.author else []),
            header,
            site_names,
            host,
            dom_byline=dom_byline,
        ),
        date=date,
        date_modified=metadata.find_modified(jsonld, metas, tz),
        language=language,
        image_url=meta.image,
        categories=_unique(jsonld.section + list(meta.categories or [])),
        tags=_unique(jsonld.keywords + list(meta.tags or [])),
        canonical_url=canonical,
        warnings=warnings,
        untemplated_text=untemplated if untemplated != text else None,
    )
    if not is_article and base:
        result.links, result.unparsable_links = _links(tree, base)
        result.feeds = _feeds(tree, base)
    return result


# Comments between ``</html>`` and the markup after it ("<!--end header-->") are skipped.
_MARKUP_AFTER_END = re.compile(r"(?is)</html\s*>(?:\s*<!--.*?-->)*\s*<(?!!--)")
_END_TAGS = re.compile(r"(?i)</(body|html)\s*>")


def _parse(html: str) -> HtmlElement | None:
    """The page's tree, after trafilatura's loader's repairs, always read as a whole document:
    that loader refuses a page whose first 50 characters do not say "html" when its tree has
    fewer than two children, and an old portal page that opens with a ``<script>`` before its
    doctype and has a CMS tag in ``<head>`` loads as a head alone."""
    if not html.strip():
        return None
    html = repair_faulty_html(html, html[:50].lower())
    if _MARKUP_AFTER_END.search(html):
        # Two documents in one (a server-side include that is a page of its own): a browser
        # shows what follows ``</html>`` in the body, where libxml2 drops it.
        html = _END_TAGS.sub("", html)
    try:
        return document_fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except etree.ParserError:
        return None


def _main_lines(
    tree: HtmlElement, url: str | None, site: SiteConfig | None, link_texts: list[str]
) -> list[str]:
    """The lines of the main content, before furniture removal. ``link_texts``: the texts of
    the page's links."""
    if site and site.body_xpath:
        found = tree.xpath(site.body_xpath)
        if found and isinstance(found[0], HtmlElement):
            for xp in site.prune_xpath:
                for el in found[0].xpath(xp):
                    el.drop_tree()
            return _element_lines(found[0])
    with second_opinion.listening() as readability:
        doc = bare_extraction(
            tree,
            url=url,
            include_comments=False,
            include_links=False,
            include_tables=True,
            include_images=False,
            prune_xpath=list(site.prune_xpath) if site and site.prune_xpath else None,
        )
    if doc is None or doc.body is None:
        return []
    lines = _body_lines(doc.body, _LinkTexts(link_texts), Roundups(tree, url))
    return second_opinion.trim_tail(lines, readability[0]) if readability else lines


_NOT_SHOWN = frozenset({"script", "style", "noscript", "template", "textarea"})
# Under the headline, a heading is a subtitle or a kicker, not a standfirst.
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _standfirst(
    body: HtmlElement | None, flat_body: str, description: str | None, lines: list[str]
) -> str | None:
    """The standfirst, when the extracted lines lack it: the lead under the headline, written
    for the article and usually its meta description too, which trafilatura drops when it
    stands outside the container it takes. It must be shown in the page (not only in a script),
    above the article's first paragraph, as an element of its own (not a heading) that opens
    with the description and is not much longer (not a caption and the lead glued together, not
    a whole teaser block)."""
    if body is None or not description or cleaning.weight(description) < 80:
        return None
    needle = " ".join(description.split())[:60]
    at = flat_body.find(needle)
    if at < 0 or needle in " ".join(lines):
        return None
    # A standfirst stands above the article's first paragraph; a summary further down is a
    # teaser box (on the page itself, or one that lists this article among others).
    first = next((line for line in lines if cleaning.is_prose(line)), None)
    if first is not None and 0 <= flat_body.find(first[:60]) < at:
        return None
    found = body.xpath(".//*[contains(normalize-space(.), $needle)]", needle=needle)
    # The innermost element holding the first occurrence.
    index = 0
    while index + 1 < len(found) and found[index] in found[index + 1].iterancestors():
        index += 1
    if not found or found[index].tag in _NOT_SHOWN or found[index].tag in _HEADINGS:
        return None
    text = " ".join(found[index].text_content().split())
    if text.startswith(needle[:30]) and cleaning.weight(text) <= 3 * cleaning.weight(description):
        return text
    return None


# Markup some publishers leave in their JSON-LD articleBody: Markdown links and emphasis,
# attribute lists ("{: .small}"), and lines that are layout directives ("+++dropcap",
# "$$ARTICLEAD$$").
_BODY_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]+\)")
_BODY_MARKUP = re.compile(r"\{:[^}\n]*\}|(?<!\w)[*_]{1,2}(?=\S)|(?<=\S)[*_]{1,2}(?!\w)")
_BODY_DIRECTIVE = re.compile(r"^[^\w\s]{2,}\w*[^\w\s]*$")
# What the JSON-LD body must add, at least, to be taken: more than a stray closing line.
_BODY_REST_MIN = 400


def _body_lines_after(lines: list[str], article_body: str) -> list[str]:
    """The paragraphs of the page's JSON-LD ``articleBody`` that come after the last one the
    page shows: the rest of an article whose page renders only its start (the rest arrives by
    script, or behind a paywall the publisher's structured data ignores). Nothing when the
    shown text's last paragraph is not in it, or when little follows."""
    last = next((line for line in reversed(lines) if cleaning.is_prose(line)), None)
    if last is None:
        return []
    needle = last[:60]
    paragraphs = [
        line
        for line in (_clean_body_line(raw) for raw in article_body.split("\n"))
        if line and not _BODY_DIRECTIVE.match(line)
    ]
    at = next((i for i, p in enumerate(paragraphs) if needle in p), None)
    if at is None:
        return []
    rest = paragraphs[at + 1 :]
    return rest if sum(map(cleaning.weight, rest)) >= _BODY_REST_MIN else []


# An article's HTML as a JSON string in a page's state script (Next.js, Nuxt and the like).
_SCRIPT_HTML = re.compile(
    r'"(?:contentHtml|articleBody|bodyHtml|content|body|html)"\s*:\s*"((?:[^"\\]|\\.){400,})"'
)
_SCRIPT_PARAGRAPHS = 3


def _script_article(tree: HtmlElement) -> list[str]:
    """The lines of the article a page renders by script alone: its body shows no prose, but
    a state script carries the article's HTML (the longest such string with paragraphs)."""
    best: str | None = None
    for script in tree.iter("script"):
        if script.get("type") == "application/ld+json" or not script.text:
            continue
        for match in _SCRIPT_HTML.finditer(script.text):
            try:
                value = json.loads(f'"{match.group(1)}"')
            except ValueError:
                continue
            if value.count("<p") >= _SCRIPT_PARAGRAPHS and len(value) > len(best or ""):
                best = value
    if best is None:
        return []
    try:
        fragment = document_fromstring(f"<html><body>{best}</body></html>", parser=_PARSER)
    except etree.ParserError:
        return []
    for el in fragment.xpath("//figure|//figcaption|//*[contains(@class, 'caption')]"):
        el.drop_tree()
    body = fragment.find("body")
    if body is None:
        return []
    return [line for line in _element_lines(body) if not _BODY_DIRECTIVE.match(line)]


def _clean_body_line(raw: str) -> str:
    line = _BODY_MARKUP.sub("", _BODY_LINK.sub(r"\1", html.unescape(raw)))
    return cleaning.clean_line(line)


# How far down the lines the headline is looked for (breadcrumbs, menus, tags stand above it).
_HEADLINE_WITHIN = 12


def _is_headline(line: str, headlines: set[str]) -> bool:
    """The headline, or a short line that holds it with a kicker ("Exclusive: …")."""
    return line in headlines or (
        not cleaning.is_prose(line)
        and any(cleaning.weight(h) >= _HEADLINE_WEIGHT and h in line for h in headlines)
    )


def _finish(lines: list[str], headlines: set[str], knowledge: SiteKnowledge | None) -> str | None:
    """Article text: without the headline repeated on top, the site's template lines and
    furniture lines."""
    if knowledge is not None:
        lines = knowledge.strip(lines)
    # The headline marks where the article starts: short lines before it are navigation.
    for index, line in enumerate(lines[:_HEADLINE_WITHIN]):
        if _is_headline(line, headlines):
            if not any(cleaning.is_prose(before) for before in lines[:index]):
                lines = lines[index + 1 :]
            break
    kept, _ = furniture.strip_furniture(furniture.without_slideshow(lines))
    return "\n".join(kept) or None


class _LinkTexts:
    """The texts of the page's links, to measure how much of a line is link text: what tells a
    headline list or a navigation bar among the lines trafilatura returns. (Asked to keep the
    links in its output, trafilatura chooses other content, measurably worse.)"""

    def __init__(self, link_texts: list[str]) -> None:
        # Each distinct text once: a page repeats its menus' links.
        self._texts = {text for text in map(_letters, set(link_texts)) if len(text) >= 2}
        lengths: dict[str, set[int]] = {}
        for text in self._texts:
            lengths.setdefault(text[:2], set()).add(len(text))
        # Per first two characters, the lengths of the link texts that open with them, longest
        # first: each position of a line costs one look-up per length, not one comparison per
        # link (a page with 60,000 links of one prefix took minutes).
        self._lengths = {k: sorted(v, reverse=True) for k, v in lengths.items()}

    def share(self, line: str) -> float:
        """Share of the line's letters and digits that are the text of a link."""
        text = _letters(line)
        at = linked = 0
        while at < len(text):
            for length in self._lengths.get(text[at : at + 2], ()):
                if at + length <= len(text) and text[at : at + length] in self._texts:
                    linked += length
                    at += length
                    break
            else:
                at += 1
        return linked / len(text) if text else 0.0


def _body_lines(
    body: etree._Element, links: _LinkTexts, roundups: Roundups | None = None
) -> list[str]:
    """Lines of trafilatura's output tree without runs of link lines (headline lists,
    navigation) and lines with no letters (bullets, separators). A lone linked line between
    prose lines stays (a linked headline, an e-mail address, a source), and so does a linked
    line that is itself a finished sentence of prose or a long paragraph, and a run that
    ``roundups`` says is the post's own list of links to other sites' stories."""
    rendered = []
    for text in _rendered_lines(body):
        line = cleaning.clean_line(html.unescape(text) if "&" in text else text)
        if any(map(str.isalnum, line)):
            linked = (
                cleaning.weight(line) <= _LONGEST_LINK_LINE
                and not cleaning.is_sentence(line)
                and links.share(line) > 0.6
            )
            rendered.append((line, linked))
    # A linked line goes when a neighbour is linked too.
    dropped = [
        linked
        and any(
            other
            for _, other in rendered[max(index - 1, 0) : index] + rendered[index + 1 : index + 2]
        )
        for index, (_, linked) in enumerate(rendered)
    ]
    lines: list[str] = []
    index = 0
    while index < len(rendered):
        if not dropped[index]:
            lines.append(rendered[index][0])
            index += 1
            continue
        end = index
        while end < len(dropped) and dropped[end]:
            end += 1
        run = [line for line, _ in rendered[index:end]]
        after = rendered[end][0] if end < len(rendered) else None
        if roundups is not None and roundups.keeps(run, lines[-1] if lines else None, after):
            lines.extend(run)
        index = end
    return lines


def _rendered_lines(body: etree._Element) -> list[str]:
    """The lines of trafilatura's output: every block element and every ``<lb/>`` or newline
    ends a line; loose text between blocks is a line of its own. In a block that marks its
    breaks with ``<lb/>`` (and is not preformatted: ``<pre>`` becomes ``quote`` or ``code``),
    a newline is the source's wrapping, which trafilatura keeps in text it merges from inline
    elements: a space. Elsewhere trafilatura joins the texts of elements it merged with it."""
    lines: list[str] = []
    parts: list[str] = []

    def flush(wrapped: bool) -> None:
        text = "".join(parts)
        lines.extend((text.replace("\n", " "),) if wrapped else text.split("\n"))
        parts.clear()

    def walk(el: etree._Element, wrapped: bool, preformatted: bool) -> None:
        if el.tag == "lb":
            flush(wrapped)
            return
        inline = el.tag in _INLINE
        if not inline:
            flush(wrapped)
            preformatted = preformatted or el.tag in _PREFORMATTED
            wrapped = not preformatted and el.find("lb") is not None
        parts.append(el.text or "")
        for child in el:
            walk(child, wrapped, preformatted)
            parts.append(child.tail or "")
        if not inline:
            flush(wrapped)

    walk(body, False, False)
    return [line for line in lines if line.strip()]


def _element_lines(el: HtmlElement) -> list[str]:
    """Lines of a site's ``body_xpath`` element, one per block, ``<br>`` as a break."""
    for br in el.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in el.iter(*structure.BLOCK_TAGS):
        block.tail = "\n" + (block.tail or "")
        block.text = "\n" + (block.text or "")
    for junk in el.xpath(".//script|.//style|.//noscript"):
        junk.drop_tree()
    return _split_lines(el.text_content())


def _text(el: HtmlElement) -> str:
    """``el.text_content()``, without its XPath call where the element has no children (most
    links): 0.39 -> 0.23 ms a page for the links."""
    return el.text_content() if len(el) else el.text or ""


def _split_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


# What ``str.isalnum`` refuses, as a pattern: a regular expression's ``\w`` is alphanumeric or
# "_". Removing it is faster than filtering by character (0.38 -> 0.27 ms a page for the links).
_NOT_ALNUM = re.compile(r"[\W_]+")


def _letters(text: str) -> str:
    """The text's letters and digits (what ``str.isalnum`` accepts)."""
    return _NOT_ALNUM.sub("", text)


def _chars(text: str) -> int:
    return len("".join(text.split()))


def _first_text(tree: HtmlElement, xpath: str) -> str | None:
    for el in tree.xpath(xpath):
        text = " ".join(el.text_content().split())
        if text:
            return text
    return None


def _headline_above(flat_body: str, headlines: tuple[str | None, ...]) -> bool:
    """Whether the page's headline stands in its body with a dateline or byline under it. A
    section's name ("World", "国际") stands above its listing's dates too: a headline is
    longer."""
    for headline in dict.fromkeys(headlines):  # the title, h1 and og:title are often one
        if headline and cleaning.weight(headline) >= _HEADLINE_WEIGHT:
            header = _header_text(flat_body, headline)
            if header and (has_dateline(header) or has_byline(header)):
                return True
    return False


def _title_heads(page_title: str | None, lines: list[str]) -> list[str]:
    """Lines at the top of the text that the ``<title>`` begins with: the headline, whatever
    section and site names its ``<title>`` adds ("Headline-Section-Site")."""
    if not page_title:
        return []
    return [
        line
        for line in lines[:_HEADLINE_WITHIN]
        if page_title.startswith(line) and len(line) < len(page_title)
    ]


# hAtom entries (structure.ENTRY_CLASSES) and schema.org article items (microdata). Through the
# attributes, not a predicate on every element: 0.58 -> 0.37 ms a page.
_ENTRY_CANDIDATES = etree.XPath(".//*/@itemtype/.. | .//*/@class[contains(., 'entry')]/..")


def _entries(body: HtmlElement) -> int:
    """The page's hAtom entries, or else its schema.org article items: one is the article, a
    listing has many (as with ``<article>``)."""
    entries = items = 0
    for el in _ENTRY_CANDIDATES(body):
        if structure.ENTRY_CLASSES.intersection((el.get("class") or "").split()):
            entries += 1
        types = (t.rstrip("/").rsplit("/", 1)[-1].lower() for t in el.get("itemtype", "").split())
        if any(t in metadata.ARTICLE_TYPES for t in types):
            items += 1
    return entries or items


def _header_text(flat_body: str, headline: str | None) -> str:
    """The text just after the headline: where datelines and bylines stand."""
    if not headline:
        return ""
    at = flat_body.find(headline)
    return flat_body[at : at + len(headline) + 300] if at >= 0 else ""


_HEADLINE_WEIGHT = 20
# A link text this heavy (CJK counted twice) is a headline; lighter ones are navigation.
_HEADLINE_LINK = (16, 240)


def _headline_links(link_texts: list[str]) -> list[str]:
    """The page's distinct links that read as headlines: what a listing is made of."""
    low, high = _HEADLINE_LINK
    texts = dict.fromkeys(" ".join(t.split()) for t in link_texts)
    return [t for t in texts if low <= cleaning.weight(t) <= high]


# A teaser block: a headline link that opens at most this much text, and some prose after it.
_TEASER_MAX = 600


# A teaser's text starts this close after its headline in the page's text (a date between).
_TEASER_GAP = 150
_TEASERS_MIN = 2


def _may_have_teasers(flat_body: str, lines: list[str], headline_links: list[str]) -> bool:
    """Whether paragraphs of the text stand just after headline links in the page, as teasers
    do: only then are the page's teaser blocks looked for (a search of its links that would
    otherwise cost every page). One teaser is no box of them."""
    if len(headline_links) < 4:
        return False
    found = 0
    for line in lines:
        if cleaning.is_prose(line) and _after_headline_link(flat_body, line[:40], headline_links):
            found += 1
            if found == _TEASERS_MIN:
                return True
    return False


def _after_headline_link(flat_body: str, needle: str, headline_links: list[str]) -> bool:
    """Whether one of the first occurrences of ``needle`` follows a headline link closely (a
    teaser may open with its headline's words: its first occurrence is then the link's)."""
    at = flat_body.find(needle)
    for _ in range(3):
        if at < 0:
            return False
        before = flat_body[max(at - _TEASER_GAP, 0) : at]
        if any(headline in before for headline in headline_links):
            return True
        at = flat_body.find(needle, at + 1)
    return False


def _teaser_blocks(body: HtmlElement) -> list[str]:
    """The texts of blocks that open with a headline link on a line of its own followed by a
    paragraph's worth of text: the entries of a listing with teasers, or of a "more stories"
    box, whose teasers extraction keeps as prose while it drops their headlines."""
    low, high = _HEADLINE_LINK
    blocks: list[str] = []
    # Many links share their ancestors (a list's items, a column): each one's text read once.
    texts: dict[HtmlElement, str] = {}

    def flat(el: HtmlElement) -> str:
        if el not in texts:
            texts[el] = " ".join(_text(el).split())
        return texts[el]

    for link in body.iter("a"):
        headline = flat(link)
        if not low <= cleaning.weight(headline) <= high:
            continue
        # The line the link stands on must be the headline alone (not a link in a paragraph).
        el: HtmlElement | None = link
        while el is not None and el.tag not in structure.BLOCK_TAGS and el is not body:
            el = el.getparent()
        if el is None or el is body or flat(el) != headline:
            continue
        for _ in range(3):
            el = el.getparent() if el is not None else None
            if el is None or el is body:
                break
            block = flat(el)
            size = cleaning.weight(block)
            if size > _TEASER_MAX or not block.startswith(headline):
                break
            # What is not link text: a teaser is prose, a list of links is none.
            unlinked = size - sum(cleaning.weight(flat(a)) for a in el.iter("a"))
            if unlinked >= cleaning.PROSE_WEIGHT:
                blocks.append(block)
                break
    return blocks


# Share of the paragraphs from the first teaser on that must be teasers for them to be a box.
_TEASER_BOX = 0.6


def _is_teaser(prose: str, teasers: list[str]) -> bool:
    """Whether a line of prose (the callers' lines are all prose) opens one of the teasers."""
    return any(prose[:60] in teaser for teaser in teasers)


def _without_teasers(text: str | None, teasers: list[str]) -> str | None:
    """The text without the teasers of other stories that follow the article's own prose (a
    "more stories" box extraction took in): from the first teaser on, nearly every paragraph
    is one. Teasers that come first are the page's content: a listing, which the verdict
    refuses; teasers among other paragraphs are a list the page is made of: they stay."""
    if not text or not teasers:
        return text
    lines = text.split("\n")
    prose = [i for i, line in enumerate(lines) if cleaning.is_prose(line)]
    teaser = [i for i in prose if _is_teaser(lines[i], teasers)]
    if not prose or not teaser or teaser[0] == prose[0]:
        return text
    after = [i for i in prose if i >= teaser[0]]
    if len(teaser) < _TEASER_BOX * len(after):
        return text
    dropped = set(teaser)
    return "\n".join(line for i, line in enumerate(lines) if i not in dropped)


def _link_density(flat_body: str, link_texts: list[str]) -> float:
    """Share of the body's non-space characters that are link text. ``flat_body``: the body's
    text with its spaces collapsed (the characters are its length less its single spaces)."""
    total = len(flat_body) - flat_body.count(" ")
    linked = _chars("".join(link_texts))
    return linked / total if total else 0.0


def _base_url(tree: HtmlElement, url: str | None) -> str | None:
    href = tree.xpath("string(//base/@href)")
    if href and url:
        return urls.join_url(url, href) or url
    return url or (href or None)


# The whole document's, not the root's subtree's: markup libxml2 could not fit under the root
# (a stray ``</html>``) stands beside it.
_CANONICAL = etree.XPath("string(//link[@rel='canonical']/@href)")


def _canonical(
    tree: HtmlElement,
    metas: dict[str, str],
    base: str | None,
    url: str | None,
    site: SiteConfig | None,
    warnings: list[str],
) -> str | None:
    href = _CANONICAL(tree) or metadata.meta_content(metas, "og:url")
    if not href or not base:
        return None
    canonical = urls.absolute_http_url(href, base)
    if canonical is None:
        return None
    if site is not None:
        allowed = site.allows(canonical)
    elif url and url.startswith("http"):
        allowed = _same_host(canonical, url)
    else:
        allowed = True  # a stored page: its canonical URL is the best URL we have
    if not allowed:
        warnings.append("offsite_canonical")
        return None
    return canonical


def _same_host(a: str, b: str) -> bool:
    def host(u: str) -> str:
        h = (urlsplit(u).hostname or "").lower()
        return h[4:] if h.startswith("www.") else h

    return host(a) == host(b)


def _links(tree: HtmlElement, base: str) -> tuple[list[str], int]:
    """The page's http(s) links, and how many of its links urllib cannot parse."""
    links: dict[str, None] = {}
    unparsable = 0
    for href in (h.strip() for h in tree.xpath("//a/@href")):
        if url := urls.absolute_http_url(href, base):
            links[url] = None
        elif href and urls.join_url(base, href) is None:
            unparsable += 1
    return list(links), unparsable


def _feeds(tree: HtmlElement, base: str) -> list[str]:
    hrefs = tree.xpath(
        "//link[contains(@rel,'alternate')][contains(@type,'rss') or contains(@type,'atom')]/@href"
    )
    feeds = (urls.absolute_http_url(h, base) for h in hrefs)
    return list(dict.fromkeys(u for u in feeds if u))


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
