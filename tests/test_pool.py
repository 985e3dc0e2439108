"""The extraction pool: pages that hang or kill their worker are cut off with a reason and the
pool goes on with a fresh worker; pooled extraction gives the same records as in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from crawler.crawl.pool import PagePool, PoolError
from tests import pool_tasks
from tests.conftest import PORTAL, PORTAL_TRUTH, run_crawl, run_python, serve


@pytest.fixture
def pool():
    pool = PagePool(workers=1, timeout=2)
    yield pool
    pool.close()


def run(pool: PagePool, function, value: str):
    pool.function = function
    return asyncio.run(pool.run(value))


def test_a_hanging_page_is_cut_off_and_the_worker_replaced(pool):
    with pytest.raises(PoolError) as err:
        run(pool, pool_tasks.hang, "slow page")
    assert err.value.reason == "extraction_timeout"
    assert run(pool, pool_tasks.echo, "next page") == "next page"


def test_a_killed_worker_is_replaced(pool):
    with pytest.raises(PoolError) as err:
        run(pool, pool_tasks.die, "deadly page")
    assert err.value.reason == "worker_died"
    assert run(pool, pool_tasks.echo, "next page") == "next page"


def test_workers_inherit_the_loaded_model_frozen_out_of_the_collector(pool):
    # Forked from the forkserver after it loaded the extraction stack and froze it, a worker
    # starts with the language model and does not copy the shared pages on collection.
    frozen, model_loaded = run(pool, pool_tasks.preloaded, "")
    assert model_loaded
    assert frozen > 10_000


# In a process of its own, so that its forkserver has not started yet: the workers' start then
# takes the forkserver's imports and warm-up, half a second and more.
FIRST_PAGE_WHILE_THE_WORKERS_START = """
import asyncio
from crawler.crawl.pool import PagePool
from tests import pool_tasks

async def first_page():
    pool = PagePool(workers=1, timeout=30, function=pool_tasks.echo)
    page = asyncio.ensure_future(pool.run("first page"))
    turns = 0
    while not page.done():
        turns += 1
        await asyncio.sleep(0.001)
    pool.close()
    print(turns, page.result())

asyncio.run(first_page())
"""


def test_the_loop_turns_while_the_first_page_waits_for_the_workers_to_start():
    # Scheduling on a pool still starting waited on its lock in the reactor's thread: the
    # crawl stood still (no downloads, no responses read) until the workers were up.
    turns, result = run_python(FIRST_PAGE_WHILE_THE_WORKERS_START).split(maxsplit=1)
    assert result.strip() == "first page"
    assert int(turns) > 10


def test_errors_in_process_are_named_too():
    inline = PagePool(workers=0, timeout=1, function=pool_tasks.echo)
    assert asyncio.run(inline.run("x")) == "x"
    inline.function = int
    with pytest.raises(PoolError) as err:
        asyncio.run(inline.run("not a number"))
    assert err.value.reason == "extraction_error"


def _comparable(records: list[dict]) -> list[dict]:
    # Which discovery path reaches a page first (a link or the sitemap) is a race; the rest of
    # a record comes from extraction and must not depend on where extraction ran.
    ignored = {"fetched_at", "discovered_via"}
    return sorted(
        ({k: v for k, v in r.items() if k not in ignored} for r in records), key=lambda r: r["url"]
    )


def test_pooled_records_equal_in_process_records(tmp_path: Path):
    results = {}
    with serve(PORTAL) as url:
        for workers in (0, 2):
            out = tmp_path / f"w{workers}"
            out.mkdir()
            results[workers] = run_crawl(
                out, "-a", f"start_urls={url}/", settings=[f"NEWS_EXTRACT_WORKERS={workers}"]
            )
    assert len(results[2].records) == len(PORTAL_TRUTH["articles"])
    assert _comparable(results[0].records) == _comparable(results[2].records)


PROSE = "".join(
    f"<p>Paragraph {n} of an ordinary article about the city's new tram line and its riders.</p>"
    for n in range(6)
)


def test_a_page_that_stalls_extraction_is_rejected_and_the_crawl_goes_on(tmp_path: Path):
    site = tmp_path / "site"
    news = site / "news" / "2022" / "05" / "01"
    news.mkdir(parents=True)
    (news / "an-ordinary-article-about-trams.html").write_text(
        f"<html><body><article><h1>Trams</h1>{PROSE}</article></body></html>", "utf-8"
    )
    # About 1.3 MB of nested blocks: seconds of extraction work, far beyond the time limit.
    blocks = "".join(
        f"<div><p>Block {n} of a page made to keep extraction busy.</p><a href='/{n}'>x</a></div>"
        for n in range(12000)
    )
    (news / "a-page-that-never-ends-at-all.html").write_text(
        f"<html><body>{blocks}</body></html>", "utf-8"
    )
    (site / "index.htm").write_text(
        "<html><body><a href='/news/2022/05/01/an-ordinary-article-about-trams.html'>a</a>"
        "<a href='/news/2022/05/01/a-page-that-never-ends-at-all.html'>b</a></body></html>",
        "utf-8",
    )
    with serve(site) as url:
        result = run_crawl(
            tmp_path, "-a", f"start_urls={url}/", settings=["NEWS_EXTRACT_TIMEOUT=1"]
        )
    assert result.returncode == 0
    assert "Traceback" not in result.log
    assert [r["title"] for r in result.records] == ["Trams"]
    (reject,) = result.rejects
    assert reject["reason"] == "not_article/extraction_timeout"
    assert reject["url"].endswith("a-page-that-never-ends-at-all.html")
