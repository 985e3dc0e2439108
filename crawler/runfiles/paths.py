"""Where a run's files go, and removing old ones.

The run files (manifest, stats, rejects) are named by crawl id and sit beside the output:
``<output>.manifest.json`` (``.stats.json``, ``.rejects.jsonl``) beside one local ``-O`` file,
``<root>/manifests/<crawl_id>.json`` (``stats/``, ``rejects/``) beside the partitioned output
under ``<root>`` (``NEWS_OUTPUT``), else under ``data/``. Templates take ``%(crawl_id)s``,
``%(worker_id)s``, ``%(name)s`` (the spider) and ``%(time)s``.

Retention (``NEWS_KEEP_RUNS``, ``NEWS_KEEP_DAYS``) removes the files of a job's older runs, as
its history lists them: outputs, manifests, stats and rejects (``crawler.runfiles.jobs``).
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from crawler.errors import StartupError

logger = logging.getLogger(__name__)


def beside_output(settings: BaseSettings, suffix: str, folder: str, ext: str) -> str:
    """The default template of a run file: ``<output><suffix>`` beside one local output,
    ``<root>/<folder>/%(crawl_id)s<ext>`` beside partitioned output or under ``data/``."""
    for uri, options in settings.getdict("FEEDS").items():
        local = local_path(str(uri))
        if local is None:
            continue
        if "%(" not in str(local):
            template = f"{local}{suffix}"
            break
        if "site" in options:  # one of the per-site feeds of NEWS_OUTPUT
            local = local_path(settings.get("NEWS_OUTPUT")) or local
        root = str(local).split("%(", 1)[0].rsplit("/", 1)[0] or "."
        template = f"{root}/{folder}/%(crawl_id)s{ext}"
        break
    else:
        template = f"data/{folder}/%(crawl_id)s{ext}"
    # Each worker of a distributed crawl writes its own.
    return with_worker_id(template) if settings.get("NEWS_REDIS_URL") else template


def with_worker_id(template: str) -> str:
    """An output or manifest path template with the worker id in the file name, so that the
    workers of a distributed crawl write their own files."""
    if not template or "%(worker_id)s" in template:
        return template
    if "%(crawl_id)s" in template:
        return template.replace("%(crawl_id)s", "%(crawl_id)s.%(worker_id)s")
    head, sep, name = template.rpartition("/")
    stem, dot, ext = name.partition(".")
    return f"{head}{sep}{stem}.%(worker_id)s{dot}{ext}"


def fill(template: str, crawl_id: str, name: str, worker_id: str = "") -> Path:
    """A run file's path from its template."""
    time = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%S")
    values = {"crawl_id": crawl_id, "worker_id": worker_id, "name": name, "time": time}
    return Path(template % values)


def check_writable(template: str | Path, what: str) -> None:
    """Raise ``StartupError`` unless a file can be written where ``template`` puts it: a file is
    tried in the nearest existing folder of its path (up to the first ``%(…)s``), where the
    rest of the path would be made. Checked as the run's files are set up, a crawl whose output
    cannot be written stops before it fetches anything, instead of fetching every page to fail
    record by record. Nothing is left behind: a site with nothing new still gets no folder."""
    static = str(template).split("%(", 1)[0]
    existing = Path(static) if static.endswith("/") else Path(static).parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise StartupError(
            f"cannot write the {what} {template}: {existing}: {exc.strerror or exc}"
        ) from None


def local_path(uri: str) -> Path | None:
    """The local path of a feed URI; None for a remote one (s3://, gs://, ...)."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(parts.path)
    if parts.scheme == "" or len(parts.scheme) == 1:  # a path (or a Windows drive letter)
        return Path(uri)
    return None


def expired(runs: list[dict[str, Any]], keep_runs: int, keep_days: float) -> list[int]:
    """Indexes of the runs whose files retention removes: beyond the newest ``keep_runs``, or
    finished more than ``keep_days`` ago (0: no limit of that kind)."""
    now = datetime.now(UTC)
    old = []
    for index, run in enumerate(runs):
        beyond = keep_runs and index < len(runs) - keep_runs
        finished = datetime.strptime(run["finished_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        too_old = keep_days and now - finished > timedelta(days=keep_days)
        if beyond or too_old:
            old.append(index)
    return old


def remove(paths: Iterable[str]) -> list[str]:
    """Removes the files at ``paths`` and the folders they leave empty, two levels up; what it
    removed."""
    removed = []
    for name in paths:
        path = Path(name)
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            logger.warning("Could not remove an old run file %(p)s: %(e)s", {"p": path, "e": exc})
            continue
        removed.append(name)
        # The date and site folders of partitioned output (out/<site>/<date>/) once empty.
        for parent in list(path.parents)[:2]:
            if any(parent.iterdir()):
                break
            parent.rmdir()
    return removed
