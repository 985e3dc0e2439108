"""The pure side stays pure: what turns a page into a record imports no Scrapy or Twisted, so it
runs the same in the extraction workers, in ``scrapy extract`` and in the benches."""

from __future__ import annotations

import json
import pkgutil

import crawler.extract
from tests.conftest import run_python


def test_the_extraction_side_imports_no_scrapy_or_twisted():
    modules = [f"crawler.extract.{m.name}" for m in pkgutil.iter_modules(crawler.extract.__path__)]
    assert "crawler.extract.extraction" in modules and "crawler.extract.records" in modules
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
