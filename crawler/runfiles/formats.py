"""Output formats by file name: ``.jsonl.gz`` and ``.jsonl.zst`` are compressed JSON Lines,
``.parquet`` is Parquet (``crawler.runfiles.parquet``, the optional extra ``parquet``).

Scrapy takes a feed's format from the last extension only, so ``-O out.jsonl.gz`` was refused
and ``-O out.jsonl.gz:jsonl`` wrote plain text under a ``.gz`` name. ``scrapy crawl`` passes
its outputs and ``FEEDS`` through here: the format comes from the extension before the
compression one, and the compression from the name, whatever the format given.
"""

from __future__ import annotations

import importlib.util
from typing import IO, Any

from scrapy.exceptions import UsageError

GZIP = "scrapy.extensions.postprocessing.GzipPlugin"
ZSTD = "crawler.runfiles.formats.ZstdPlugin"
_COMPRESSION = {".gz": GZIP, ".zst": ZSTD}
_FORMATS = {".jsonl": "jsonlines", ".jsonlines": "jsonlines", ".json": "json", ".csv": "csv"}


class ZstdPlugin:
    """A Scrapy feed post-processing plugin: Zstandard, ``zstd_level`` in the feed options
    (default 10; ``zstandard`` is installed with the ``parquet`` extra or by hand)."""

    def __init__(self, file: IO[bytes], feed_options: dict[str, Any]) -> None:
        import zstandard

        level = int(feed_options.get("zstd_level", 10))
        self.writer = zstandard.ZstdCompressor(level=level).stream_writer(file, closefd=False)

    def write(self, data: bytes) -> int:
        return self.writer.write(data)

    def close(self) -> None:
        self.writer.close()


def _path(uri: str) -> str:
    return uri.split("?", 1)[0].lower()


def cli_output(element: str) -> str:
    """``-o``/``-O`` ``out.jsonl.gz`` as ``out.jsonl.gz:jsonlines`` (Scrapy would take ``gz``
    for the format); any other element as it is."""
    path = _path(element)
    for suffix in _COMPRESSION:
        if path.endswith(suffix):
            inner = path.removesuffix(suffix)
            ext = inner[inner.rfind(".") :] if "." in inner.rsplit("/", 1)[-1] else ""
            return f"{element}:{_FORMATS.get(ext, 'jsonlines')}"
    return element


def feed_options(uri: str) -> dict[str, Any]:
    """The format and post-processing a feed URI's name asks for (empty for a plain name)."""
    path = _path(uri)
    if path.endswith(".parquet"):
        return {"format": "parquet"}
    for suffix, plugin in _COMPRESSION.items():
        if path.endswith(suffix):
            return {"postprocessing": [plugin]}
    return {}


def by_extension(feeds: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``FEEDS`` with each compressed name compressed and each ``.parquet`` name Parquet;
    refuses (``UsageError``, exit 2) what cannot be written: Parquet appended to (``-o``), or
    without pyarrow, Zstandard without zstandard."""
    result = {}
    for uri, options in feeds.items():
        options = dict(options)
        wanted = feed_options(str(uri))
        if wanted.get("format") == "parquet":
            _require("pyarrow", "Parquet output", str(uri))
            if not options.get("overwrite", False):
                raise UsageError(
                    f"{uri}: a Parquet file cannot be appended to; use -O (overwrite)",
                    print_help=False,
                )
            options["format"] = "parquet"
        plugins = list(options.get("postprocessing") or [])
        for plugin in wanted.get("postprocessing", []):
            if plugin == ZSTD:
                _require("zstandard", "Zstandard output", str(uri))
            if plugin not in plugins:
                plugins.append(plugin)
        if plugins:
            options["postprocessing"] = plugins
        result[uri] = options
    return result


def _require(module: str, what: str, uri: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise UsageError(
            f"{uri}: {what} needs {module}: pip install 'newscrawl[parquet]'", print_help=False
        )
