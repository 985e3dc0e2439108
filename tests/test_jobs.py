"""Jobs and the health rules that compare a run with the same job's previous runs: job names,
the history file, the reject share and the yield baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.runfiles import jobs
from crawler.runfiles.manifest import HealthRules, verdict
from crawler.runfiles.rejects import RejectsFile
from crawler.sites import site_for_urls
from spiders.news import NewsSpider


def _site(article_pages: int, rejected: int = 0) -> dict[str, Any]:
    return {
        "article_pages": article_pages,
        "articles": {"new": article_pages, "changed": 0},
        "rejected": {"not_article/too_little_text": rejected} if rejected else {},
        "error_rate": 0.0,
        "errors": {},
    }


def _manifest(crawl_id: str = "c1", healthy: bool = True, **sites: Any) -> dict[str, Any]:
    return {
        "crawl_id": crawl_id,
        "finished_at": "2024-06-05T10:00:00Z",
        "finish_reason": "finished",
        "files": [],
        "sites": sites,
        "health": {"ok": healthy},
    }


def test_a_third_of_the_articles_rejected_fails_the_site_by_name():
    rules = HealthRules()
    (failure,) = verdict(_manifest(ex=_site(26, rejected=15)), rules)
    assert failure.startswith("site ex: 15 of 41 article pages rejected (37%)"), failure
    assert "NEWS_MAX_REJECT_SHARE=0.2" in failure and "not_article/too_little_text: 15" in failure
    # A few rejects on a small site are noise, not breakage (NEWS_HEALTH_MIN_REJECTED).
    assert verdict(_manifest(ex=_site(2, rejected=2)), rules) == []
    assert verdict(_manifest(ex=_site(40, rejected=5)), rules) == []


def test_yield_is_compared_with_the_median_of_the_jobs_healthy_runs():
    runs = [{"healthy": True, "sites": {"ex": {"article_pages": n}}} for n in (40, 41, 900, 39)] + [
        {"healthy": False, "sites": {"ex": {"article_pages": 1}}}
    ]
    base = jobs.baseline(runs, last=3)
    assert base == {"ex": (41, 3)}, "the last 3 healthy runs: 41, 900, 39"
    rules = HealthRules()
    (failure,) = verdict(_manifest(ex=_site(20)), rules, base)
    assert failure == (
        "site ex: 20 article pages, below NEWS_MIN_YIELD=0.5 of the job's previous runs "
        "(median 41 over 3)"
    )
    assert verdict(_manifest(ex=_site(21)), rules, base) == []
    assert jobs.baseline(runs, last=0) == {}, "NEWS_HEALTH_RUNS=0: no comparison"


def test_the_default_job_is_named_by_sites_and_start_urls():
    one = site_for_urls(["https://news.example.com/"])
    other_start = site_for_urls(["https://news.example.com/world/"])
    name = jobs.default_name({one.name: one})
    assert name.startswith(f"{jobs.safe_name(one.name)}-")
    assert name == jobs.default_name({one.name: one}), "the same command is the same job"
    assert name != jobs.default_name({other_start.name: other_start})
    two = site_for_urls(["https://other.example.org/"])
    assert jobs.default_name({one.name: one, two.name: two}).count("+1-") == 1


def test_jobs_are_kept_beside_the_crawl_state(tmp_path):
    assert jobs.jobs_dir(Settings({"NEWS_STATE": str(tmp_path / "state.sqlite")})) == (
        tmp_path / "jobs"
    )
    assert jobs.jobs_dir(Settings({"NEWS_STATE": "redis://h/0"})) == Path("data/jobs")
    assert jobs.jobs_dir(Settings({"NEWS_JOBS_DIR": "/srv/jobs"})) == Path("/srv/jobs")


def test_the_history_keeps_each_runs_figures_per_site(tmp_path):
    history = jobs.JobHistory(tmp_path / "job")
    assert history.runs() == []
    history.append([], _manifest("c1", ex=_site(26, rejected=15)), Path("m1.json"))
    history.append(history.runs(), _manifest("c2", False, ex=_site(3)), Path("m2.json"))
    first, second = history.runs()
    assert first == {
        "crawl_id": "c1",
        "finished_at": "2024-06-05T10:00:00Z",
        "finish_reason": "finished",
        "manifest": "m1.json",
        "healthy": True,
        "files": ["m1.json"],
        "sites": {"ex": {"article_pages": 26, "rejected": 15, "records": 26}},
    }
    assert second["healthy"] is False
    assert not list((tmp_path / "job").glob(".*.part")), "written through a renamed temp file"


def test_an_unreadable_history_is_set_aside(tmp_path):
    history = jobs.JobHistory(tmp_path / "job")
    history.path.parent.mkdir()
    history.path.write_text("{not json", "utf-8")
    with pytest.raises(ValueError, match="unreadable job history"):
        history.runs()
    aside = history.set_aside()
    assert aside.read_text("utf-8") == "{not json" and history.runs() == []


def _run(folder: Path, crawl_id: str, finished_at: str, *names: str) -> dict[str, Any]:
    files = []
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(crawl_id, "utf-8")
        files.append(str(folder / name))
    return {"crawl_id": crawl_id, "finished_at": finished_at, "files": files, "sites": {}}


def test_retention_removes_old_runs_files_but_not_a_file_a_kept_run_lists(tmp_path):
    history = jobs.JobHistory(tmp_path / "job")
    runs = [
        _run(tmp_path, "c1", "2020-01-01T00:00:00Z", "out/a/2020-01-01/c1.jsonl", "out.jsonl"),
        _run(tmp_path, "c2", "2099-01-01T00:00:00Z", "out/a/2099-01-01/c2.jsonl", "out.jsonl"),
        _run(tmp_path, "c3", "2099-01-02T00:00:00Z", "m3.json", "out.jsonl"),
    ]
    jobs.write_json_atomically(history.path, runs)
    assert history.apply_retention(0, 0) == [], "no limit: nothing removed"
    removed = history.apply_retention(keep_runs=2, keep_days=0)
    assert removed == [str(tmp_path / "out/a/2020-01-01/c1.jsonl")]
    assert not (tmp_path / "out/a/2020-01-01").exists(), "the emptied date folder goes too"
    assert (tmp_path / "out/a/2099-01-01").is_dir() and (tmp_path / "out.jsonl").exists()
    assert history.runs()[0]["files"] == [], "the history says so"
    assert [run["crawl_id"] for run in history.runs()] == ["c1", "c2", "c3"], "figures stay"
    removed = history.apply_retention(keep_runs=0, keep_days=365 * 200)
    assert removed == []


def test_latest_names_the_runs_committed_outputs(tmp_path):
    history = jobs.JobHistory(tmp_path / "job")
    manifest = {
        **_manifest("c9", ex=_site(3)),
        "job": "job",
        "health": {"ok": True, "exit_code": 0},
        "files": [
            {"uri": "out/ex/c9.jsonl", "records": 3, "sha256": "ab", "committed": True},
            {"uri": "out/ey/c9.jsonl", "records": 2, "sha256": "cd", "committed": False},
        ],
        "run_files": {"stats": {"path": "s.json", "sha256": "ef"}, "rejects": None},
    }
    history.write_latest(manifest, Path("m.json"))
    latest = json.loads((tmp_path / "job" / "latest.json").read_text("utf-8"))
    assert latest == {
        "job": "job",
        "crawl_id": "c9",
        "finished_at": "2024-06-05T10:00:00Z",
        "healthy": True,
        "exit_code": 0,
        "manifest": "m.json",
        "files": [{"uri": "out/ex/c9.jsonl", "records": 3, "sha256": "ab"}],
        "stats": "s.json",
        "rejects": None,
    }


def test_a_fixed_rejects_file_holds_this_runs_rejects_only(tmp_path):
    crawler = get_crawler(NewsSpider)
    spider = NewsSpider.from_crawler(crawler)
    fixed = tmp_path / "out.jsonl.rejects.jsonl"
    fixed.write_text('{"url": "https://x/old.html", "reason": "text_too_short"}\n')
    rejects = RejectsFile(str(fixed), crawler.stats, crawler.signals)  # type: ignore[arg-type]
    rejects.spider_opened(spider)
    assert not fixed.exists(), "the previous run's rejects are not this run's"
    rejects.page_rejected("https://x/new.html", "not_article/empty", site="x")
    rejects.spider_closed(spider)
    (line,) = fixed.read_text("utf-8").splitlines()
    assert json.loads(line)["url"] == "https://x/new.html"
