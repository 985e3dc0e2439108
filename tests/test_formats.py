"""Output formats by file name: gzip and Zstandard JSON Lines, Parquet typed by the shipped
schema, and an ``s3://`` feed written to a local S3 stand-in (a moto server)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq
import pytest
import zstandard
from scrapy.exceptions import UsageError

from crawler.runfiles import formats
from crawler.schema import loaders
from tests.conftest import FAST, PORTAL_TRUTH, REPO


def test_the_format_comes_from_the_name_before_the_compression():
    assert formats.cli_output("out.jsonl.gz") == "out.jsonl.gz:jsonlines"
    assert formats.cli_output("s3://b/x/out.csv.zst") == "s3://b/x/out.csv.zst:csv"
    assert formats.cli_output("out.gz") == "out.gz:jsonlines"
    assert formats.cli_output("out.jsonl.gz:jsonl") == "out.jsonl.gz:jsonl", "as given"
    assert formats.cli_output("out.parquet") == "out.parquet"
    feeds = formats.by_extension({"out.jsonl.gz": {"format": "jsonl", "overwrite": True}})
    assert feeds["out.jsonl.gz"]["postprocessing"] == [formats.GZIP], "gzip whatever the format"
    assert formats.by_extension({"o.parquet": {"overwrite": True}})["o.parquet"] == {
        "overwrite": True,
        "format": "parquet",
    }
    with pytest.raises(UsageError, match="cannot be appended"):
        formats.by_extension({"o.parquet": {"format": "parquet"}})


def _crawl(tmp_path: Path, *args: str) -> str:
    """The demo crawl with ``args``; its log, once it has exited 0."""
    log = tmp_path / "crawl.log"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", *args]
    for setting in [
        *FAST,
        f"NEWS_STATE={tmp_path / 'state.sqlite'}",
        f"NEWS_REJECTS={tmp_path / 'rejects.jsonl'}",
        f"LOG_FILE={log}",
        "NEWS_EXTRACT_WORKERS=0",
    ]:
        cmd += ["-s", setting]
    done = subprocess.run(cmd, cwd=REPO, timeout=300, capture_output=True, text=True)
    text = (log.read_text("utf-8") if log.exists() else "") + done.stderr
    assert done.returncode == 0, text[-3000:]
    return text


@pytest.mark.crawl
def test_compressed_and_parquet_outputs_by_name(tmp_path):
    gz, zst, parquet = (tmp_path / n for n in ("out.jsonl.gz", "out.jsonl.zst", "out.parquet"))
    _crawl(tmp_path, "-O", str(gz), "-O", str(zst), "-O", str(parquet))
    assert gz.read_bytes()[:2] == b"\x1f\x8b", "gzip, not plain text under a .gz name"
    records = [json.loads(line) for line in gzip.decompress(gz.read_bytes()).splitlines()]
    assert len(records) == len(PORTAL_TRUTH["articles"])
    with zstandard.ZstdDecompressor().stream_reader(zst.open("rb")) as reader:
        assert [json.loads(line) for line in reader.read().splitlines()] == records
    table = pq.read_table(parquet)
    assert table.schema.field("word_count").type == pa.int64()
    fetched_at = table.schema.field("fetched_at").type
    assert pa.types.is_timestamp(fetched_at) and fetched_at.tz == "UTC"
    # Parquet names a list's items "element" and keeps no second-precision timestamps (ms);
    # the types are the loaders' otherwise.
    table = table.cast(loaders.arrow_schema())
    as_json = pa_json.read_json(gz, parse_options=loaders.arrow_parse_options())
    assert table.sort_by("id").equals(as_json.sort_by("id")), "the loaders' table, typed"


@pytest.mark.crawl
def test_an_s3_feed_is_written_to_the_bucket(tmp_path):
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        s3.create_bucket(Bucket="news")
        _crawl(
            tmp_path,
            "-O",
            "s3://news/daily/out.jsonl.gz",
            "-s",
            f"AWS_ENDPOINT_URL={endpoint}",
            "-s",
            f"NEWS_MANIFEST={tmp_path / 'manifest.json'}",
            # A remote output's run files go under data/ by default: keep them in tmp_path.
            *("-s", f"NEWS_STATS_FILE={tmp_path / 'stats.json'}"),
            *("-s", "AWS_ACCESS_KEY_ID=test", "-s", "AWS_SECRET_ACCESS_KEY=test"),
            *("-s", "AWS_REGION_NAME=us-east-1"),
        )
        body = s3.get_object(Bucket="news", Key="daily/out.jsonl.gz")["Body"].read()
    finally:
        server.stop()
    assert len(gzip.decompress(body).splitlines()) == len(PORTAL_TRUTH["articles"])
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    (file,) = manifest["files"]
    assert file["uri"] == "s3://news/daily/out.jsonl.gz"
    assert file["records"] == len(PORTAL_TRUTH["articles"])
