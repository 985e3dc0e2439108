"""Parquet output (``-O out.parquet``, or a ``NEWS_OUTPUT`` ending in ``.parquet``): the records
as typed columns, in row groups of ``parquet_row_group`` records (feed option, default 10,000).

The columns are the loaders' schema (``crawler.schema.loaders``, from the shipped JSON Schema):
text, 64-bit integers, lists of text, and the ``date-time`` fields as UTC timestamps, so a
Parquet file and JSON Lines read with the loaders give the same table. pyarrow is an optional
extra (``parquet``); ``scrapy crawl`` refuses a Parquet output without it
(``crawler.runfiles.formats``), and every crawl loads this module (Scrapy loads all of
``FEED_EXPORTERS``), so pyarrow is imported only when a Parquet file is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter

from crawler.schema import loaders

if TYPE_CHECKING:
    import pyarrow.parquet as pq


class ParquetItemExporter(BaseItemExporter):
    def __init__(self, file: IO[bytes], **kwargs: Any) -> None:
        self.row_group = int(kwargs.pop("parquet_row_group", 10_000))
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        kinds = loaders.column_kinds()
        self.timestamps = {name for name, kind in kinds.items() if kind == loaders.TIMESTAMP}
        self.rows: list[dict[str, Any]] = []
        self.writer: pq.ParquetWriter | None = None

    def start_exporting(self) -> None:
        import pyarrow.parquet as pq

        self.schema = loaders.arrow_schema()
        self.writer = pq.ParquetWriter(self.file, self.schema, compression="zstd")

    def export_item(self, item: Any) -> None:
        adapter = ItemAdapter(item)
        row = {name: adapter.get(name) for name in self.schema.names}
        for name in self.timestamps:
            if row[name]:
                row[name] = datetime.fromisoformat(row[name])
        self.rows.append(row)
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
