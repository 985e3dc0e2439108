"""Link roundups: a post whose own content is a list of links to other sites' stories (a blog's
"links of the week", a reading list), which the link-run rule of the extracted lines would drop
as a headline list. Told apart by where the list stands and where its links lead: inside the
page's one post, followed by the post's own text, every item a headline-sized line whose links
all leave the site. Navigation, tag and share lists, related-story and "read more" boxes (same
site, or under a related header) and listings (no single post) do not qualify."""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml.html import HtmlElement

from crawler.extract import cleaning, furniture, structure

# An item is a headline or a sentence (CJK counted twice), not a label such as a tag or a
# network's name ("Facebook", "Germany"); the weight of a headline link elsewhere in extraction.
_ITEM_MIN_WEIGHT = 16
# Furniture classes that say a list is a box of other stories, not the post's own.
_BOX_HEADERS = frozenset({"related", "inline_related"})


def site_of(host: str) -> str:
    """A host's last two labels (an IP address whole): what tells one site's links from
    another's. Two sites under one country's second level ("co.uk") look like one, which only
    errs towards dropping a list."""
    host = host.lower().rstrip(".")
    return host if host.replace(".", "").isdigit() else ".".join(host.split(".")[-2:])


class Roundups:
    """Which runs of link lines of one page are its post's own list of links. The page's post
    and its links are looked for only when a run is asked about (few pages have one)."""

    def __init__(self, tree: HtmlElement, url: str | None) -> None:
        self._tree = tree
        host = urlsplit(url).hostname if url and url.startswith("http") else None
        self._site = site_of(host) if host else None
        self._post: tuple[str, list[tuple[str, bool]]] | None = None

    def keeps(self, run: list[str], before: str | None, after: str | None) -> bool:
        """Whether ``run`` (lines the link-run rule would drop) is the post's own list: it is
        not under a related-stories header, the post's own text ``after`` it follows it inside
        the page's one post, and every item is headline-sized with only off-site links."""
        if self._site is None or after is None:
            return False
        if before is not None and furniture.classify(before) in _BOX_HEADERS:
            return False
        if any(
            cleaning.weight(line) < _ITEM_MIN_WEIGHT or furniture.classify(line) for line in run
        ):
            return False
        text, links = self._read_post()
        at = 0
        for line in (*run, after):
            at = text.find(line, at)
            if at < 0:
                return False
        return all(self._leaves_site(line, links) for line in run)

    def _read_post(self) -> tuple[str, list[tuple[str, bool]]]:
        """The text of the page's one post (its single hAtom entry, else its single
        ``<article>``), and its links' texts, each with whether it leads off the site."""
        if self._post is None:
            entries = structure.hatom_entries(self._tree)
            posts = entries or list(self._tree.iter("article"))
            if len(posts) != 1:
                self._post = ("", [])
            else:
                links = [
                    (text, self._off_site(a.get("href") or ""))
                    for a in posts[0].iter("a")
                    if len(text := " ".join(a.text_content().split())) >= 2
                ]
                self._post = (" ".join(posts[0].text_content().split()), links)
        return self._post

    def _off_site(self, href: str) -> bool:
        host = urlsplit(href.strip()).hostname if href.strip().startswith(("http", "//")) else None
        return host is not None and site_of(host) != self._site

    @staticmethod
    def _leaves_site(line: str, links: list[tuple[str, bool]]) -> bool:
        """Whether the line holds links of the post and all of them lead off the site."""
        found = [off for text, off in links if text in line]
        return bool(found) and all(found)
