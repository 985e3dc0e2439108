"""Parquet output (``-O out.parquet``, or a ``NEWS_OUTPUT`` ending in ``.parquet``): the records
as typed columns, in row groups of ``parquet_row_group`` records (feed option, default 10,000).

The column types come from the shipped JSON Schema (``crawler/schema/article.schema.json``):
integers are int64, lists of strings are list<string>, a field is nullable where the schema
allows null. pyarrow is the optional extra ``parquet``; ``scrapy crawl`` refuses a Parquet
output without it (``crawler.runfiles.formats``), and every crawl loads this module (Scrapy
loads all of ``FEED_EXPORTERS``), so pyarrow is imported only when a Parquet file is written.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter

from crawler.items import FIELD_ORDER, json_schema

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq


def arrow_schema(fields: list[str] | None = None) -> pa.Schema:
    """The record's schema as an Arrow schema, in the output's field order."""
    import pyarrow as pa

    properties = json_schema()["properties"]
    return pa.schema([_field(name, properties[name]) for name in fields or FIELD_ORDER])


def _field(name: str, spec: dict[str, Any]) -> pa.Field:
    import pyarrow as pa

    scalars = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64()}
    if "const" in spec:
        return pa.field(name, pa.string(), nullable=spec["const"] is None)
    if "enum" in spec:
        return pa.field(name, pa.string(), nullable=None in spec["enum"])
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    (kind,) = [t for t in types if t != "null"]
    if kind == "array":
        item = scalars[spec["items"]["type"]]
        return pa.field(name, pa.list_(pa.field("item", item, nullable=False)), nullable=False)
    return pa.field(name, scalars[kind], nullable="null" in types)


class ParquetItemExporter(BaseItemExporter):
    def __init__(self, file: IO[bytes], **kwargs: Any) -> None:
        self.row_group = int(kwargs.pop("parquet_row_group", 10_000))
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.schema = arrow_schema(list(self.fields_to_export or []) or None)
        self.rows: list[dict[str, Any]] = []
        self.writer: pq.ParquetWriter | None = None

    def start_exporting(self) -> None:
        import pyarrow.parquet as pq

        self.writer = pq.ParquetWriter(self.file, self.schema, compression="zstd")

    def export_item(self, item: Any) -> None:
        adapter = ItemAdapter(item)
        self.rows.append({name: adapter.get(name) for name in self.schema.names})
        if len(self.rows) >= self.row_group:
            self._flush()

    def finish_exporting(self) -> None:
        assert self.writer is not None, "finish_exporting() before start_exporting()"
        self._flush()
        # Closing the writer writes the footer; the file stays open for the feed storage.
        self.writer.close()

    def _flush(self) -> None:
        import pyarrow as pa

        if self.rows and self.writer is not None:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []
