"""Related-articles boxes (issue 17 item 7): a box in the middle of the body goes with its
header, and the article's prose after it stays; a header that starts the page's tail goes with
the list after it."""

from __future__ import annotations

import pytest

from crawler.extract import furniture
from crawler.extract.extraction import extract_page

URL = "http://courier.example/news/2024/05/bridge-vote.html"
BEFORE = [
    "The city council voted on Tuesday evening to approve the long-debated plan for the old "
    "iron footbridge near the main railway station.",
    "The vote followed more than two years of public hearings, expert reports and petitions "
    "from residents on both banks of the river.",
    "Opponents of the plan had argued that the cost of the works would fall on the households "
    "of the eastern districts for a decade.",
]
# Short paragraphs of the article's own, under 160 characters each.
AFTER = [
    "The mayor said the first works would begin in the spring, with a budget of four million "
    "euros set aside.",
    "Residents who opposed the plan said they would take the matter to the regional court "
    "before the summer.",
    "A final decision on the tolls for cyclists is expected at the council's next meeting.",
]
BOX = ["Tram line to close for repairs", "New mayor sworn in at city hall"]


def _page(paragraphs: list[str], box_header: str, tail: list[str]) -> str:
    links = "".join(f"<li><a href='/news/2024/05/{i}.html'>{t}</a></li>" for i, t in enumerate(BOX))
    box = f"<p><strong>{box_header}</strong></p><ul>{links}</ul>"
    return _article(box, paragraphs + tail)


def _article(box: str, after: list[str]) -> str:
    """The article: BEFORE, the box, then ``after``."""
    body = "".join(f"<p>{p}</p>" for p in BEFORE) + box + "".join(f"<p>{p}</p>" for p in after)
    return (
        "<html><head><title>Council approves footbridge plan</title></head><body>"
        "<article><h1>Council approves footbridge plan</h1>"
        f"{body}</article></body></html>"
    )


def _lines(html: str) -> list[str]:
    extracted = extract_page(html, URL)
    assert extracted.is_article, extracted.verdict
    return (extracted.text or "").split("\n")


@pytest.mark.parametrize("header", ["Read more:", "Related", "Related stories", "Lesen Sie auch"])
def test_a_mid_body_box_goes_and_the_article_after_it_stays(header):
    lines = _lines(_page(AFTER, header, []))
    assert lines == BEFORE + AFTER


def test_a_header_that_starts_the_page_tail_goes_with_the_list():
    tail = ["Share this story", "Council budget for 2025 published", "Weather warning for Sunday"]
    lines = _lines(_page([], "Related stories", tail))
    assert lines == BEFORE


def test_a_tail_of_headlines_with_one_teaser_each_goes_whole():
    # One sentence to a headline is a box's teaser, not the article resuming.
    teasers = [
        line for headline, teaser in zip(BOX, AFTER[:2], strict=True) for line in (headline, teaser)
    ]
    kept, removed = furniture.strip_furniture([*BEFORE, "Related", *teasers])
    assert kept == BEFORE
    assert removed == ["Related", *teasers]


@pytest.mark.parametrize(
    "teaser",
    [
        "Les også: Ferry fares to rise on the northern routes",  # no
        "Lees ook: Nieuwe tramlijn opent in het voorjaar",  # nl
        "Zum Artikel: Tarifrunde im Nahverkehr vertagt",  # de
        "READ NEXT: Weather service warns of a stormy weekend",  # en
        "Čtěte také: Nová tramvajová trať otevře na jaře",  # cs
        "Читайте также: Мост закроют на ремонт",  # ru
        "İlgili Haber: Köprü oylaması ertelendi",  # tr
    ],
)
def test_a_one_line_teaser_in_the_body_goes_and_the_prose_around_it_stays(teaser):
    lines = _lines(_article(f"<p><a href='/news/2024/05/7.html'>{teaser}</a></p>", AFTER))
    assert lines == BEFORE + AFTER
