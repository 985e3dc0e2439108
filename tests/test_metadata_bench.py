"""The scoring behind bench/metadata.py, on hand-made inputs: the figures mean what they claim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import load_bench

metadata = load_bench("metadata")


def test_title_is_exact_but_for_whitespace() -> None:
    assert metadata.title_exact("Storm  hits\ncoast", "Storm hits coast")
    assert not metadata.title_exact("Storm hits coast | BBC", "Storm hits coast")
    assert not metadata.title_exact("storm hits coast", "Storm hits coast")
    assert not metadata.title_exact(None, "Storm hits coast")


def test_author_counts_fold_case_and_count_extra_names() -> None:
    assert metadata.author_counts(["Jane DOE", "Desk"], ["Jane Doe", "John Roe"]) == (1, 2, 2)
    assert metadata.author_counts([], []) == (0, 0, 0)


def test_same_day_and_same_instant() -> None:
    assert metadata.same_day("2024-01-07T02:20:00+01:00", "2024-01-07 01:20:00+00:00")
    assert metadata.same_instant("2024-01-07T02:20:00+01:00", "2024-01-07 01:20:00+00:00")
    assert not metadata.same_instant("2024-01-07T01:20:00", "2024-01-07 01:20:00+00:00")
    assert not metadata.same_instant("2024-01-07", "2024-01-07 00:00:00+00:00")
    # To the second: a record's dates go no finer.
    assert metadata.same_instant("2024-01-07T01:20:00Z", "2024-01-07 01:20:00.488000+00:00")
    assert not metadata.same_instant("2024-01-07T01:20:01Z", "2024-01-07 01:20:00+00:00")
    assert not metadata.same_day(None, "2024-01-07")


def test_authors_f1_is_micro_averaged_and_precision_mix_adds_up() -> None:
    tally = metadata.Tally()
    truth = metadata.Truth(id="a", corpus="fundus", path=Path("a"), url=None, authors=("A", "B"))
    metadata._tally(tally, truth, metadata.Got(None, ["A"], "2024-01-07", "day"))
    truth = metadata.Truth(id="b", corpus="fundus", path=Path("a"), url=None, authors=())
    metadata._tally(tally, truth, metadata.Got(None, ["X"], None, None))
    figures = tally.figures()
    # 1 right of 2 given, of 2 wanted.
    assert figures["authors_f1"] == pytest.approx(0.5)
    assert figures["precision_mix"] == {"instant": 0.0, "local": 0.0, "day": 0.5, "none": 0.5}


def test_fundus_halves_split_by_publisher(tmp_path: Path) -> None:
    """A publisher's pages all fall in one half, wherever they stand in the truth file."""
    publishers = ["Alpha", "Beta", "Alpha", "Gamma", "Beta", "Alpha"]
    (tmp_path / "fundus").mkdir()
    (tmp_path / "fundus" / "truth.jsonl").write_text(
        "\n".join(
            json.dumps({"id": str(i), "file": f"{i}.html", "url": None, "publisher": p})
            for i, p in enumerate(publishers)
        )
    )
    halves: dict[str, set[str | None]] = {}
    for truth, publisher in zip(metadata.load_truth(tmp_path), publishers, strict=True):
        halves.setdefault(publisher, set()).add(truth.half)
    assert all(len(h) == 1 for h in halves.values())
    assert {metadata.fundus_half(p) for p in ("Alpha", "Beta", "Gamma", "Delta")} == {
        "tune",
        "check",
    }


def test_title_fields_name_every_place_a_page_states_its_headline() -> None:
    html = (
        "<html><head><title>Storm hits coast | Daily Mail</title>"
        '<meta property="og:title" content="Storm  hits the coast">'
        '<script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Storm hits coast"}</script></head>'
        "<body><h1>Logo</h1><h1>Storm hits coast</h1></body></html>"
    )
    assert metadata.title_fields(html) == {
        "og:title": "Storm hits the coast",
        "jsonld": "Storm hits coast",
        "<title>": "Storm hits coast | Daily Mail",
        "h1[0]": "Logo",
        "h1[1]": "Storm hits coast",
    }
