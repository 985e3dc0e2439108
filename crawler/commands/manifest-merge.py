"""``scrapy manifest-merge CRAWL_ID [DIR]`` joins the manifests the workers of one distributed
crawl wrote (``DIR/manifests/CRAWL_ID.*.json``, DIR default ``out``) into one,
``DIR/manifests/CRAWL_ID.json``; the exit status is the merged run's health. The workers' job
gets the merged run in its history and ``latest.json`` (``crawler.runfiles.jobs``; workers keep
none), compared with its previous runs as a crawl of one process is."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.runfiles import jobs
from crawler.runfiles.manifest import HealthRules, alerts, merge_manifests, previous_run


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "CRAWL_ID [DIR]"

    def short_desc(self) -> str:
        return "Merge the manifests of the workers of one distributed crawl"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) not in (1, 2):
            raise UsageError("expected CRAWL_ID [DIR]")
        crawl_id = args[0]
        folder = Path(args[1] if len(args) > 1 else "out")
        folder = folder if folder.name == "manifests" else folder / "manifests"
        paths = sorted(folder.glob(f"{crawl_id}.*.json"))
        if not paths:
            raise UsageError(f"no worker manifests {folder}/{crawl_id}.*.json")
        manifests = [json.loads(p.read_text("utf-8")) for p in paths]
        rules = HealthRules.from_settings(self.settings)
        job = manifests[0].get("job")
        history = (
            jobs.JobHistory(jobs.jobs_dir(self.settings) / jobs.safe_name(job)) if job else None
        )
        runs = self._runs(history)
        merged = merge_manifests(manifests, rules, jobs.baseline(runs, rules.health_runs))
        merged["merged_from"] = [str(p) for p in paths]
        merged["run_files"] = {
            f"{m.get('worker_id')}/{kind}": file
            for m in manifests
            for kind, file in (m.get("run_files") or {}).items()
        }
        previous = previous_run(runs)
        merged["previous"] = (
            {"crawl_id": previous.get("crawl_id"), "path": previous.get("manifest")}
            if previous
            else None
        )
        merged["alerts"] = alerts(merged, previous or {}, rules.drop_alert)
        target = folder / f"{crawl_id}.json"
        jobs.write_json_atomically(target, merged)
        if history is not None:
            # The job's history, latest.json and retention, as a crawl of one process keeps them.
            history.append(runs, merged, target)
            history.write_latest(merged, target)
            keep = self.settings.getint("NEWS_KEEP_RUNS"), self.settings.getfloat("NEWS_KEEP_DAYS")
            history.apply_retention(*keep)
        print(f"{target}: {len(paths)} workers, {merged['totals'].get('records', 0)} records")
        for alert in merged["alerts"]:
            print(f"compared with the previous run: {alert}")
        for failure in merged["health"]["failures"]:
            print(f"unhealthy: {failure}")
        self.exitcode = merged["health"]["exit_code"]

    @staticmethod
    def _runs(history: jobs.JobHistory | None) -> list[dict[str, Any]]:
        if history is None:
            return []
        try:
            return history.runs()
        except ValueError as exc:
            print(f"{exc}; set aside as {history.set_aside()}, a new history starts")
            return []
