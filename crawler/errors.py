"""Why a crawl cannot start as configured: ``scrapy crawl`` prints the message, without a
traceback, and exits with the error's status."""

from __future__ import annotations

# A sites file, a setting or the crawl state that cannot be used as they are.
CONFIG_EXIT_CODE = 2


class StartupError(Exception):
    """A crawl refused before it fetches anything; ``exit_code`` is its exit status."""

    def __init__(self, message: str, exit_code: int = CONFIG_EXIT_CODE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
