"""Crash-safe local output: a feed file appears under its final name only when it is complete.

``AtomicFileFeedStorage`` replaces Scrapy's file storage (``FEED_STORAGES`` for plain paths and
``file://``): it writes to a hidden ``.NAME.HOST.PID.RANDOM.part`` beside the target, fsyncs
it, sends ``feed_committing`` (the crawl state stages the file's records), renames it into place
and fsyncs the folder. A crawl killed before that leaves only the ``.part`` file, which a later
crawl writing to that folder removes once it is stale: written on this host by a process that is
gone, or, from another host or container sharing the folder (whose processes cannot be seen
from here), older than ``NEWS_PART_STALE_HOURS`` and not locked by its writer. ``-o`` (append)
copies the existing file first, so the appended file appears at once too.

A distributed crawl (``crawl.distributed``) puts ``%(worker_id)s`` in the file names, so that each
worker writes its own files.

``partitioned_feeds`` is the output of a crawl given no ``-o``/``-O``: one file per site,
``NEWS_OUTPUT`` (e.g. ``out/%(site)s/%(crawl_date)s/%(crawl_id)s.jsonl``; ``.jsonl.gz``,
``.jsonl.zst`` or ``.parquet`` for those formats).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import ItemFilter
from scrapy.signalmanager import SignalManager
from twisted.python.failure import Failure
from w3lib.url import file_uri_to_path

from crawler.errors import StartupError
from crawler.runfiles import formats, paths

logger = logging.getLogger(__name__)

# .NAME.HOST.PID.RANDOM.part
_PART = re.compile(r"^\..+\.([A-Za-z0-9_-]+)\.(\d+)\.[0-9a-f]{8}\.part$")
# Sent with storage (an AtomicFileFeedStorage, its sha256 known) just before the rename.
feed_committing = object()


class AtomicFileFeedStorage:
    def __init__(
        self,
        uri: str,
        *,
        feed_options: dict[str, Any] | None = None,
        signals: SignalManager | None = None,
        stale_hours: float = 24.0,
    ) -> None:
        self.path = Path(file_uri_to_path(uri) if uri.startswith("file:") else uri)
        self.stale_seconds = stale_hours * 3600
        self.append = not (feed_options or {}).get("overwrite", False)
        self.signals = signals
        self.temp: Path | None = None
        self.sha256: str | None = None
        # None until stored; then whether the file got its final name.
        self.committed: bool | None = None

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> AtomicFileFeedStorage:
        stale = crawler.settings.getfloat("NEWS_PART_STALE_HOURS")
        storage = cls(uri, feed_options=feed_options, signals=crawler.signals, stale_hours=stale)
        paths.check_writable(storage.path, "output")
        return storage

    def open(self, spider: Spider) -> IO[bytes]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_parts(self.path, self.stale_seconds)
        token = secrets.token_hex(4)
        name = f".{self.path.name}.{host_token()}.{os.getpid()}.{token}.part"
        self.temp = self.path.with_name(name)
        file = self.temp.open("x+b")
        # Held until the file is closed: a crawl elsewhere that shares the folder keeps off.
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        if self.append and self.path.exists():
            with self.path.open("rb") as old:
                shutil.copyfileobj(old, file)
        return file

    def store(self, file: IO[bytes]) -> None:
        assert self.temp is not None, "store() before open()"
        self.committed = False
        try:
            file.flush()
            os.fsync(file.fileno())
            file.seek(0)
            digest = hashlib.sha256()
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        except OSError:
            # A full disk: not stored (Scrapy logs it, the manifest fails the run), and no
            # half file left for the next crawl to clear.
            with contextlib.suppress(OSError):
                file.close()
            self.temp.unlink(missing_ok=True)
            raise
        file.close()
        self.sha256 = digest.hexdigest()
        if self.signals is not None:
            results = self.signals.send_catch_log(feed_committing, storage=self)
            if any(isinstance(result, Failure) for _, result in results):
                # The crawl state could not stage the file's records (its store is gone): a
                # file delivered now would be emitted again by the next crawl. Not delivered.
                self.temp.unlink(missing_ok=True)
                logger.error(
                    "Output not stored, its records were not staged: %(p)s", {"p": self.path}
                )
                return
        os.replace(self.temp, self.path)
        _fsync_dir(self.path.parent)
        self.committed = True


def sha256_of(path: str | Path) -> str | None:
    """The SHA-256 of a local file, None when there is none."""
    try:
        with Path(path).open("rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return None


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_parts(path: Path, stale_seconds: float) -> None:
    """Temporary files that crawls killed while writing left beside ``path``: of this host, by a
    process that is gone; of another host, older than ``stale_seconds`` and not locked."""
    here = host_token()
    for part in path.parent.glob(".*.part"):
        match = _PART.match(part.name)
        if match is None:
            continue
        if match[1] == here:
            stale = not _alive(int(match[2]))
        else:
            stale = _older_than(part, stale_seconds) and not _locked(part)
        if stale:
            logger.info("Removing the unfinished output of a killed crawl: %(p)s", {"p": part})
            part.unlink(missing_ok=True)


def host_token() -> str:
    """This host's name as one token of a part file's name."""
    return re.sub(r"[^A-Za-z0-9-]", "_", socket.gethostname()) or "host"


def _older_than(part: Path, seconds: float) -> bool:
    try:
        return time.time() - part.stat().st_mtime > seconds
    except OSError:
        return False


def _locked(part: Path) -> bool:
    """Whether a writer holds the file's lock (where the file system shares locks)."""
    try:
        with part.open("rb") as file:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


class SiteFilter(ItemFilter):
    """Accepts the records of one site (the feed option ``site``)."""

    def accepts(self, item: Any) -> bool:
        return ItemAdapter(item).get("site") == (self.feed_options or {}).get("site")


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def site_slug(site: str) -> str:
    """A site's name as one path segment: the name itself when it is safe; else its safe
    characters plus 8 hex digits of its hash, so that names made alike by the replacement
    (``新闻`` and ``资讯`` both ``site``, ``a/b`` and ``a_b``) keep files of their own."""
    slug = _UNSAFE.sub("_", site).strip("._")
    if slug == site:
        return site
    return f"{slug or 'site'}-{hashlib.sha256(site.encode('utf-8')).hexdigest()[:8]}"


def partitioned_feeds(template: str, sites: Iterable[str]) -> dict[str, dict[str, Any]]:
    """FEEDS for one JSON Lines file per site from ``template`` (``%(site)s`` is the site's
    ``site_slug``; ``%(crawl_id)s``, ``%(crawl_date)s`` and Scrapy's own ``%(name)s`` and
    ``%(time)s`` are filled in by the feed exporter). A site with nothing new gets no file.
    Two sites whose paths would still be one file (also on a case-insensitive file system)
    are refused: each would replace the other's file."""
    feeds: dict[str, dict[str, Any]] = {}
    owners: dict[str, str] = {}
    for site in sites:
        uri = template.replace("%(site)s", site_slug(site))
        if (other := owners.setdefault(uri.casefold(), site)) != site:
            raise StartupError(f"sites {other!r} and {site!r} would write the same file {uri}")
        options: dict[str, Any] = {
            "format": "jsonlines",
            "item_filter": SiteFilter,
            "site": site,
            "overwrite": True,
            "store_empty": False,
        }
        # .gz, .zst compressed; .parquet as Parquet (crawler.runfiles.formats).
        options.update(formats.feed_options(uri))
        feeds[uri] = options
    return feeds
