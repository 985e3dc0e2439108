"""Every string of a record made safe to write and to load: a lone surrogate (JSON-LD can carry
``"\\ud83d"``) makes the feed exporter fail on the record, and NUL, U+2028 and U+2029 break line
readers and PostgreSQL ``jsonb``. Runs before cleaning, which then tidies the spacing left."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import TypeVar

T = TypeVar("T")

_SURROGATE = re.compile("[\ud800-\udfff]")
_SEPARATORS = ("\u2028", "\u2029")


def text(value: str, line_break: str = " ") -> str:
    """``value`` with lone surrogates replaced (U+FFFD), NUL removed, and the Unicode line and
    paragraph separators replaced by ``line_break``."""
    value = _SURROGATE.sub("\ufffd", value).replace("\x00", "")
    for separator in _SEPARATORS:
        value = value.replace(separator, line_break)
    return value


def record(item: T) -> T:
    """A dataclass record with every string field, and every string in a list field, made safe
    (in ``text`` a separator becomes a line break); the record itself when nothing needed it."""
    changed = {}
    for f in fields(item):  # type: ignore[arg-type]
        value = getattr(item, f.name)
        brk = "\n" if f.name == "text" else " "
        if isinstance(value, str):
            safe: object = text(value, brk)
        elif isinstance(value, list) and any(isinstance(v, str) for v in value):
            safe = [text(v, brk) if isinstance(v, str) else v for v in value]
        else:
            continue
        if safe != value:
            changed[f.name] = safe
    return replace(item, **changed) if changed else item  # type: ignore[type-var]
