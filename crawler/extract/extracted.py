"""What extraction yields for one page, as the crawl's own process receives it from the
workers. Apart from ``extraction`` so that the crawl's process, which only builds records
from it, never imports trafilatura and its dependencies (a third of a second of every start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import version

from crawler.extract.dates import FoundDate

EXTRACTOR = f"trafilatura/{version('trafilatura')}"


@dataclass
class Extraction:
    """What one page yields. ``text`` is one paragraph per line; ``None`` when nothing was
    found. ``links``/``feeds`` are filled for pages that are not articles (listings)."""

    is_article: bool
    verdict: str
    text: str | None = None
    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    date: FoundDate | None = None
    date_modified: str | None = None
    language: str | None = None
    image_url: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    warnings: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    unparsable_links: int = 0  # links urllib cannot parse ("http://[bad"), skipped
    # The text as it would be without the site's learned template lines, when they removed
    # some: what tells a changed article from one whose template became known since.
    untemplated_text: str | None = None
