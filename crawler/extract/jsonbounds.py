"""JSON-LD parsed within bounds: a block nested 200,000 deep (``RecursionError``) or holding a
5,000-digit number (``ValueError``: past Python's int digit limit) cost the page its record, in
newscrawl's reading and in trafilatura's. Such a block is refused before any parser sees it, and
a bad block costs only itself."""

from __future__ import annotations

import json
import re
from typing import Any

# Schema.org markup nests a handful of levels; a few dozen is already odd.
MAX_DEPTH = 64
# Longer digit runs are no quantity a page states (and ints past 4,300 digits do not parse).
MAX_DIGITS = 100

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")
_LONG_NUMBER = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")


class JsonOutOfBounds(ValueError):
    """A JSON text nested deeper than ``MAX_DEPTH`` or with a number longer than ``MAX_DIGITS``."""


def check(text: str) -> None:
    """Raise ``JsonOutOfBounds`` for a text that would take a parser out of its bounds."""
    bare = _STRING.sub('""', text)
    if _LONG_NUMBER.search(bare):
        raise JsonOutOfBounds(f"a number longer than {MAX_DIGITS} digits")
    depth = 0
    for bracket in _BRACKET.finditer(bare):
        depth += 1 if bracket[0] in "[{" else -1
        if depth > MAX_DEPTH:
            raise JsonOutOfBounds(f"nested deeper than {MAX_DEPTH}")


def loads(text: str) -> Any:
    """``json.loads`` (non-strict: control characters in strings, as pages write them) of a text
    within bounds; ``ValueError`` (``JsonOutOfBounds`` among them) for any that cannot be read."""
    check(text)
    return json.loads(text, strict=False)
