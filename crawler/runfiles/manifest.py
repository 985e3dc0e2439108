"""The run manifest: one JSON file per crawl that tells a scheduler and a data team what the run
did, per site, and whether it was healthy; ``scrapy crawl`` exits non-zero when it was not.

Per site: pages fetched, article pages new / changed / unchanged / skipped, records dropped,
rejects and errors by reason, the error rate, field coverage of the emitted records. Then the
output files with record counts and SHA-256, the comparison with the same job's previous run
(large drops are flagged under ``alerts``; ``crawler.runfiles.jobs``) and the health verdict.

Settings: ``NEWS_MANIFEST`` (path; ``%(crawl_id)s``, ``%(name)s``, ``%(time)s`` filled in;
empty: beside the output), ``NEWS_JOB``, ``NEWS_JOBS_DIR``, ``NEWS_HEALTH_MIN_ARTICLES``,
``NEWS_MAX_ERROR_RATE``, ``NEWS_MAX_REJECT_SHARE``, ``NEWS_HEALTH_MIN_REJECTED``,
``NEWS_MIN_YIELD``, ``NEWS_HEALTH_RUNS``, ``NEWS_DROP_ALERT``, ``NEWS_UNHEALTHY_EXIT_CODE``.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedSlot
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from crawler import signals as news_signals
from crawler.runfiles import feedstorage, jobs, paths
from crawler.runfiles.paths import with_worker_id
from crawler.runfiles.rejects import UNWRITTEN, RejectItem, RejectsFile
from crawler.runfiles.runstats import StatsFile
from crawler.state import tracker as state

logger = logging.getLogger(__name__)

MANIFEST_VERSION = 1
# Requests refused by policy (robots.txt, page budget, redirect rules) are not server errors.
_REFUSALS = frozenset(
    {"failed/robots_txt", "failed/site_budget", "failed/offsite_redirect", "failed/redirect_scheme"}
)
# Finish reasons of a crawl that did not get to its end.
# (redis_unavailable: a distributed worker that lost Redis, crawler.crawl.distributed.)
_CUT_SHORT = frozenset({"shutdown", "memusage_exceeded", "cancelled", "redis_unavailable"})


def new_crawl_id(now: datetime | None = None) -> str:
    """A crawl id that sorts by start time: ``20240605T101500Z-3fa9c1``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def worker_id() -> str:
    """The default ``NEWS_WORKER_ID``: host name and process id."""
    return f"{socket.gethostname()}-{os.getpid()}"


def merge_manifests(
    manifests: list[dict[str, Any]],
    rules: HealthRules,
    baseline: dict[str, tuple[float, int]] | None = None,
) -> dict[str, Any]:
    """One manifest for the workers of one distributed crawl: per-site counts summed, files
    listed together, health judged on the whole (and failed when a worker failed); ``baseline``
    as for ``verdict``."""
    ids = {m.get("crawl_id") for m in manifests}
    if len(ids) != 1:
        raise ValueError(f"manifests of different crawls: {sorted(map(str, ids))}")
    sites: dict[str, SiteTally] = {}
    for m in manifests:
        for name, site in m.get("sites", {}).items():
            tally = sites.setdefault(name, SiteTally())
            tally.pages_fetched += site["pages_fetched"]
            tally.articles.update(site["articles"])
            tally.dropped.update(site["dropped"])
            tally.rejected.update(site["rejected"])
            tally.errors.update(site["errors"])
            records = site["articles"]["new"] + site["articles"]["changed"]
            for key, share in site["coverage"].items():
                tally.covered[key] += round((share or 0) * records)
            tally.responses_ok += site.get("responses_ok", 0)
    merged_sites = {name: tally.summary() for name, tally in sorted(sites.items())}
    files = [f for m in manifests for f in m.get("files", [])]
    totals: Counter[str] = Counter()
    for site in merged_sites.values():
        totals.update(site["articles"])
        totals["pages_fetched"] += site["pages_fetched"]
    totals["records"] = sum(f["records"] for f in files)
    reasons = sorted({str(m.get("finish_reason")) for m in manifests})
    merged: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "crawl_id": ids.pop(),
        "job": manifests[0].get("job"),
        "spider": manifests[0].get("spider"),
        "started_at": min(m["started_at"] for m in manifests),
        "finished_at": max(m["finished_at"] for m in manifests),
        "finish_reason": reasons[0] if len(reasons) == 1 else ",".join(reasons),
        "workers": sorted(str(m.get("worker_id")) for m in manifests),
        "totals": dict(totals),
        "sites": merged_sites,
        "files": files,
    }
    failures = verdict({**merged, "finish_reason": None}, rules, baseline)
    for m in manifests:
        failures += [
            f"worker {m.get('worker_id')}: {f}"
            for f in m.get("health", {}).get("failures", [])
            if f.startswith(("the crawl did not finish", "output not stored"))
        ]
    merged["health"] = {
        "ok": not failures,
        "failures": failures,
        "exit_code": rules.exit_code if failures else 0,
    }
    return merged


@dataclass(frozen=True)
class HealthRules:
    """When a run is unhealthy (and ``scrapy crawl`` exits with ``exit_code``)."""

    min_articles: int = 1
    max_error_rate: float = 0.5
    # A site whose article pages are rejected beyond this share (once there are at least
    # min_rejected rejects) is partly broken: say JavaScript shells instead of articles.
    max_reject_share: float = 0.2
    min_rejected: int = 3
    # A site whose article pages fall below this share of the job's previous runs (the median
    # of the last health_runs healthy ones) has lost part of its discovery.
    min_yield: float = 0.5
    health_runs: int = 5
    drop_alert: float = 0.5
    exit_code: int = 3

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> HealthRules:
        return cls(
            min_articles=settings.getint("NEWS_HEALTH_MIN_ARTICLES"),
            max_error_rate=settings.getfloat("NEWS_MAX_ERROR_RATE"),
            max_reject_share=settings.getfloat("NEWS_MAX_REJECT_SHARE"),
            min_rejected=settings.getint("NEWS_HEALTH_MIN_REJECTED"),
            min_yield=settings.getfloat("NEWS_MIN_YIELD"),
            health_runs=settings.getint("NEWS_HEALTH_RUNS"),
            drop_alert=settings.getfloat("NEWS_DROP_ALERT"),
            exit_code=settings.getint("NEWS_UNHEALTHY_EXIT_CODE"),
        )


# What became of an article page: ``duplicate`` repeats another record, of this run or
# delivered before (a site that moved its articles to new URLs yields nothing else).
_OUTCOMES = ("new", "changed", "unchanged", "duplicate", "skipped")
# The fields whose coverage (share of the records that have them) a site's summary gives.
_COVERED = ("date_published", "authors", "language")


@dataclass
class SiteTally:
    pages_fetched: int = 0
    responses_ok: int = 0
    articles: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    covered: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        failed = sum(n for k, n in self.errors.items() if k.startswith("failed/"))
        failed -= sum(self.errors[k] for k in _REFUSALS)
        records = self.articles["new"] + self.articles["changed"]
        return {
            "pages_fetched": self.pages_fetched,
            # Answered requests, the denominator of error_rate (manifests of workers add up).
            "responses_ok": self.responses_ok,
            "articles": {k: self.articles[k] for k in _OUTCOMES},
            "article_pages": sum(self.articles.values()),
            "dropped": dict(sorted(self.dropped.items())),
            "rejected": dict(sorted(self.rejected.items())),
            "errors": dict(sorted(self.errors.items())),
            "error_rate": round(failed / (failed + self.responses_ok), 4) if failed else 0.0,
            "coverage": {
                k: round(self.covered[k] / records, 4) if records else None for k in _COVERED
            },
        }


def verdict(
    manifest: dict[str, Any],
    rules: HealthRules,
    baseline: dict[str, tuple[float, int]] | None = None,
) -> list[str]:
    """Why the run described by ``manifest`` is unhealthy; empty when it is healthy.
    ``baseline``: per site, the median article pages of the job's previous runs and their
    number (``jobs.baseline``)."""
    failures = []
    reason = manifest.get("finish_reason")
    if reason in _CUT_SHORT:
        failures.append(f"the crawl did not finish: {reason}")
    for file in manifest["files"]:
        if file.get("committed") is False:
            failures.append(f"output not stored: {file['uri']}")
    for name, site in manifest["sites"].items():
        if site["article_pages"] < rules.min_articles:
            failures.append(
                f"site {name}: {site['article_pages']} article pages (new, changed, unchanged, "
                f"duplicate or skipped), fewer than NEWS_HEALTH_MIN_ARTICLES={rules.min_articles}"
            )
        if site["error_rate"] > rules.max_error_rate:
            failures.append(
                f"site {name}: error rate {site['error_rate']:.2f} above "
                f"NEWS_MAX_ERROR_RATE={rules.max_error_rate} ({_top(site['errors'])})"
            )
        rejected = sum(site.get("rejected", {}).values())
        share = rejected / (rejected + site["article_pages"]) if rejected else 0.0
        if rejected >= rules.min_rejected and share > rules.max_reject_share:
            failures.append(
                f"site {name}: {rejected} of {rejected + site['article_pages']} article pages "
                f"rejected ({share:.0%}), above NEWS_MAX_REJECT_SHARE={rules.max_reject_share} "
                f"({_top(site['rejected'])})"
            )
        median, runs = (baseline or {}).get(name, (0, 0))
        if median and site["article_pages"] < rules.min_yield * median:
            failures.append(
                f"site {name}: {site['article_pages']} article pages, below "
                f"NEWS_MIN_YIELD={rules.min_yield} of the job's previous runs (median {median:g} "
                f"over {runs})"
            )
    return failures


def alerts(manifest: dict[str, Any], previous: dict[str, Any], drop: float) -> list[str]:
    """Large drops since the previous run: a site's article pages fell by more than ``drop``
    (a share), or a site is gone."""
    found = []
    for name, before in previous.get("sites", {}).items():
        now = manifest["sites"].get(name)
        if now is None:
            found.append(f"site {name}: not crawled (previous run: {before['article_pages']})")
            continue
        was, is_ = before.get("article_pages", 0), now["article_pages"]
        if drop and was and is_ < was * (1 - drop):
            found.append(
                f"site {name}: {is_} article pages, previous run {was} ({is_ / was - 1:+.0%})"
            )
    return found


def previous_run(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last of a job's runs that got to its end: what a run is compared with."""
    finished = [r for r in runs if r.get("finish_reason") not in _CUT_SHORT]
    return finished[-1] if finished else None


def _top(errors: dict[str, int]) -> str:
    return ", ".join(f"{k}: {n}" for k, n in Counter(errors).most_common(3))


class RunManifest:
    def __init__(
        self,
        path: str,
        stats: StatsCollector,
        rules: HealthRules,
        jobs_dir: Path | None = None,
        job: str = "",
        keep_runs: int = 0,
        keep_days: float = 0.0,
    ) -> None:
        self.path_template = path
        self.stats = stats
        self.rules = rules
        # Where job histories are kept; None: this run belongs to no job (a distributed worker).
        self.jobs_dir = jobs_dir
        # The job named by NEWS_JOB or -a job=; empty: derived from the sites when they open.
        self.job: str | None = job
        # Retention of the job's run files (NEWS_KEEP_RUNS, NEWS_KEEP_DAYS; 0: no limit).
        self.keep_runs = keep_runs
        self.keep_days = keep_days
        # Finds this run's stats and rejects extensions (set by from_crawler).
        self._get_extension: Callable[[type[Any]], Any] = lambda cls: None
        self.crawl_id = new_crawl_id()
        self.worker_id = ""
        self.spider_name = "crawl"
        self.started_at = _now()
        self.finish_reason: str | None = None
        self.sites: dict[str, SiteTally] = {}
        self.files: list[dict[str, Any]] = []
        self.path: Path | None = None
        # The verdict once written: a list of failures, empty when healthy.
        self.failures: list[str] | None = None
        # The manifest as written (the console's summary reads it).
        self.written: dict[str, Any] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunManifest:
        settings = crawler.settings
        rules = HealthRules.from_settings(settings)
        path = settings.get("NEWS_MANIFEST") or paths.beside_output(
            settings, ".manifest.json", "manifests", ".json"
        )
        jobs_dir: Path | None = jobs.jobs_dir(settings)
        if settings.get("NEWS_REDIS_URL"):
            # One manifest per worker of a distributed crawl (scrapy manifest-merge joins them).
            path = with_worker_id(path)
            # A worker may get none of a site's articles: that rule is for the merged manifest,
            # and a worker's share of a crawl is no baseline for the next one.
            rules = replace(rules, min_articles=0, min_yield=0)
            jobs_dir = None
        paths.check_writable(path, "manifest")
        ext = cls(
            path,
            crawler.stats,
            rules,
            jobs_dir,
            settings.get("NEWS_JOB") or "",
            settings.getint("NEWS_KEEP_RUNS"),
            settings.getfloat("NEWS_KEEP_DAYS"),
        )
        # The stats and rejects extensions, asked for once all extensions are built.
        ext._get_extension = crawler.get_extension
        for handler, signal in (
            (ext.spider_opened, signals.spider_opened),
            (ext.spider_closed, signals.spider_closed),
            (ext.response_received, signals.response_received),
            (ext.item_scraped, signals.item_scraped),
            (ext.item_dropped, signals.item_dropped),
            (ext.record_unwritten, news_signals.record_unwritten),
            (ext.feed_slot_closed, signals.feed_slot_closed),
            (ext.page_failed, news_signals.page_failed),
            (ext.page_rejected, news_signals.page_rejected),
            (ext.article_unchanged, state.article_unchanged),
            # After the feeds are stored and the stats have their finish reason.
            (ext.engine_stopped, signals.engine_stopped),
        ):
            crawler.signals.connect(handler, signal=signal)
        return ext

    @property
    def exit_code(self) -> int:
        return self.rules.exit_code if self.failures else 0

    def _site(self, name: str | None) -> SiteTally:
        return self.sites.setdefault(name or "?", SiteTally())

    def spider_opened(self, spider: Spider) -> None:
        self.crawl_id = getattr(spider, "crawl_id", None) or self.crawl_id
        self.worker_id = getattr(spider, "worker_id", "")
        self.spider_name = spider.name
        self.started_at = _now()
        sites = getattr(spider, "sites", {})
        for name in sites:
            self._site(name)
        # No site given: the demo portal, an ad-hoc run that no job compares with. (A worker of
        # a distributed crawl names its job, for manifest-merge, but keeps no history.)
        if not sites:
            self.job = None
        else:
            self.job = getattr(spider, "job", None) or self.job or jobs.default_name(sites)

    def spider_closed(self, reason: str) -> None:
        self.finish_reason = reason

    def response_received(self, response: Response, request: Request) -> None:
        if "site" not in request.meta:  # Scrapy's own robots.txt requests
            return
        tally = self._site(request.meta["site"])
        if request.meta.get("page"):
            tally.pages_fetched += 1
        # A guessed feed or sitemap path that is not there is an answer, not an error.
        if response.status < 400 or (request.meta.get("probe") and response.status in (404, 410)):
            tally.responses_ok += 1

    def item_scraped(self, item: Any) -> None:
        self._count_record(item, 1)

    def record_unwritten(self, item: Any) -> None:
        """Counted by item_scraped, then not written: a reject (page_rejected), not a record."""
        self._count_record(item, -1)

    def _count_record(self, item: Any, step: int) -> None:
        adapter = ItemAdapter(item)
        tally = self._site(adapter.get("site"))
        tally.articles["new" if (adapter.get("version") or 1) == 1 else "changed"] += step
        for key in _COVERED:
            if adapter.get(key):
                tally.covered[key] += step

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        # Rejects are counted from page_rejected; unchanged articles from article_unchanged.
        reason = getattr(exception, "reason", None) or type(exception).__name__
        if isinstance(exception, RejectItem) or reason == "unchanged":
            return
        tally = self._site(ItemAdapter(item).get("site"))
        tally.dropped[reason] += 1
        if reason.startswith("duplicates/"):
            tally.articles["duplicate"] += 1

    def page_failed(self, reason: str, site: str | None = None) -> None:
        self._site(site).errors[reason] += 1

    def page_rejected(self, reason: str, site: str | None = None) -> None:
        self._site(site).rejected[reason] += 1

    def article_unchanged(self, site: str, how: str) -> None:
        self._site(site).articles["skipped" if how == "skipped" else "unchanged"] += 1

    def feed_slot_closed(self, slot: FeedSlot) -> None:
        storage = slot.storage
        local = paths.local_path(slot.uri)
        entry: dict[str, Any] = {"uri": slot.uri, "records": slot.itemcount}
        if isinstance(storage, feedstorage.AtomicFileFeedStorage):
            entry.update(sha256=storage.sha256, committed=storage.committed)
        elif local is not None:
            entry["sha256"] = feedstorage.sha256_of(local)
        if local is not None and local.exists():
            entry["bytes"] = local.stat().st_size
        self.files.append(entry)

    def engine_stopped(self) -> None:
        path = paths.fill(self.path_template, self.crawl_id, self.spider_name, self.worker_id)
        history = self._history()
        runs = self._runs(history)
        previous = previous_run(runs)
        manifest = self.build()
        manifest["run_files"] = self._run_files()
        manifest["previous"] = (
            {"crawl_id": previous.get("crawl_id"), "path": previous.get("manifest")}
            if previous
            else None
        )
        manifest["alerts"] = alerts(manifest, previous or {}, self.rules.drop_alert)
        # The job's latest-delivery pointer, written next (null: an ad-hoc run).
        manifest["latest"] = str(history.folder / "latest.json") if history else None
        self.failures = verdict(manifest, self.rules, jobs.baseline(runs, self.rules.health_runs))
        self.failures += self._unwritten_run_files()
        manifest["health"] = {
            "ok": not self.failures,
            "failures": self.failures,
            "exit_code": self.exit_code,
        }
        try:
            jobs.write_json_atomically(path, manifest)
        except OSError as exc:
            self._not_written(f"the run manifest {path}", exc)
        else:
            self.path = path
            self.written = manifest
            logger.info("Run manifest written to %(path)s", {"path": path})
            if history is not None:
                self._write_history(history, runs, manifest, path)
        for alert in manifest["alerts"]:
            logger.warning("Compared with the previous run: %(alert)s", {"alert": alert})
        for failure in self.failures:
            logger.error("Unhealthy run: %(failure)s", {"failure": failure})

    def _write_history(
        self,
        history: jobs.JobHistory,
        runs: list[dict[str, Any]],
        manifest: dict[str, Any],
        path: Path,
    ) -> None:
        try:
            history.append(runs, manifest, path)
            history.write_latest(manifest, path)
            for removed in history.apply_retention(self.keep_runs, self.keep_days):
                logger.info("Removed an old run's file: %(path)s", {"path": removed})
                self.stats.inc_value("newscrawl/retention/removed")
        except OSError as exc:
            self._not_written(f"the job history in {history.folder}", exc)

    def _unwritten_run_files(self) -> list[str]:
        """Health failures for the stats and rejects this run could not write (a full disk)."""
        failures = []
        error = getattr(self._get_extension(StatsFile), "error", None)
        if error:
            failures.append(f"stats file not written: {error}")
        if unwritten := self.stats.get_value(UNWRITTEN, 0):
            failures.append(f"{unwritten} rejected pages not in the rejects file (see the log)")
        return failures

    def _not_written(self, what: str, exc: OSError) -> None:
        """A run file a full disk (or the like) refused after the crawl fails the run (its exit
        status), since a scheduler reads these files; logged with the other failures."""
        self.failures.append(f"{what} not written: {exc.strerror or exc}")

    def _run_files(self) -> dict[str, Any]:
        """The stats and rejects files of this run, with their SHA-256 (null: none written)."""
        found: dict[str, Any] = {"stats": None, "rejects": None}
        stats = getattr(self._get_extension(StatsFile), "written", None)
        rejects_file = self._get_extension(RejectsFile)
        # The rejects file exists only when this run rejected a page.
        rejects = rejects_file.path if getattr(rejects_file, "written", False) else None
        for kind, file in (("stats", stats), ("rejects", rejects)):
            if file is not None:
                found[kind] = {"path": str(file), "sha256": feedstorage.sha256_of(file)}
        return found

    def build(self) -> dict[str, Any]:
        sites = {name: tally.summary() for name, tally in sorted(self.sites.items())}
        totals: Counter[str] = Counter()
        for site in sites.values():
            totals.update(site["articles"])
            totals["pages_fetched"] += site["pages_fetched"]
        totals["records"] = sum(f["records"] for f in self.files)
        return {
            "manifest_version": MANIFEST_VERSION,
            "crawl_id": self.crawl_id,
            # The job this run belongs to (crawler.runfiles.jobs); null: an ad-hoc run.
            "job": self.job,
            "worker_id": self.worker_id,
            "spider": self.spider_name,
            "started_at": self.started_at,
            "finished_at": _now(),
            "finish_reason": self.finish_reason,
            "totals": dict(totals),
            "sites": sites,
            "files": self.files,
        }

    def _history(self) -> jobs.JobHistory | None:
        if self.jobs_dir is None or not self.job:
            return None
        return jobs.JobHistory(self.jobs_dir / jobs.safe_name(self.job))

    def _runs(self, history: jobs.JobHistory | None) -> list[dict[str, Any]]:
        """The job's previous runs; none when its history cannot be read (set aside, logged
        and counted: the run is then compared with nothing rather than failed)."""
        if history is None:
            return []
        try:
            return history.runs()
        except ValueError as exc:
            aside = history.set_aside()
            logger.error(
                "%(error)s; set aside as %(aside)s, a new history starts",
                {"error": exc, "aside": aside},
            )
            self.stats.inc_value("newscrawl/jobs/history_unreadable")
            return []


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
