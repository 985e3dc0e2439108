"""The pure side stays pure: what turns a page into a record imports no Scrapy or Twisted, so it
runs the same in the extraction workers, in ``scrapy extract`` and in the benches."""

from __future__ import annotations

import json
import pkgutil

import crawler.extract
from tests.conftest import run_python


def test_the_extraction_side_imports_no_scrapy_or_twisted():
    modules = [f"crawler.extract.{m.name}" for m in pkgutil.iter_modules(crawler.extract.__path__)]
    assert "crawler.extract.extraction" in modules and "crawler.extract.page" in modules
    loaded = json.loads(
        run_python(
            "import importlib, json, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))"
        )
    )
    crawl_stack = [m for m in loaded if m.split(".")[0] in ("scrapy", "twisted")]
    assert crawl_stack == [], "crawler/extract must not import the crawl stack"
    # The same check sees the crawl stack where a module does import it.
    control = run_python("import sys, crawler.crawl.faults; print('scrapy' in sys.modules)")
    assert control.strip() == "True"


def test_the_page_to_record_path_loads_no_crawl_stack_nor_the_extractor_until_a_page_comes():
    # The crawl's own process imports it (to hand pages to the workers): trafilatura must wait
    # for a page, and Scrapy and Twisted never come.
    before, after = run_python(
        "import sys\n"
        "from crawler.extract.page import Page, page_to_record\n"
        "print('trafilatura' in sys.modules)\n"
        "page = Page(b'<html><body><p>' + b'A line of prose. ' * 40 + b'</p></body></html>',\n"
        "            'http://localhost/a')\n"
        "page_to_record(page)\n"
        "stacks = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(stacks & {'scrapy', 'twisted', 'trafilatura'}))"
    ).splitlines()
    assert before == "False"
    assert after == "['trafilatura']"
