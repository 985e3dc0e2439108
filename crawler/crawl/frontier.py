"""The crawl's frontier beyond Scrapy's scheduler: page URLs that sitemaps and feeds list wait
here as bare entries, and become requests only as the scheduler runs low.

Scrapy queues every request a callback yields at once: a 20,000-entry sitemap made 20,000
requests (with their headers, meta and dupefilter fingerprints) that sat in the scheduler for
the whole crawl, and the crawl process grew with the site (103 MiB on 470 pages, 164 on 20,000;
136 with this frontier).
An entry held here is its URL and listed date, and its crawl-state lookup happens when it is
about to be fetched.

Only for Scrapy's own in-memory scheduler: with ``JOBDIR`` (pause and resume) or a shared
scheduler (Redis) the entries must be in that queue, which outlives this process, so the
frontier is off there (``NEWS_SCHEDULED_PAGES_MAX = 0``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from crawler.crawl.discovery import Entry
from crawler.sites import SiteConfig


@dataclass(frozen=True, slots=True)
class Waiting:
    site: SiteConfig
    entry: Entry
    via: str  # sitemap or feed
    referer: str  # the sitemap or feed that listed it


class Frontier:
    def __init__(self, scheduled_max: int) -> None:
        self.scheduled_max = scheduled_max  # 0: off
        self._waiting: deque[Waiting] = deque()

    def should_hold(self, scheduled: Callable[[], int]) -> bool:
        """Whether a newly listed entry waits here: entries listed earlier wait already (they
        go first), or the scheduler is full (asked only then: once per entry of a sitemap)."""
        return bool(self._waiting) or scheduled() >= self.scheduled_max

    def hold(self, waiting: Waiting) -> int:
        """How many entries wait, this one included."""
        self._waiting.append(waiting)
        return len(self._waiting)

    def room(self, scheduled: int) -> int:
        return max(0, self.scheduled_max - scheduled) if self._waiting else 0

    def pop(self) -> Waiting | None:
        return self._waiting.popleft() if self._waiting else None
