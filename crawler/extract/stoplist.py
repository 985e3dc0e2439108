"""jusText's stopword list, built once per crawl instead of once per extraction worker.

trafilatura asks jusText for a second opinion on most pages, with the stopwords of every
language: a 154,000-word tuple (``trafilatura.external.JT_STOPLIST``) that jusText lower-cases
into a frozenset of new strings (``justext.core.define_stoplist``, cached per process). Built
lazily, that is 28 MB of private memory in each worker, and every call hashes the whole tuple
again to find its cached set. ``share()`` builds the lower-cased set once (in the forkserver,
before workers fork: they share its pages) and has jusText take it as it is.
The words are the same, so the extraction is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import justext.core
import trafilatura.external


def _taking(words: frozenset[str], define: Callable[[Iterable[str]], frozenset[str]]) -> Callable:
    def define_stoplist(stoplist: Iterable[str]) -> frozenset[str]:
        return words if stoplist is words else define(stoplist)

    return define_stoplist


def share() -> None:
    if isinstance(trafilatura.external.JT_STOPLIST, frozenset):
        return
    words = frozenset(w.lower() for w in trafilatura.external.jt_stoplist_init())
    trafilatura.external.JT_STOPLIST = words
    justext.core.define_stoplist = _taking(words, justext.core.define_stoplist)
