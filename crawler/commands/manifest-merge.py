"""``scrapy manifest-merge CRAWL_ID [DIR]`` joins the manifests the workers of one distributed
crawl wrote (``DIR/manifests/CRAWL_ID.*.json``, DIR default ``out``) into one,
``DIR/manifests/CRAWL_ID.json``; the exit status is the merged run's health."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.runfiles.manifest import HealthRules, merge_manifests


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
        merged = merge_manifests(manifests, HealthRules.from_settings(self.settings))
        merged["merged_from"] = [str(p) for p in paths]
        target = folder / f"{crawl_id}.json"
        temp = target.with_name(f".{target.name}.part")
        temp.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n", "utf-8")
        temp.replace(target)
        print(f"{target}: {len(paths)} workers, {merged['totals'].get('records', 0)} records")
        for failure in merged["health"]["failures"]:
            print(f"unhealthy: {failure}")
        self.exitcode = merged["health"]["exit_code"]
