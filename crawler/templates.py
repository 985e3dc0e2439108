"""Site-level template learning: a line that recurs verbatim on many different articles of
one site is part of the site's template (a footer sentence, a subscription prompt, a fixed
"related" header), not of any article.

The learner is plain data in, plain data out: extraction only ever sees the frozen
``SiteKnowledge`` snapshot, so it stays a pure function and can run in another process, and
the counts can be kept by whatever holds the crawl state.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


def line_key(line: str) -> str:
    """A short fingerprint of a line, insensitive to case and spacing."""
    normal = " ".join(line.lower().split())
    return hashlib.blake2b(normal.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class SiteKnowledge:
    """What is known about one site's template when a page is extracted."""

    boilerplate: frozenset[str] = frozenset()

    def is_boilerplate(self, line: str) -> bool:
        return bool(self.boilerplate) and line_key(line) in self.boilerplate

    def strip(self, lines: list[str]) -> list[str]:
        """The lines that are not boilerplate."""
        if not self.boilerplate:
            return lines
        return [line for line in lines if line_key(line) not in self.boilerplate]


@dataclass
class _SiteCounts:
    lines: Counter[str] = field(default_factory=Counter)
    documents: set[str] = field(default_factory=set)
    snapshot: SiteKnowledge = field(default_factory=SiteKnowledge)
    stale: bool = False


class TemplateLearner:
    """Counts, per site, on how many distinct articles each line occurs.

    ``min_pages`` distinct articles make a line boilerplate. Each article counts once however
    many URLs serve it (documents are told apart by their text), so a story syndicated in
    three sections does not teach its own paragraphs as template. Memory is bounded: past
    ``max_lines`` counted lines a site forgets the lines seen only once.
    """

    def __init__(self, min_pages: int = 4, max_lines: int = 100_000) -> None:
        self.min_pages = min_pages
        self.max_lines = max_lines
        self._sites: dict[str, _SiteCounts] = {}

    def observe(self, site: str, lines: Iterable[str]) -> None:
        counts = self._sites.setdefault(site, _SiteCounts())
        keys = {line_key(line) for line in lines if line.strip()}
        document = hashlib.blake2b("\n".join(sorted(keys)).encode(), digest_size=8).hexdigest()
        if document in counts.documents:
            return
        counts.documents.add(document)
        for key in keys:
            counts.lines[key] += 1
            if counts.lines[key] == self.min_pages:
                counts.stale = True
        if len(counts.lines) > self.max_lines:
            counts.lines = Counter({k: n for k, n in counts.lines.items() if n > 1})

    def knowledge(self, site: str) -> SiteKnowledge:
        counts = self._sites.get(site)
        if counts is None:
            return SiteKnowledge()
        if counts.stale:
            counts.snapshot = SiteKnowledge(
                frozenset(k for k, n in counts.lines.items() if n >= self.min_pages)
            )
            counts.stale = False
        return counts.snapshot
