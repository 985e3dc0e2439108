"""The shipped loader schemas read a real crawl's output, split over two files one of which has
``published_at`` null in every record: typed columns in pyarrow, DuckDB and polars."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.json
import pytest

from crawler.items import FIELD_ORDER
from crawler.schema import loaders
from tests.conftest import CrawlResult


@pytest.fixture
def two_files(portal_crawl: CrawlResult, tmp_path: Path) -> tuple[list[str], list[dict]]:
    """The crawl's records as two output files: those dated to the instant, then the others
    (whose ``published_at`` is null in every record)."""
    records = sorted(portal_crawl.records, key=lambda r: r["published_at"] is None)
    instants = [r for r in records if r["published_at"]]
    others = [r for r in records if not r["published_at"]]
    assert instants and others, "the demo portal dates some articles to the instant, not all"
    files = []
    for name, part in (("instants", instants), ("others", others)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), "utf-8")
        files.append(str(path))
    return files, records


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _check(columns: list[str], published: list, authors: list, records: list[dict]) -> None:
    assert columns == FIELD_ORDER
    assert published == [_instant(r["published_at"]) for r in records]
    assert all(p is None or p.utcoffset() is not None for p in published), "tz-aware"
    assert authors == [r["authors"] for r in records]


def test_column_kinds_come_from_the_json_schema():
    kinds = loaders.column_kinds()
    assert list(kinds) == FIELD_ORDER
    assert kinds["published_at"] == kinds["fetched_at"] == loaders.TIMESTAMP
    assert kinds["authors"] == loaders.TEXT_LIST
    assert (kinds["version"], kinds["schema_version"]) == (loaders.INTEGER, loaders.TEXT)


def test_pyarrow(two_files):
    files, records = two_files
    options = loaders.arrow_parse_options()
    table = pa.concat_tables(pyarrow.json.read_json(f, parse_options=options) for f in files)
    assert table.schema.field("published_at").type == pa.timestamp("s", tz="UTC")
    _check(
        table.column_names,
        table.column("published_at").to_pylist(),
        table.column("authors").to_pylist(),
        records,
    )
    assert set(table.column("schema_version").to_pylist()) == {"1.2"}


def test_duckdb(two_files):
    files, records = two_files
    relation = duckdb.read_json(files, format="newline_delimited", columns=loaders.duckdb_columns())
    assert str(relation.types[relation.columns.index("published_at")]) == "TIMESTAMP WITH TIME ZONE"
    rows = relation.select("published_at, authors").fetchall()
    _check(relation.columns, [r[0] for r in rows], [r[1] for r in rows], records)


def test_polars(two_files):
    files, records = two_files
    frame = pl.read_ndjson(files, schema=loaders.polars_schema())
    assert frame.schema["published_at"] == pl.Datetime("us", time_zone="UTC")
    published = frame["published_at"].to_list()
    _check(frame.columns, published, frame["authors"].to_list(), records)
    assert published[0] is not None and published[0].tzinfo is not None
    assert published[0].astimezone(UTC) == _instant(records[0]["published_at"])
