"""Page processing off the reactor: decoding, extraction and the per-page checks run in a pool
of worker processes, so a crawl uses every core and downloads never wait for a parse.

Each page is one task, a ``crawler.extract.page.Page`` carrying everything it needs (body, URL,
site config, the site's learned template knowledge), run through ``page_to_record``: workers
keep no state between pages. A page that hangs the extractor is cut off after ``timeout`` seconds
and its worker replaced; a worker that dies is replaced too. Memory stays bounded because Scrapy
stops scheduling downloads while the responses being processed exceed
``SCRAPER_SLOT_MAX_ACTIVE_SIZE``.

Settings: ``NEWS_EXTRACT_WORKERS`` (0: in the crawl's own process), ``NEWS_EXTRACT_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import multiprocessing.context
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing import forkserver
from typing import Any

from pebble import ProcessExpired, ProcessPool

from crawler.extract.page import page_to_record


class PoolError(Exception):
    """A page the pool could not process: ``reason`` is extraction_timeout, worker_died or
    extraction_error."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


_WARM_UP = "<html><body><article>" + "<p>A paragraph to load the extractor's models.</p>" * 9


def warm_up() -> None:
    """Load what extraction loads on first use (the language model, lazy imports, jusText's
    stopwords)."""
    from crawler.extract import stoplist
    from crawler.extract.extraction import extract_page

    stoplist.share()
    extract_page(_WARM_UP, "http://localhost/warm-up")


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None


_TRIM = _malloc_trim()


def _in_worker(function: Callable[[Any], Any], task: Any) -> Any:
    """``function(task)`` in a worker, then the heap it freed back to the system: glibc keeps
    what a big page's parse freed (some 20 MiB a worker), and a trim costs about half a
    millisecond, under 1% of a page's extraction."""
    try:
        return function(task)
    finally:
        if _TRIM is not None:
            _TRIM(0)


def _context() -> multiprocessing.context.BaseContext:
    """Workers forked from a forkserver that has imported the extraction stack and loaded its
    models (``crawler.crawl.warmup``): they share those pages, and start at once, also when one
    replaces a dead or hung worker. Spawned where there is no forkserver. Never forked from the
    crawl process itself: it runs threads (reactor, DNS) a fork would copy mid-flight."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["crawler.crawl.warmup"])
    return context


def start_forkserver() -> None:
    """Start the workers' forkserver ahead of the pool, at the very start of a crawl: its half
    second of imports and warm-up then overlaps the crawl's own start-up instead of following it."""
    if isinstance(_context(), multiprocessing.context.ForkServerContext):
        forkserver.ensure_running()


class PagePool:
    """Runs ``function`` (``page_to_record`` with the crawl's rules bound) on tasks, in
    ``workers`` processes or inline."""

    def __init__(
        self,
        workers: int,
        timeout: float,
        function: Callable[[Any], Any] = page_to_record,
    ) -> None:
        self.timeout = timeout
        self.function = function
        #: Done once the workers run. Until then a task waits on it, not in ``schedule``: that
        #: would hold the reactor's thread on the pool's lock while the forkserver loads.
        self.started: Future[None] = Future()
        self._pool = (
            ProcessPool(workers, initializer=warm_up, context=_context()) if workers > 0 else None
        )
        if self._pool is None:
            self.started.set_result(None)
        else:
            # Start the workers now, while the crawl reads robots.txt and sitemaps, and off the
            # reactor's thread: the first start waits for the forkserver to load its models.
            threading.Thread(target=self._start, args=(self._pool,), daemon=True).start()

    def _start(self, pool: ProcessPool) -> None:
        try:
            pool.schedule(os.getpid)
        finally:
            self.started.set_result(None)

    async def run(self, task: Any) -> Any:
        if self._pool is None:
            try:
                return self.function(task)
            except Exception as exc:
                raise PoolError("extraction_error", repr(exc)[:200]) from exc
        if not self.started.done():
            await asyncio.wrap_future(self.started)
        future = self._pool.schedule(_in_worker, args=(self.function, task), timeout=self.timeout)
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout as exc:
            raise PoolError("extraction_timeout", f"no result in {self.timeout:g} s") from exc
        except ProcessExpired as exc:
            raise PoolError("worker_died", f"exit code {exc.exitcode}") from exc
        except Exception as exc:
            raise PoolError("extraction_error", repr(exc)[:200]) from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
