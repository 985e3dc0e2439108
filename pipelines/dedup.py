"""One record per story within a run: the first record of a canonical URL or of a text wins.

A page whose canonical URL names another article of this run, with another text, is not that
article: it keeps its own URL's id (``untrust_canonical``), or it would drop or replace it.

Keeps only hashes and fingerprints (a few dozen bytes per article), never texts.
"""

from __future__ import annotations

from dataclasses import replace

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from crawler.extract.fingerprints import distance, fingerprint
from crawler.extract.page import record_id
from crawler.extract.urls import normalize_url
from crawler.items import ArticleItem

# Simhashes (64 bits) this far apart are two texts, not one article edited.
OTHER_TEXT_BITS = 16


def claims_other_url(item: ArticleItem) -> bool:
    """Whether the record's id comes from a canonical URL other than the page's own."""
    canonical = item.canonical_url
    return bool(canonical) and normalize_url(canonical or "") != normalize_url(item.url or "")


def other_text(item: ArticleItem, other_fingerprint: int) -> bool:
    return distance(item_fingerprint(item), other_fingerprint) > OTHER_TEXT_BITS


def item_fingerprint(item: ArticleItem) -> int:
    return item.fingerprint if item.fingerprint is not None else fingerprint(item.text or "")


def untrust_canonical(item: ArticleItem, stats: StatsCollector) -> ArticleItem:
    """``item`` under its fetched URL: its canonical names another article, with another text
    (a page whose canonical named a delivered article replaced it). Counted
    (``newscrawl/canonical_untrusted``) and named in its warnings."""
    stats.inc_value("newscrawl/canonical_untrusted")
    return replace(
        item,
        id=record_id(item.url or ""),
        canonical_url=None,
        warnings=[*item.warnings, "canonical_untrusted"],
    )


class Duplicate(DropItem):
    """A record the output already has; ``reason`` names how it was recognised."""

    log_level = "INFO"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}", log_level=self.log_level)
        self.reason = reason


class DedupPipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        # Each id's first record's fingerprint, to tell a canonical that names another article.
        self.seen_ids: dict[str, int] = {}
        self.seen_texts: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        seen = self.seen_ids.get(item.id or "")
        if seen is not None and claims_other_url(item) and other_text(item, seen):
            item = untrust_canonical(item, self.stats)
        kind = (
            "same_url"
            if item.id in self.seen_ids
            else "same_text"
            if item.text_hash in self.seen_texts
            else None
        )
        # Both keys are remembered even for a dropped record, so that which kind a duplicate
        # is called does not depend on the order the copies arrive in.
        self.seen_ids.setdefault(item.id or "", item_fingerprint(item))
        self.seen_texts.add(item.text_hash or "")
        if kind:
            self.stats.inc_value(f"newscrawl/duplicates/{kind}")
            raise Duplicate(f"duplicates/{kind}", f"an earlier record of this run: {item.url}")
        return item
