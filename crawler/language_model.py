"""py3langid's model, loaded from a copy kept decompressed in the user's cache folder.

The packaged model is LZMA-compressed: decompressing it takes about half a second, in every
crawl's start-up, in front of the first extraction. Read back from the cache (a pickle of the
loaded identifier, written once per py3langid version) it takes a tenth of that.

The folder is ``$NEWSCRAWL_CACHE_DIR``, else ``$XDG_CACHE_HOME/newscrawl``, else
``~/.cache/newscrawl``; an environment variable because the extraction workers that load the
model start before, and apart from, Scrapy's settings. Where it cannot be written or read, the
packaged model is loaded as py3langid loads it. Unpickling runs code, so the folder must be one
only the crawl's user can write to, as the user's cache folder is.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from importlib.metadata import version
from pathlib import Path

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

logger = logging.getLogger(__name__)


def cache_file() -> Path:
    folder = os.environ.get("NEWSCRAWL_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "newscrawl"
    )
    return Path(folder, f"py3langid-{version('py3langid')}.pickle")


def load() -> LanguageIdentifier:
    """The identifier, with probabilities normalised (a confidence in 0..1)."""
    cached = cache_file()
    try:
        with cached.open("rb") as f:
            identifier = pickle.load(f)
        if isinstance(identifier, LanguageIdentifier):
            return identifier
    except FileNotFoundError:
        pass
    except Exception as exc:  # a cache that cannot be read is rebuilt, whatever broke it
        logger.debug("language model cache %s unreadable: %r", cached, exc)
    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    _store(identifier, cached)
    return identifier


def _store(identifier: LanguageIdentifier, cached: Path) -> None:
    """Written to a temporary file and renamed: processes starting together never read half a
    file."""
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent)
    except OSError as exc:
        logger.debug("language model cache %s not written: %s", cached, exc)
        return
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(identifier, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cached)
    except OSError as exc:
        logger.debug("language model cache %s not written: %s", cached, exc)
        Path(tmp).unlink(missing_ok=True)
