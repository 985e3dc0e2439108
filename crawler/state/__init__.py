"""The crawl state between scheduled runs: the contract (``store``), its SQLite and Redis stores,
and the Scrapy extension that owns the store during a crawl (``tracker``).

Settings: ``NEWS_STATE`` (path of the SQLite file, or a ``redis://`` URL; empty: no state).
"""

from __future__ import annotations

from crawler.state.store import CrawlState


def open_state(uri: str) -> CrawlState:
    """The store ``NEWS_STATE`` names: a file path (or ``sqlite:///path``), or a Redis URL
    (``redis://host:port/db``: shared by the workers of a distributed crawl)."""
    if uri.startswith(("redis://", "rediss://", "unix://")):
        # Imported only here: a crawl without Redis does not need the redis package.
        from crawler.state.redis_store import RedisState

        return RedisState(uri)
    from crawler.state.sqlite_store import SqliteState

    return SqliteState(uri.removeprefix("sqlite://"))
