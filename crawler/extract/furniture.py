"""Language-aware line classifiers for furniture inside extracted text (data in
``crawler/data/furniture.toml``): copyright and contact lines, editor credits, share prompts and
related-article headers that main-content extraction lets through on portal templates."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class LineClass:
    name: str
    max_chars: int
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, line: str) -> bool:
        return len(line) <= self.max_chars and any(p.search(line) for p in self.patterns)


@cache
def classifiers() -> tuple[LineClass, ...]:
    """The packaged classifiers, read once per process."""
    text = resources.files("crawler").joinpath("data/furniture.toml").read_text("utf-8")
    return tuple(
        LineClass(name, int(spec["max_chars"]), tuple(re.compile(p) for p in spec["patterns"]))
        for name, spec in tomllib.loads(text).items()
    )


def classify(line: str) -> str | None:
    """The furniture class of one line of text, or None for prose."""
    stripped = line.strip()
    for cls in classifiers():
        if cls.matches(stripped):
            return cls.name
    return None


def strip_furniture(lines: list[str]) -> tuple[list[str], list[str]]:
    """Remove furniture lines; after a related-articles header near the end, the short lines
    that follow it (the list itself) go too. Returns (kept, removed)."""
    kept: list[str] = []
    removed: list[str] = []
    cut_from: int | None = None
    for index, line in enumerate(lines):
        kind = classify(line)
        if kind == "related" and _only_short_lines_after(lines, index):
            cut_from = index
            break
        (removed if kind else kept).append(line)
    if cut_from is not None:
        removed.extend(lines[cut_from:])
    return kept, removed


def _only_short_lines_after(lines: list[str], index: int) -> bool:
    """Whether what follows a related-articles header looks like a list of headlines."""
    rest = [line for line in lines[index + 1 :] if not classify(line)]
    return all(len(line) <= 160 for line in rest)
