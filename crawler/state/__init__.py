"""The crawl state between scheduled runs: the contract (``store``), its SQLite and Redis stores,
and the Scrapy extension that owns the store during a crawl (``tracker``).

Settings: ``NEWS_STATE`` (path of the SQLite file, or a ``redis://`` URL; empty: no state).
"""

from __future__ import annotations

from crawler.state.store import CrawlState


def sqlite_path(uri: str) -> str | None:
    """The file of a SQLite ``NEWS_STATE``; None for a Redis URL."""
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return None
    return uri.removeprefix("sqlite://")


def open_state(uri: str) -> CrawlState:
    """The store ``NEWS_STATE`` names: a file path (or ``sqlite:///path``), or a Redis URL
    (``redis://host:port/db``: shared by the workers of a distributed crawl)."""
    path = sqlite_path(uri)
    if path is None:
        # Imported only here: a crawl without Redis does not need the redis package.
        from crawler.state.redis_store import RedisState

        return RedisState(uri)
    from crawler.state.sqlite_store import SqliteState

    return SqliteState(path)
