"""The crawl state in one SQLite file: the default store (``NEWS_STATE=data/state.sqlite``)."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import asdict, astuple
from pathlib import Path
from typing import Any

from crawler.extract.fingerprints import bands, distance
from crawler.extract.templates import MAX_LINES
from crawler.state.store import Batch, PageState, RecordState, StateUnavailable, _batch

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY, site TEXT NOT NULL, record_id TEXT, first_seen TEXT NOT NULL,
    last_fetched TEXT, source_date TEXT, etag TEXT, last_modified TEXT);
CREATE INDEX IF NOT EXISTS pages_site ON pages (site);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, site TEXT NOT NULL, canonical_url TEXT, text_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL, band0 INTEGER, band1 INTEGER, band2 INTEGER, band3 INTEGER,
    version INTEGER NOT NULL, times_changed INTEGER NOT NULL, first_seen TEXT NOT NULL,
    delivered_at TEXT NOT NULL, delivered_file TEXT);
CREATE INDEX IF NOT EXISTS records_text ON records (site, text_hash);
CREATE INDEX IF NOT EXISTS records_band0 ON records (site, band0);
CREATE INDEX IF NOT EXISTS records_band1 ON records (site, band1);
CREATE INDEX IF NOT EXISTS records_band2 ON records (site, band2);
CREATE INDEX IF NOT EXISTS records_band3 ON records (site, band3);
CREATE TABLE IF NOT EXISTS staged (id TEXT PRIMARY KEY, batch TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS template_documents (
    site TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (site, document)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS template_counts (
    site TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (site, key))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS template_lines (
    site TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (site, key)) WITHOUT ROWID;
"""
_TEMPLATE_TABLES = ("template_documents", "template_counts", "template_lines")
# How often (documents counted) a site's template counts are checked against MAX_LINES.
_PRUNE_EVERY = 1000
_PAGE_COLUMNS = "url, site, record_id, first_seen, last_fetched, source_date, etag, last_modified"
_RECORD_COLUMNS = (
    "id, site, canonical_url, text_hash, fingerprint, version, times_changed, first_seen, "
    "delivered_at, delivered_file"
)


class SqliteState:
    """The crawl state in one SQLite file (WAL: readers never wait for the writer; synchronous
    FULL: a settled delivery survives a power cut as the renamed file does)."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        # A second crawl on the same state (or `scrapy state reset`) waits rather than fails.
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.executescript(_SCHEMA)
        self._documents = 0

    def page(self, url: str) -> PageState | None:
        row = self.db.execute(f"SELECT {_PAGE_COLUMNS} FROM pages WHERE url = ?", (url,))
        found = row.fetchone()
        return PageState(*found) if found else None

    def record(self, record_id: str) -> RecordState | None:
        query = f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ?"
        found = self.db.execute(query, (record_id,)).fetchone()
        return _record(found) if found else None

    def similar(self, site: str, text_hash: str, fp: int, max_bits: int) -> list[RecordState]:
        select = f"SELECT {_RECORD_COLUMNS} FROM records WHERE site = ? AND "
        parts = [select + "text_hash = ?"]
        params: list[Any] = [site, text_hash]
        if max_bits > 0:
            for i, band in enumerate(bands(fp)):
                parts.append(select + f"band{i} = ?")
                params += [site, band]
        rows = self.db.execute(" UNION ".join(parts), params).fetchall()
        found = [_record(row) for row in rows]
        return [
            r for r in found if r.text_hash == text_hash or distance(r.fingerprint, fp) <= max_bits
        ]

    def save_pages(self, pages: Iterable[PageState]) -> None:
        with self._transaction():
            self._save_pages(pages)

    def stage(self, batch: Batch) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO staged (id, batch) VALUES (?, ?)",
                (batch.id, json.dumps(asdict(batch))),
            )

    def settle(self, batch_id: str, delivered: bool) -> None:
        with self._transaction():
            row = self.db.execute("SELECT batch FROM staged WHERE id = ?", (batch_id,)).fetchone()
            if row is None:
                return
            if delivered:
                batch = _batch(json.loads(row[0]))
                self._save_records(batch.records)
                self._save_pages(batch.pages)
            self.db.execute("DELETE FROM staged WHERE id = ?", (batch_id,))

    def staged(self) -> list[Batch]:
        rows = self.db.execute("SELECT batch FROM staged ORDER BY id").fetchall()
        return [_batch(json.loads(row[0])) for row in rows]

    def reset_site(self, site: str) -> int:
        with self._transaction():
            pages = self.db.execute("DELETE FROM pages WHERE site = ?", (site,)).rowcount
            records = self.db.execute("DELETE FROM records WHERE site = ?", (site,)).rowcount
            for table in _TEMPLATE_TABLES:
                self.db.execute(f"DELETE FROM {table} WHERE site = ?", (site,))
        return pages + records

    def learn_lines(self, site: str, document: str, keys: Collection[str], min_pages: int) -> int:
        # Counts are not worth a disk sync per page: a lost one is learned again.
        self.db.execute("PRAGMA synchronous=NORMAL")
        try:
            with self._transaction():
                self._count_lines(site, document, keys, min_pages)
        except sqlite3.OperationalError as exc:
            # A full disk: the page is still delivered, one article fewer learned from (the
            # delivery itself cannot be staged then, and the run fails at its end).
            raise StateUnavailable(f"SQLite: {exc}") from exc
        finally:
            self.db.execute("PRAGMA synchronous=FULL")
        query = "SELECT count(*) FROM template_lines WHERE site = ?"
        return int(self.db.execute(query, (site,)).fetchone()[0])

    def template_lines(self, site: str) -> frozenset[str]:
        rows = self.db.execute("SELECT key FROM template_lines WHERE site = ?", (site,))
        return frozenset(key for (key,) in rows)

    def sites(self) -> dict[str, dict[str, int]]:
        summary: dict[str, dict[str, int]] = defaultdict(lambda: {"pages": 0, "records": 0})
        for table, key in (("pages", "pages"), ("records", "records")):
            query = f"SELECT site, count(*) FROM {table} GROUP BY site"
            for site, count in self.db.execute(query):
                summary[site][key] = count
        return dict(sorted(summary.items()))

    def close(self) -> None:
        self.db.close()

    def _transaction(self) -> sqlite3.Connection:
        # The connection is in autocommit mode (isolation_level=None); as a context manager it
        # commits or rolls back the transaction this BEGIN opens.
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def _count_lines(self, site: str, document: str, keys: Collection[str], min_pages: int) -> None:
        new = "INSERT OR IGNORE INTO template_documents (site, document) VALUES (?, ?)"
        if not self.db.execute(new, (site, document)).rowcount:
            return
        rows = [(site, key) for key in keys]
        self.db.executemany(
            "INSERT INTO template_counts (site, key, n) VALUES (?, ?, 1) "
            "ON CONFLICT (site, key) DO UPDATE SET n = n + 1",
            rows,
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO template_lines (site, key) SELECT site, key "
            f"FROM template_counts WHERE site = ? AND key = ? AND n >= {int(min_pages)}",
            rows,
        )
        self._documents += 1
        if self._documents % _PRUNE_EVERY == 0:
            counted = "SELECT count(*) FROM template_counts WHERE site = ?"
            if self.db.execute(counted, (site,)).fetchone()[0] > MAX_LINES:
                self.db.execute("DELETE FROM template_counts WHERE site = ? AND n = 1", (site,))

    def _save_pages(self, pages: Iterable[PageState]) -> None:
        # A page keeps its first_seen, and the date it was listed with when not listed now.
        self.db.executemany(
            f"INSERT INTO pages ({_PAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET site = excluded.site, "
            "record_id = excluded.record_id, last_fetched = excluded.last_fetched, "
            "source_date = coalesce(excluded.source_date, pages.source_date), "
            "etag = excluded.etag, last_modified = excluded.last_modified",
            [astuple(p) for p in pages],  # fields in the order of _PAGE_COLUMNS
        )

    def _save_records(self, records: Iterable[RecordState]) -> None:
        self.db.executemany(
            f"INSERT OR REPLACE INTO records ({_RECORD_COLUMNS}, band0, band1, band2, band3) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                # Fields in the order of _RECORD_COLUMNS; the unsigned 64-bit fingerprint as hex.
                (*astuple(r)[:4], f"{r.fingerprint:016x}", *astuple(r)[5:], *bands(r.fingerprint))
                for r in records
            ],
        )


def _record(row: tuple[Any, ...]) -> RecordState:
    values = list(row)
    values[4] = int(values[4], 16)  # fingerprints are unsigned 64-bit: stored as hex text
    return RecordState(*values)
