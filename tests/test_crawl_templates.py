"""Template learning in a real crawl: once a line has been seen on NEWS_TEMPLATE_MIN_PAGES
distinct articles of a site, the site's later articles come without it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_crawl, serve

TEMPLATE_LINE = (
    "The Harbour Gazette has served the eastern districts since 1921, in print and online."
)
TOPICS = ["ferry", "bridge", "market", "school", "library", "stadium", "tramway"]


def build_site(root: Path) -> None:
    links = []
    for n, topic in enumerate(TOPICS):
        path = f"news/2022/06/0{n + 1}/council-decides-on-the-new-{topic}-plan.html"
        paragraphs = [
            f"The council voted on Thursday to go ahead with the new {topic} plan after a long"
            " and at times heated debate.",
            f"Supporters said the {topic} would serve thousands of residents every single week"
            " for decades to come.",
            f"Critics warned that the cost of the {topic} had doubled since the first estimate"
            " was published three years ago.",
            f"A final vote on the {topic} budget is expected before the summer recess in July,"
            " the mayor's office said.",
            TEMPLATE_LINE,
        ]
        page = root / path
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            f"<html lang='en'><head><title>Council backs {topic} plan</title></head><body>"
            f"<article><h1>Council backs {topic} plan</h1>"
            + "".join(f"<p>{p}</p>" for p in paragraphs)
            + "</article></body></html>",
            "utf-8",
        )
        links.append(f"<li><a href='/{path}'>{topic}</a></li>")
    (root / "index.htm").write_text(f"<html><body><ul>{''.join(links)}</ul></body></html>", "utf-8")


def test_learned_template_line_leaves_later_articles(tmp_path: Path):
    site = tmp_path / "site"
    build_site(site)
    with serve(site) as url:
        result = run_crawl(
            tmp_path, "-a", f"start_urls={url}/", settings=["NEWS_TEMPLATE_MIN_PAGES=3"]
        )
    assert result.returncode == 0, result.log[-2000:]
    assert len(result.records) == len(TOPICS)
    with_line = [r for r in result.records if TEMPLATE_LINE in r["text"]]
    # The first three articles teach it; the other four are extracted without it.
    assert len(with_line) == 3
    assert all("Critics warned" in r["text"] for r in result.records)


def test_template_learning_can_be_switched_off(tmp_path: Path):
    site = tmp_path / "site"
    build_site(site)
    with serve(site) as url:
        result = run_crawl(
            tmp_path, "-a", f"start_urls={url}/", settings=["NEWS_TEMPLATE_MIN_PAGES=0"]
        )
    assert all(TEMPLATE_LINE in r["text"] for r in result.records)
