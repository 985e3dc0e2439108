"""Template learning: lines shared by enough distinct articles of a site become boilerplate,
and extraction drops them on later pages of that site only."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.extract.extraction import extract_page
from crawler.extract.templates import (
    MemoryTemplates,
    SiteKnowledge,
    TemplateLearner,
    TemplateStore,
    line_key,
)
from crawler.state.sqlite_store import SqliteState
from tests.conftest import RedisServer, needs_redis

FOOTER = "The Daily Example is an independent newspaper, founded in 1901 in the harbour city."


def article(n: int) -> list[str]:
    return [f"Story {n} opens with its own first paragraph, number {n}.", FOOTER]


def test_line_becomes_boilerplate_after_min_pages_distinct_articles():
    learner = TemplateLearner(min_pages=3)
    for n in range(2):
        learner.observe("daily", article(n))
    assert not learner.knowledge("daily").is_boilerplate(FOOTER)
    learner.observe("daily", article(2))
    knowledge = learner.knowledge("daily")
    assert knowledge.is_boilerplate(FOOTER)
    assert knowledge.is_boilerplate(
        "  the daily example is an independent  newspaper, founded in 1901 in the harbour city."
    )
    assert not knowledge.is_boilerplate(article(2)[0])
    assert learner.knowledge("other-site") == SiteKnowledge()


def test_the_same_article_under_many_urls_counts_once():
    learner = TemplateLearner(min_pages=3)
    for _ in range(5):
        learner.observe("daily", article(7))
    assert not learner.knowledge("daily").is_boilerplate(FOOTER)


def test_an_article_counts_once_however_its_text_changes_between_fetches():
    """A view counter made each fetch of one article a new document: after four fetches its
    own paragraphs were learned as template and the article rejected as too short."""
    learner = TemplateLearner(min_pages=3)
    for fetch in range(5):
        learner.observe("daily", [*article(7), f"Read {fetch} times."], article="id-7")
    assert not learner.knowledge("daily").is_boilerplate(article(7)[0])
    for section in range(5):  # one story under five URLs, no canonical: five ids, one text
        learner.observe("daily", article(8), article=f"id-8-{section}")
    assert not learner.knowledge("daily").is_boilerplate(article(8)[0])


def test_learned_lines_never_take_an_article_under_the_minimum():
    """Four pages sharing a sentence made it template on every later article: stripping it
    may not leave an article too short to be a record."""
    own = "An article whose every line was learned as template by mistake, " * 4
    knowledge = SiteKnowledge(frozenset({line_key(own), line_key(FOOTER)}), min_text_chars=200)
    assert knowledge.strip([own, FOOTER]) == [own, FOOTER], "too short without them: kept"
    long_story = "A story long enough on its own, line after line of it. " * 5
    assert knowledge.strip([long_story, FOOTER]) == [long_story], "long enough: stripped"
    assert SiteKnowledge(knowledge.boilerplate).strip([own, FOOTER]) == []


def test_memory_is_bounded():
    store = MemoryTemplates(max_lines=50)
    learner = TemplateLearner(min_pages=2, store=store)
    for n in range(100):
        learner.observe("daily", [f"unique line {n}", FOOTER])
    assert learner.knowledge("daily").is_boilerplate(FOOTER)
    assert len(store.sites["daily"].lines) <= 51


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=needs_redis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TemplateStore]:
    """Every place template counts are kept: one crawl's memory, and both crawl states."""
    if request.param == "memory":
        yield MemoryTemplates()
        return
    if request.param == "sqlite":
        state = SqliteState(tmp_path / "state.sqlite")
    else:
        from crawler.state.redis_store import RedisState

        server: RedisServer = request.getfixturevalue("redis_server")
        state = RedisState(server.url)
    yield state
    state.close()


def test_learners_sharing_a_store_learn_from_each_others_pages(store):
    """Two workers of one crawl (or two runs on one crawl state): lines one of them saw count
    for the other, and each article counts once whoever saw it."""
    first = TemplateLearner(min_pages=3, store=store)
    second = TemplateLearner(min_pages=3, store=store)
    first.observe("daily", article(1))
    second.observe("daily", article(1))  # the same article, fetched by the other worker
    second.observe("daily", article(2))
    assert not first.knowledge("daily").is_boilerplate(FOOTER)
    first.observe("daily", article(3))
    assert first.knowledge("daily").is_boilerplate(FOOTER)
    # The second learner had a snapshot without the footer; its next page brings the news.
    assert not second.knowledge("daily").is_boilerplate(FOOTER)
    second.observe("daily", article(4))
    assert second.knowledge("daily").is_boilerplate(FOOTER)
    assert not second.knowledge("daily").is_boilerplate(article(4)[0])
    # A learner that starts later (the next run) knows the template from its first page on.
    assert TemplateLearner(min_pages=3, store=store).knowledge("daily").is_boilerplate(FOOTER)
    assert TemplateLearner(min_pages=3, store=store).knowledge("weekly") == SiteKnowledge()


def test_extraction_drops_learned_lines():
    paragraphs = [
        "The harbour authority opened the new ferry terminal on Monday after three years of work.",
        "Officials expect the terminal to handle two million passengers a year by 2030.",
        "Local businesses welcomed the project, which brought new jobs to the eastern districts.",
        FOOTER,
    ]
    html = (
        "<html><body><article><h1>Ferry terminal opens</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article></body></html>"
    )
    plain = extract_page(html, "https://daily.example/2022/05/01/ferry-terminal-opens").text
    assert plain is not None and FOOTER in plain
    learner = TemplateLearner(min_pages=1)
    learner.observe("daily", [FOOTER])
    learned = extract_page(
        html,
        "https://daily.example/2022/05/01/ferry-terminal-opens",
        knowledge=learner.knowledge("daily"),
    ).text
    assert learned is not None and FOOTER not in learned
    assert paragraphs[0] in learned
