"""Site-level template learning: a line that recurs verbatim on many different articles of
one site is part of the site's template (a footer sentence, a subscription prompt, a fixed
"related" header), not of any article.

The counts live in a ``TemplateStore``: in memory for a crawl without state, else in the crawl
state (``crawler.state``), so that what one run or one worker of a distributed crawl learned
serves the next run and the other workers. Extraction only ever sees the frozen
``SiteKnowledge`` snapshot, so it stays a pure function and can run in another process.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from crawler.extract.cleaning import text_chars

# Past this many counted lines a site forgets the lines seen on one article only.
MAX_LINES = 100_000


def line_key(line: str) -> str:
    """A short fingerprint of a line, insensitive to case and spacing."""
    normal = " ".join(line.lower().split())
    return hashlib.blake2b(normal.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class SiteKnowledge:
    """What is known about one site's template when a page is extracted; ``min_text_chars``
    is the shortest text a record may have (``NEWS_MIN_TEXT_CHARS``)."""

    boilerplate: frozenset[str] = frozenset()
    min_text_chars: int = 0

    def is_boilerplate(self, line: str) -> bool:
        return bool(self.boilerplate) and line_key(line) in self.boilerplate

    def strip(self, lines: list[str]) -> list[str]:
        """The lines that are not boilerplate; all of them when dropping those would leave an
        article too short to be a record: lines learned wrongly (an article's own paragraphs,
        a sentence four pages shared) must not cost an article."""
        if not self.boilerplate:
            return lines
        kept = [line for line in lines if line_key(line) not in self.boilerplate]
        if self.min_text_chars and (
            text_chars("\n".join(kept)) < self.min_text_chars <= text_chars("\n".join(lines))
        ):
            return lines
        return kept


class TemplateStore(Protocol):
    """Where line counts are kept (also part of ``crawler.state.store.CrawlState``)."""

    def learn_lines(self, site: str, document: str, keys: Collection[str], min_pages: int) -> int:
        """Count ``keys`` once for ``document`` (nothing when it was counted before); the
        number of the site's template lines after, a version that grows as they do."""
        ...

    def template_lines(self, site: str) -> frozenset[str]:
        """The keys of the site's template lines."""
        ...


@dataclass
class _SiteCounts:
    lines: Counter[str] = field(default_factory=Counter)
    documents: set[str] = field(default_factory=set)
    template: set[str] = field(default_factory=set)


class MemoryTemplates:
    """Line counts of one crawl only. Memory is bounded: past ``max_lines`` counted lines a
    site forgets the lines seen only once."""

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        self.max_lines = max_lines
        self.sites: dict[str, _SiteCounts] = {}

    def learn_lines(self, site: str, document: str, keys: Collection[str], min_pages: int) -> int:
        counts = self.sites.setdefault(site, _SiteCounts())
        if document not in counts.documents:
            counts.documents.add(document)
            for key in keys:
                counts.lines[key] += 1
                if counts.lines[key] >= min_pages:
                    counts.template.add(key)
            if len(counts.lines) > self.max_lines:
                counts.lines = Counter({k: n for k, n in counts.lines.items() if n > 1})
        return len(counts.template)

    def template_lines(self, site: str) -> frozenset[str]:
        counts = self.sites.get(site)
        return frozenset(counts.template) if counts else frozenset()


class TemplateLearner:
    """Counts, per site, on how many distinct articles each line occurs; ``min_pages``
    distinct articles make a line boilerplate.

    Each article counts once however often it is fetched and however many URLs serve it
    (articles are told apart by their id, the canonical URL's), so a re-fetched or syndicated
    story does not teach its own paragraphs as template. The snapshot of a site is reloaded
    from the store when the store's version moved, also through what other workers learned.
    """

    def __init__(
        self, min_pages: int = 4, store: TemplateStore | None = None, min_text_chars: int = 0
    ) -> None:
        self.min_pages = min_pages
        self.store: TemplateStore = store if store is not None else MemoryTemplates()
        self.min_text_chars = min_text_chars
        self._snapshots: dict[str, tuple[int, SiteKnowledge]] = {}
        # (site, text digest) of the articles observed under an id: 8 bytes and a name each.
        self._texts: set[tuple[str, str]] = set()

    def observe(self, site: str, lines: Iterable[str], article: str | None = None) -> None:
        """Count the lines of one article: ``article`` is its id (the record id), so that the
        article counts once however often it is fetched and however its text changes (a view
        counter made each fetch a new document, and an article's own paragraphs template);
        without one, its text tells articles apart. One text under several ids (a story
        syndicated without a canonical URL) counts once too, within this crawl."""
        keys = {line_key(line) for line in lines if line.strip()}
        text = hashlib.blake2b("\n".join(sorted(keys)).encode(), digest_size=8).hexdigest()
        if article is not None:
            if (site, text) in self._texts:
                return
            self._texts.add((site, text))
        document = article or text
        version = self.store.learn_lines(site, document, keys, self.min_pages)
        known = self._snapshots.get(site)
        if known is None or known[0] != version:
            self._snapshots[site] = (version, self._knowledge(self.store.template_lines(site)))

    def _knowledge(self, lines: frozenset[str]) -> SiteKnowledge:
        return SiteKnowledge(lines, self.min_text_chars)

    def last_known(self, site: str) -> SiteKnowledge:
        """The snapshot held, without asking the store."""
        known = self._snapshots.get(site)
        return known[1] if known else SiteKnowledge()

    def knowledge(self, site: str) -> SiteKnowledge:
        known = self._snapshots.get(site)
        if known is None:
            # Learned by an earlier run or another worker, before this one saw the site.
            lines = self.store.template_lines(site)
            known = self._snapshots[site] = (len(lines), self._knowledge(lines))
        return known[1]
