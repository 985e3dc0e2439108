"""What the crawl process loads before its first request: every scheduled run pays for it in
start-up time and memory."""

from __future__ import annotations

from tests.conftest import run_python

# Lists and loads the extensions as Scrapy's extension manager does (``scrapy.extension``), in a
# process of its own.
LOAD_EXTENSIONS = """
import sys
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings

listed = get_project_settings().get_component_priority_dict_with_base("EXTENSIONS")
loaded = [load_object(path) for path in build_component_list(listed)]
print(len(loaded), " ".join(sorted(m for m in ("aiohttp", "twisted.conch") if m in sys.modules)))
"""


def test_the_control_port_extensions_are_not_even_imported():
    # Both are off (TELNETCONSOLE_ENABLED, REMOTE_CONTROL_ENABLED); Scrapy still imported their
    # modules, even mapped to None in EXTENSIONS, and the remote control brings aiohttp: 0.1 s
    # and 8 MiB a crawl.
    count, *imported = run_python(LOAD_EXTENSIONS).split()
    assert int(count) >= 4  # the project's own extensions and Scrapy's were loaded
    assert imported == []
