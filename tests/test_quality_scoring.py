"""The scoring behind bench/quality.py, on hand-made inputs: the figures mean what they claim;
and a small corpus scored through the page-to-record path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, load_bench

quality = load_bench("quality")
VERDICT = FIXTURES / "verdict"


def test_cjk_is_one_token_per_character_and_words_elsewhere() -> None:
    assert quality.tokenize("中国网 News, 2024年") == ["中", "国", "网", "news", "2024", "年"]
    assert quality.tokenize("ニュース・한국어") == ["ニ", "ュ", "ー", "ス", "한", "국", "어"]
    assert quality.tokenize("Kosovo?s «Zürich»，。") == ["kosovo", "s", "zürich"]


def test_overlap_is_a_multiset_intersection() -> None:
    counts = quality.token_counts("a a a b", "a b b c")
    assert (counts.extracted, counts.truth, counts.common) == (4, 4, 2)
    assert counts.precision == pytest.approx(0.5)
    assert counts.recall == pytest.approx(0.5)
    assert quality.token_counts("今天今天", "今天").common == 2


def test_empty_extraction_of_a_real_body_scores_zero() -> None:
    counts = quality.token_counts("", "The article body.")
    assert (counts.precision, counts.recall, counts.f1) == (0.0, 0.0, 0.0)


def test_macro_averages_pages_and_micro_averages_tokens() -> None:
    short = quality.TokenCounts(extracted=2, truth=2, common=2)  # F1 1.0
    long = quality.TokenCounts(extracted=98, truth=98, common=0)  # F1 0.0
    figures = quality.fulltext_figures([short, long])
    assert figures["macro_f1"] == pytest.approx(0.5)
    assert figures["micro_f1"] == pytest.approx(0.02)


def test_snippets_match_across_whitespace_differences() -> None:
    text = "Erster  Absatz\nzweiter\u00a0Satz.\n\nFooter"
    counts = quality.snippet_counts(
        text, with_=["Absatz zweiter Satz", "fehlt"], without=["Footer", "Sidebar"]
    )
    assert (counts.with_found, counts.without_absent) == (1, 1)
    assert counts.score == pytest.approx(0.5)
    shares = quality.snippet_figures([counts, quality.snippet_counts("", ["x"], [])])
    assert shares["with_found"] == pytest.approx(1 / 3)  # pooled over snippets, not pages
    assert shares["without_absent"] == pytest.approx(0.5)


def test_floors_round_down_and_never_go_down() -> None:
    old = {"fulltext_macro_f1": 0.9, "zh_macro_f1": 0.8, "retired": 0.5}
    figures = {"fulltext_macro_f1": 0.8879, "zh_macro_f1": 0.85167}
    new = quality.raise_floors(old, figures)
    assert new == {"fulltext_macro_f1": 0.9, "retired": 0.5, "zh_macro_f1": 0.851}


def test_a_run_passes_the_floors_it_wrote() -> None:
    figures = {"fulltext_macro_f1": 0.879, "zh_macro_f1": 1 / 3}
    assert quality.below_floors(quality.raise_floors({}, figures), figures) == []


def test_below_floors_names_the_figure_and_rejects_unknown_keys() -> None:
    failures = quality.below_floors(
        {"fulltext_macro_f1": 0.9, "fulltext_macro_F1": 0.1}, {"fulltext_macro_f1": 0.85}
    )
    assert len(failures) == 2
    assert any("fulltext_macro_F1: not measured" in f for f in failures)
    assert any("0.8500 is below its floor 0.900" in f for f in failures)


def test_absent_corpus_is_reported_and_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert quality.main([str(tmp_path / "missing")]) == 0
    assert "corpus not found" in capsys.readouterr().out


def test_floors_are_not_written_from_part_of_the_corpus(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        quality.main([str(tmp_path), "--limit", "3", "--write-floors", str(tmp_path / "f.json")])
    assert exit_info.value.code == 2


def test_ceilings_only_go_down_and_fail_when_exceeded() -> None:
    old = {"dev_articles_without_record_max": 5, "fundus_junk_lines_max": 0.05}
    figures = {"dev_articles_without_record": 7, "fundus_junk_lines": 0.04321}
    new = quality.raise_floors(old, figures)
    assert new == {"dev_articles_without_record_max": 5, "fundus_junk_lines_max": 0.044}
    failures = quality.below_floors(new, figures)
    assert failures == ["dev_articles_without_record: 7.0000 is above its ceiling 5.000"]
    assert quality.below_floors(quality.raise_floors({}, figures), figures) == []


def test_a_junk_line_is_one_mostly_not_in_the_truth() -> None:
    truth = "The council approved the new bridge on Monday."
    extracted = "The council approved the bridge.\nRead more: top stories\nMonday the council"
    assert quality.junk_lines(extracted, truth) == (3, 1)


def test_fundus_truth_is_summary_then_headings_and_paragraphs() -> None:
    body = {
        "summary": ["Lead."],
        "sections": [
            {"headline": [], "paragraphs": ["One."]},
            {"headline": ["H"], "paragraphs": ["Two."]},
        ],
    }
    assert quality.fundus_body(body) == "Lead.\nOne.\nH\nTwo."


def test_a_page_without_a_record_scores_zero_and_is_listed_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two news pages of a zh-style corpus: an article, and a section page (no record: the
    # crawl's gate), both at their real URLs, through the page-to-record path.
    zh = tmp_path / "zh"
    (zh / "html").mkdir(parents=True)
    truth = {}
    for name, url in (
        ("article_en", "https://courier.example/local/bridge-reopens-after-repairs"),
        ("section", "https://courier.example/local/"),
    ):
        (zh / "html" / f"{name}.html").write_bytes((VERDICT / f"{name}.html").read_bytes())
        body = "The old stone bridge over the river reopened to traffic on Saturday."
        truth[name] = {"url": url, "file": f"html/{name}.html", "source": "t", "genre": "news"}
        truth[name]["body"] = body
    (zh / "ground-truth.json").write_text(json.dumps(truth), "utf-8")
    out = tmp_path / "q.json"
    assert quality.main([str(tmp_path), "--workers", "1", "--json", str(out)]) == 0
    report = capsys.readouterr().out
    assert "zh      article pages without a record: 1/2" in report
    assert re.search(r"zh +section +not_article/\w+", report), report
    pages = {p["id"]: p for p in json.loads(out.read_text("utf-8"))["pages"]}
    assert pages["section"]["no_record"].startswith("not_article/")
    assert pages["section"]["newscrawl"]["f1"] == 0.0
    assert pages["article_en"]["no_record"] is None
    assert pages["article_en"]["newscrawl"]["recall"] == 1.0
    assert json.loads(out.read_text("utf-8"))["figures"]["zh_articles_without_record"] == 1
