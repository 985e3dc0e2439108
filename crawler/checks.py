"""Start-up checks of the ``NEWS_*`` settings: a value that is not of its setting's kind (``-s
NEWS_MAX_PAGES_PER_SITE=lots``) ended in a traceback somewhere in the crawl; now the crawl
stops before it starts, naming each such setting (exit status 2, ``crawler.errors``)."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from crawler import settings as defaults
from crawler.errors import StartupError
from crawler.extract.fingerprints import BANDS


def check_settings(settings: BaseSettings) -> None:
    """Raise ``StartupError`` naming every ``NEWS_*`` setting whose value cannot be used: not
    a number (or a yes/no) where its default is one, a negative number, or a near-duplicate
    distance beyond what the fingerprint bands can find."""
    problems = []
    for name in sorted(n for n in vars(defaults) if n.startswith("NEWS_")):
        default = getattr(defaults, name)
        value = settings.get(name)
        if isinstance(default, bool):
            try:
                settings.getbool(name)
            except ValueError:
                problems.append(f"{name}={value!r} is neither true nor false")
            continue
        if not isinstance(default, int | float):
            continue
        try:
            number = settings.getint(name) if isinstance(default, int) else settings.getfloat(name)
        except (TypeError, ValueError):
            kind = "a whole number" if isinstance(default, int) else "a number"
            problems.append(f"{name}={value!r} is not {kind}")
            continue
        if number < 0:
            problems.append(f"{name}={value!r} is negative")
    bits = settings.get("NEWS_NEAR_DUPLICATE_BITS")
    if not any(name.startswith("NEWS_NEAR_DUPLICATE_BITS") for name in problems) and not (
        0 <= settings.getint("NEWS_NEAR_DUPLICATE_BITS") < BANDS
    ):
        problems.append(f"NEWS_NEAR_DUPLICATE_BITS={bits!r} is not 0 to {BANDS - 1}")
    if problems:
        raise StartupError("bad settings: " + "; ".join(problems))
