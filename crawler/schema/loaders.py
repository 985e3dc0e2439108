"""The output's schema for pyarrow, DuckDB and polars, generated from the JSON Schema.

Read without a schema, JSON Lines leaves each loader guessing: a column null in every record of
one file gets no type (polars then fails to concatenate files), ``published_at`` stays text.
With these, every column has one type in every file: text, 64-bit integers, lists of text, and
``published_at``/``modified_at``/``fetched_at`` (``"format": "date-time"``) as UTC timestamps::

    pa.concat_tables(pyarrow.json.read_json(f, parse_options=loaders.arrow_parse_options())
                     for f in files)
    duckdb.read_json(files, format="newline_delimited", columns=loaders.duckdb_columns())
    pl.read_ndjson(files, schema=loaders.polars_schema())

pyarrow, DuckDB and polars are optional (``pip install 'newscrawl[loaders]'``): each is imported
only by the function that needs it.
"""

from __future__ import annotations

from typing import Any

from crawler.items import json_schema

# The kinds of column a record has.
TEXT, INTEGER, TEXT_LIST, TIMESTAMP = "text", "integer", "text_list", "timestamp"


def column_kinds() -> dict[str, str]:
    """Each field of the record, in order, and its kind, read from the JSON Schema."""
    schema = json_schema()
    return {name: _kind(name, schema["properties"][name]) for name in schema["required"]}


def _kind(name: str, prop: dict[str, Any]) -> str:
    types = prop.get("type", "string")
    types = {types} if isinstance(types, str) else set(types)
    if prop.get("format") == "date-time":
        return TIMESTAMP
    if "array" in types:
        return TEXT_LIST
    if "integer" in types:
        return INTEGER
    if types <= {"string", "null"} or "const" in prop or "enum" in prop:
        return TEXT
    raise ValueError(f"{name}: no loader type for {prop}")


def arrow_schema() -> Any:
    """The record as a ``pyarrow.Schema``."""
    import pyarrow as pa

    types = {
        TEXT: pa.string(),
        INTEGER: pa.int64(),
        TEXT_LIST: pa.list_(pa.string()),
        TIMESTAMP: pa.timestamp("s", tz="UTC"),
    }
    return pa.schema([(name, types[kind]) for name, kind in column_kinds().items()])


def arrow_parse_options() -> Any:
    """``pyarrow.json.ParseOptions`` that read a file with ``arrow_schema`` and no other key."""
    import pyarrow.json

    return pyarrow.json.ParseOptions(
        explicit_schema=arrow_schema(), unexpected_field_behavior="error"
    )


def duckdb_columns() -> dict[str, str]:
    """The record as DuckDB ``read_json(columns=…)``: column name -> SQL type."""
    types = {
        TEXT: "VARCHAR",
        INTEGER: "BIGINT",
        TEXT_LIST: "VARCHAR[]",
        TIMESTAMP: "TIMESTAMPTZ",
    }
    return {name: types[kind] for name, kind in column_kinds().items()}


def polars_schema() -> Any:
    """The record as a polars schema, for ``pl.read_ndjson``/``pl.scan_ndjson``."""
    import polars as pl

    types = {
        TEXT: pl.String(),
        INTEGER: pl.Int64(),
        TEXT_LIST: pl.List(pl.String()),
        TIMESTAMP: pl.Datetime("us", time_zone="UTC"),
    }
    return pl.Schema({name: types[kind] for name, kind in column_kinds().items()})
