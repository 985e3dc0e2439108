"""Page structure that main-content extraction misreads: old layouts whose paragraphs are
``<br>`` runs (rewritten as paragraphs before extraction), picture captions (found here,
removed from the extracted lines), and markup nested deeper than the parser reads. Nothing here
imports Scrapy: it runs in the extraction workers."""

from __future__ import annotations

import re

from lxml.html import HtmlElement, fragment_fromstring

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
_BR_CONTAINERS = ("td", "div", "font", "span", "p", "center", "section", "article", "body")
_CAPTION_ATTR = re.compile(
    r"(?i)(caption|pic-?(txt|text|title|info|desc)|img-?(desc|txt|text)|"
    r"photo-?(text|desc|caption)|figure-?text|image-?credit)"
)
_NEVER_CAPTIONS = frozenset({"body", "html", "article", "main"})
# More image-caption pairs than this make a photo essay, whose captions are its text.
_PHOTO_ESSAY = 5
_CJK_SENTENCE_END = re.compile(r"[。！？]\W{0,2}$")
_TWO_SENTENCES = re.compile(r"[.!?。！？]\s*\S.*[.!?。！？]")


def split_br_paragraphs(tree: HtmlElement) -> int:
    """Turn text separated by ``<br>`` inside a container into ``<p>`` elements.

    2005-era portals put the whole article in one ``<td>`` with ``<br><br>`` between
    paragraphs; extractors score ``<p>`` elements and would merge or drop that text.
    Returns how many containers were rewritten.
    """
    rewritten = 0
    for el in list(tree.iter(*_BR_CONTAINERS)):
        brs = [c for c in el if c.tag == "br"]
        if len(brs) < 2 or _direct_text_len(el) < 60:
            continue
        _rebuild(el)
        rewritten += 1
    return rewritten


def _direct_text_len(el: HtmlElement) -> int:
    total = len((el.text or "").strip())
    for child in el:
        if child.tag not in BLOCK_TAGS:
            total += len(child.text_content().strip()) if child.tag != "br" else 0
        total += len((child.tail or "").strip())
    return total


def _rebuild(el: HtmlElement) -> None:
    children = list(el)
    text = el.text
    for child in children:
        el.remove(child)
    el.text = None
    current = _new_p(text)
    for child in children:
        tail, child.tail = child.tail, None
        if child.tag == "br":
            _flush(el, current)
            current = _new_p(tail)
        elif isinstance(child.tag, str) and child.tag in BLOCK_TAGS:
            _flush(el, current)
            el.append(child)
            current = _new_p(tail)
        else:
            current.append(child)
            child.tail = tail
    _flush(el, current)


def _new_p(text: str | None) -> HtmlElement:
    p = fragment_fromstring("<p></p>")
    p.text = text
    return p


def _flush(parent: HtmlElement, p: HtmlElement) -> None:
    if p.text_content().strip() or p.xpath(".//img"):
        parent.append(p)


def caption_texts(tree: HtmlElement) -> frozenset[str]:
    """Texts of picture captions: ``<figcaption>``, caption-classed elements, and the short
    centred line right after an image (old portals).

    Captions are not article prose: left in, "线下数字人民币支付场景" ends up glued to the
    paragraph before it. They are removed from the extracted lines, not from the tree, so
    that the extractor's choice of container does not change. A page with many image-line
    pairs is a photo essay whose lines are the article, so that rule then stands down.
    """
    found = [el.text_content() for el in tree.iter("figcaption")]
    for el in tree.iter():
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if names != " " and _CAPTION_ATTR.search(names) and el.tag not in _NEVER_CAPTIONS:
            found.append(el.text_content())
    after_image = []
    for img in tree.iter("img"):
        holder = _image_holder(img)
        if holder is None:
            continue
        nxt = holder.getnext()
        if (
            nxt is not None
            and _is_centered(nxt)
            and _is_caption_text(nxt.text_content())
            and not nxt.xpath(".//img")
        ):
            after_image.append(nxt.text_content())
        elif holder is not img and _is_caption_text(holder.text_content()):
            after_image.append(holder.text_content())
    if len(after_image) <= _PHOTO_ESSAY:
        found.extend(after_image)
    return frozenset(line for text in found if len(line := " ".join(text.split())) <= 200)


def _image_holder(img: HtmlElement) -> HtmlElement | None:
    """The block that carries the image (the image itself when it stands alone)."""
    el = img
    while el.getparent() is not None and el.getparent().tag in ("a", "span", "strong", "b", "i"):
        el = el.getparent()
    parent = el.getparent()
    if (
        parent is not None
        and parent.tag in ("p", "div", "center", "figure")
        and len(parent.text_content().strip()) <= 60
    ):
        return parent
    return el


def _is_centered(el: HtmlElement) -> bool:
    """Old portals centre the caption line under a centred picture; prose is not centred."""
    style = (el.get("style") or "").replace(" ", "").lower()
    return (
        el.tag == "center"
        or (el.get("align") or "").lower() == "center"
        or "text-align:center" in style
        or "center" in (el.get("class") or "").lower()
    )


def _is_caption_text(text: str) -> bool:
    """Short, one sentence at most, and not a finished Chinese sentence."""
    text = " ".join(text.split())
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    weight = len(text) + cjk
    return (
        0 < weight <= 130 and not _CJK_SENTENCE_END.search(text) and not _TWO_SENTENCES.search(text)
    )


_TAG = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)[^>]*?(/?)>")
# Void elements never nest; these close themselves implicitly, so unclosed ones do not nest.
_FLAT = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option"}
)  # fmt: skip
# libxml2 (lxml, trafilatura) stops reading HTML nested deeper than this unless told to read
# "huge" trees, which newscrawl never does on hostile input.
PARSER_MAX_DEPTH = 255


def too_deep(html: str, limit: int = PARSER_MAX_DEPTH) -> bool:
    """Whether elements nest deeper than the HTML parser reads (the text below is lost)."""
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        if closing:
            depth = max(0, depth - 1)
        elif not self_closing and name.lower() not in _FLAT:
            depth += 1
            if depth > limit:
                return True
    return False
