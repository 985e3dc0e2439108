"""Page structure that main-content extraction misreads: picture captions (found here, removed
from the extracted lines) and markup nested deeper than the parser reads. Nothing here imports
Scrapy: it runs in the extraction workers.

Old layouts whose paragraphs are ``<br>`` runs need no rewriting: trafilatura keeps each
``<br>`` as a line break, which becomes a paragraph break in ``text``; rewriting them as
``<p>`` beforehand made trafilatura choose worse containers (corpus zh F1 0.914 against 0.923).
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

# Classes of an hAtom entry (a post): one on a page is the article, a blog's home has many.
ENTRY_CLASSES = frozenset({"hentry", "h-entry"})
_HATOM_ENTRIES = etree.XPath(
    "//*["
    + " or ".join(
        f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"
        for name in sorted(ENTRY_CLASSES)
    )
    + "]"
)


def hatom_entries(tree: HtmlElement) -> list[HtmlElement]:
    """The page's hAtom entries, in document order."""
    return _HATOM_ENTRIES(tree)


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
# Matched against the lowercased class and id: much faster than a case-insensitive pattern.
# ``d(?<!\wd)ida\b`` is ``\bdida\b`` opening with a letter: with every branch opening with
# one, the search skips to the letters that can start a match (0.42 -> 0.22 ms a page).
_CAPTION_ATTR = re.compile(
    r"(caption|pic-?(txt|text|title|info|desc)|img-?(desc|txt|text)|"
    r"photo-?(text|desc|caption)|figure-?text|image-?credit|"
    r"didascalia|d(?<!\wd)ida\b|legende|bildunterschrift|pie-?de-?foto)"  # it, fr, de, es
)
_NEVER_CAPTIONS = frozenset({"body", "html", "article", "main"})
# More image-caption pairs than this make a photo essay, whose captions are its text.
_PHOTO_ESSAY = 5
_CJK_SENTENCE_END = re.compile(r"[。！？]\W{0,2}$")
_TWO_SENTENCES = re.compile(r"[.!?。！？]\s*\S.*[.!?。！？]")


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
        cls, id_ = el.get("class"), el.get("id")
        if (
            (cls or id_)
            and _CAPTION_ATTR.search(f"{cls or ''} {id_ or ''}".lower())
            and el.tag not in _NEVER_CAPTIONS
        ):
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
