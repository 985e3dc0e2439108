"""The console: a progress line while a crawl runs, and the RESULT line a scheduler's log
shows at the end."""

from __future__ import annotations

import io
import logging

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.runfiles.console import ConsoleReport, result_lines


def test_the_progress_line_counts_pages_records_rejects_and_the_queue():
    stats = MemoryStatsCollector(get_crawler())
    console = ConsoleReport(stats, 10.0, io.StringIO(), progress=True)
    console.started, console.last = 0.0, (40.0, 0)  # 50 s in, the last line 10 s ago
    for key, value in {
        "response_received_count": 82,
        "item_scraped_count": 37,
        "newscrawl/rejected": 3,
        "scheduler/enqueued": 200,
        "scheduler/dequeued": 80,
    }.items():
        stats.set_value(key, value)
    line = console.progress_line(now=50.0)
    assert line == "82 pages, 37 records, 3 rejects, 8.2 pages/s, 120 queued, 0:50 elapsed"


def test_the_result_line_says_whether_to_look_closer():
    manifest = {
        "totals": {"new": 37, "changed": 4, "unchanged": 300, "skipped": 10},
        "sites": {
            "a": {"rejected": {"not_article/challenge": 15, "text_too_short": 1}},
            "b": {"rejected": {"text_too_short": 2}},
        },
        "files": [{"records": 41}, {"records": 0}],
        "health": {"ok": False, "exit_code": 3, "failures": ["site a: 15 of 41 rejected"]},
        "latest": "data/jobs/hourly/latest.json",
    }
    line, failure = result_lines(manifest, "out/manifests/c.json", 3725)
    assert line == (
        "RESULT exit=3 UNHEALTHY new=37 changed=4 unchanged=310 "
        "rejects=18 (not_article/challenge 15, text_too_short 3) files=1 elapsed=1:02:05 "
        "manifest=out/manifests/c.json latest=data/jobs/hourly/latest.json"
    )
    assert failure == "  unhealthy: site a: 15 of 41 rejected"
    assert result_lines(None, None, 5) == ["RESULT no manifest was written (0:05)"]


def test_a_robots_txt_given_up_on_is_one_warning_not_two(caplog):
    """The retry middleware warns that it gave up; Scrapy's robots.txt middleware then logs the
    same failure as an error with a traceback: that second word is INFO, without it."""
    from crawler.crawl.middlewares.robots import _QUIET_ERRORS

    logger = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
    logger.addFilter(_QUIET_ERRORS)
    try:
        with caplog.at_level(logging.INFO):
            try:
                raise ConnectionRefusedError("refused")
            except ConnectionRefusedError:
                logger.error("Error downloading <GET http://h/robots.txt>", exc_info=True)
    finally:
        logger.removeFilter(_QUIET_ERRORS)
    (record,) = caplog.records
    assert record.levelname == "INFO" and record.exc_info is None
