"""Jobs: the name of a scheduled crawl, which keys its run history, so that "the previous run"
and the baseline of the health rules are the same job's runs, whatever else ran in between.

A job is ``-a job=NAME`` or ``NEWS_JOB``; else it is derived from the sites crawled and their
start URLs, so that the same command is the same job. Runs of the demo portal and distributed
workers (whose manifests are merged afterwards) belong to no job and never become a baseline;
``scrapy parse`` and ``scrapy try`` write no manifest at all.

A job's history is ``<NEWS_JOBS_DIR>/<job>/history.json``: the last runs' per-site figures and
files, written atomically. ``NEWS_JOBS_DIR`` empty: ``jobs/`` beside the crawl state file.
Beside it, ``latest.json`` names the last run's delivery (its committed outputs, manifest,
stats and rejects), for whatever loads the job's output; retention (``NEWS_KEEP_RUNS``,
``NEWS_KEEP_DAYS``) removes older runs' files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from crawler.runfiles import paths
from crawler.sites import SiteConfig

# Runs kept in a history: far more than any baseline needs, and a few KB.
HISTORY_KEPT = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_name(sites: Mapping[str, SiteConfig]) -> str:
    """``<site>-<hash>`` (``<site>+N-<hash>`` for N more sites): readable, and distinct for
    different start URLs of the same sites."""
    digest = hashlib.sha256()
    for name in sorted(sites):
        digest.update(name.encode() + b"\0" + "\0".join(sites[name].start_urls).encode() + b"\n")
    names = sorted(sites)
    head = safe_name(names[0])[:40] + (f"+{len(names) - 1}" if len(names) > 1 else "")
    return f"{head}-{digest.hexdigest()[:8]}"


def safe_name(job: str) -> str:
    """``job`` made safe as a folder name."""
    return _UNSAFE.sub("_", job).strip("._") or "job"


def jobs_dir(settings: BaseSettings) -> Path:
    """``NEWS_JOBS_DIR``, or ``jobs/`` beside a local crawl state file (state and history are
    backed up and reset together), or ``data/jobs``."""
    if folder := settings.get("NEWS_JOBS_DIR"):
        return Path(folder)
    state = settings.get("NEWS_STATE") or ""
    if state and "://" not in state:
        return Path(state).parent / "jobs"
    return Path("data/jobs")


class JobHistory:
    """The runs of one job, oldest first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "history.json"

    def runs(self) -> list[dict[str, Any]]:
        try:
            runs = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except ValueError as exc:
            raise ValueError(f"unreadable job history {self.path}: {exc}") from exc
        return runs if isinstance(runs, list) else []

    def set_aside(self) -> Path:
        """Moves an unreadable history out of the way (kept for a look, not read again)."""
        aside = self.path.with_name("history.unreadable.json")
        self.path.replace(aside)
        return aside

    def append(self, runs: list[dict[str, Any]], manifest: Mapping[str, Any], path: Path) -> None:
        """Writes ``runs`` and the run ``manifest`` describes (written to ``path``)."""
        entry = {
            "crawl_id": manifest["crawl_id"],
            "finished_at": manifest["finished_at"],
            "finish_reason": manifest.get("finish_reason"),
            "manifest": str(path),
            "healthy": manifest["health"]["ok"],
            # Every local file of the run, for retention.
            "files": _local_files(manifest, path),
            "sites": {
                name: {
                    "article_pages": site["article_pages"],
                    "rejected": sum(site["rejected"].values()),
                    "records": site["articles"]["new"] + site["articles"]["changed"],
                }
                for name, site in manifest["sites"].items()
            },
        }
        write_json_atomically(self.path, [*runs, entry][-HISTORY_KEPT:])

    def write_latest(self, manifest: Mapping[str, Any], path: Path) -> None:
        """``latest.json``: the run just finished and what it delivered (``files``: its
        committed outputs, none when it found nothing new)."""
        run_files = manifest.get("run_files") or {}
        latest = {
            "job": manifest.get("job"),
            "crawl_id": manifest["crawl_id"],
            "finished_at": manifest["finished_at"],
            "healthy": manifest["health"]["ok"],
            "exit_code": manifest["health"]["exit_code"],
            "manifest": str(path),
            "files": [
                {k: f[k] for k in ("uri", "records", "sha256") if k in f}
                for f in manifest["files"]
                if f.get("committed") is not False and f.get("records")
            ],
            "stats": (run_files.get("stats") or {}).get("path"),
            "rejects": (run_files.get("rejects") or {}).get("path"),
        }
        write_json_atomically(self.folder / "latest.json", latest)

    def apply_retention(self, keep_runs: int, keep_days: float) -> list[str]:
        """Removes the files of the runs retention lets go (a file a kept run lists too, as
        ``-O out.jsonl`` is in every run's, stays); what it removed."""
        if not (keep_runs or keep_days):
            return []
        runs = self.runs()
        old = set(paths.expired(runs, keep_runs, keep_days))
        if not any(runs[i].get("files") for i in old):
            return []
        kept = {f for i, run in enumerate(runs) if i not in old for f in run.get("files", [])}
        doomed = [f for i in sorted(old) for f in runs[i].get("files", []) if f not in kept]
        removed = paths.remove(doomed)
        for i in old:
            runs[i]["files"] = []
        write_json_atomically(self.path, runs)
        return removed


def baseline(runs: list[dict[str, Any]], last: int) -> dict[str, tuple[float, int]]:
    """Per site, the median article pages of the job's last ``last`` healthy runs that crawled
    it, and how many runs that is. Unhealthy runs are left out: a broken site stays compared
    with how it was before it broke."""
    pages: dict[str, list[int]] = {}
    for run in [r for r in runs if r.get("healthy")][-last:] if last else []:
        for name, site in run.get("sites", {}).items():
            pages.setdefault(name, []).append(site.get("article_pages", 0))
    return {name: (statistics.median(values), len(values)) for name, values in pages.items()}


def write_json_atomically(path: Path, data: Any, **dump: Any) -> None:
    """``data`` as JSON at ``path``: a reader sees the old file or the new one, never half.
    ``dump``: more ``json.dumps`` options."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        temp.write_text(json.dumps(data, indent=1, ensure_ascii=False, **dump) + "\n", "utf-8")
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)  # a full disk leaves no half file behind
        raise


def _local_files(manifest: Mapping[str, Any], path: Path) -> list[str]:
    # A merged manifest lists the workers' manifests too.
    found = [str(path), *manifest.get("merged_from", [])]
    for file in manifest["files"]:
        local = paths.local_path(file["uri"])
        if local is not None and file.get("committed") is not False:
            found.append(str(local))
    for run_file in (manifest.get("run_files") or {}).values():
        if run_file:
            found.append(run_file["path"])
    return found
