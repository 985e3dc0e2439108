"""``scrapy state sites`` lists what the crawl state (``NEWS_STATE``) knows per site;
``scrapy state reset SITE`` forgets one site, so that its next crawl fetches and emits every
article again (as new records, version 1)."""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.state import open_state


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "sites | reset SITE"

    def short_desc(self) -> str:
        return "Show or reset the crawl state of scheduled crawls (NEWS_STATE)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        path = self.settings.get("NEWS_STATE")
        if not path:
            raise UsageError("NEWS_STATE is empty: there is no crawl state")
        if args != ["sites"] and not (len(args) == 2 and args[0] == "reset"):
            raise UsageError("expected 'sites' or 'reset SITE'")
        state = open_state(path)
        try:
            if args[0] == "sites":
                for site, counts in state.sites().items():
                    print(f"{site}\t{counts['pages']} pages\t{counts['records']} records")
            else:
                removed = state.reset_site(args[1])
                print(f"{args[1]}: {removed} pages and records forgotten ({path})")
        finally:
            state.close()
