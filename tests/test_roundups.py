"""A post whose content is a list of links to other sites' stories keeps it (and is a record);
in-body lists of the site's own stories, or under a related header, still go."""

from __future__ import annotations

import pytest
from lxml.html import document_fromstring

from crawler.extract.page import Page, RecordRules, page_to_record
from crawler.extract.roundups import Roundups, site_of

URL = "https://wonk.example.org/2012/10/31/reading-to-battle-storm-blues/"
ITEMS = [
    ("https://www.example-times.com/2012/10/30/hospital", "Storm forces", "hospital evacuation"),
    (
        "https://economics.example.net/skeptical-about-pay",
        "",
        "Skepticism about paying for results",
    ),
    (
        "https://blog.example-health.org/technology-spending",
        "",
        "Technology and healthcare spending.",
    ),
    ("https://video.example.com/watch?v=7s8S7QxpjeY", "", "Code Monkey Unplugged, the video."),
    (
        "https://library.example.edu/doi/10.1002/hec",
        "The dual causes of",
        "increased debt after illness",
    ),
    (
        "https://www.example-post.com/2012/10/31/storm",
        "",
        "Subway tunnels flood as the storm passes",
    ),
]
CLOSING = "Plus, Ray at the Excess Return blog makes his hosting debut this week."
PROSE = [
    "The storm closed three hospitals along the coast on Tuesday and moved hundreds of patients.",
    "Generators failed at the largest of them, where nurses carried infants down nine floors "
    "to waiting ambulances while the water kept rising in the streets around the building.",
    "Officials said the patients would return once power and the lifts were working again, "
    "which the utility expects by the end of next week at the earliest, weather permitting.",
]


def items(rows: list[tuple[str, str, str]]) -> str:
    return "".join(
        f"<li>{before} <a href='{href}'>{linked}</a></li>" for href, before, linked in rows
    )


def blog_page(entry: str) -> bytes:
    """A blog post as old WordPress themes print it: one hAtom entry, a blogroll beside it."""
    blogroll = "".join(
        f"<li><a href='https://blog{i}.example.com/'>A health economics blog number {i}</a></li>"
        for i in range(20)
    )
    return (
        "<html><head><title>Reading to Battle Storm Blues « Wonk Economist</title></head><body>"
        "<div id='header'><a href='/'>Wonk Economist</a></div><div id='content'>"
        "<div class='post hentry'><h2>Reading to Battle Storm Blues</h2>"
        "<div><span>Written By: Jane Doe</span> - Oct 31 12</div>"
        f"<div class='entry'>{entry}</div>"
        "<div class='postmetadata'>Posted in <a href='/category/links/'>Links</a></div></div>"
        f"</div><div id='sidebar'><h3>Blogroll</h3><ul>{blogroll}</ul></div></body></html>"
    ).encode()


def test_a_link_roundup_post_is_a_record_with_its_list():
    result = page_to_record(
        Page(body=blog_page(f"<ul>{items(ITEMS)}</ul><p>{CLOSING}</p>"), url=URL), RecordRules()
    )
    assert result.record is not None, result.reason
    assert result.record.title == "Reading to Battle Storm Blues"
    expected = [" ".join(f"{before} {linked}".split()) for _, before, linked in ITEMS]
    assert result.record.text == "\n".join([*expected, CLOSING])


SAME_SITE = [(f"/2012/10/{20 + i}/story-{i}", "", linked) for i, (_, _, linked) in enumerate(ITEMS)]


@pytest.mark.parametrize(
    "box",
    [
        # The site's own stories between the post's paragraphs: a "read more" box.
        f"<ul>{items(SAME_SITE[:4])}</ul>",
        # Other sites' stories under a related header: a box too, whatever it links to.
        f"<h3>Related coverage</h3><ul>{items(ITEMS[:4])}</ul>",
    ],
    ids=["same_site", "related_header"],
)
def test_an_in_body_box_of_other_stories_still_goes(box: str):
    entry = f"<p>{PROSE[0]}</p>{box}<p>{PROSE[1]}</p><p>{PROSE[2]}</p><p>{CLOSING}</p>"
    result = page_to_record(Page(body=blog_page(entry), url=URL), RecordRules())
    assert result.record is not None, result.reason
    assert result.record.text == "\n".join([*PROSE, CLOSING])


def test_a_list_that_ends_the_post_or_stands_in_a_listing_is_no_roundup():
    run = [" ".join(f"{before} {linked}".split()) for _, before, linked in ITEMS]
    post = f"<ul>{items(ITEMS)}</ul><p>{CLOSING}</p>"
    tree = document_fromstring(blog_page(post))
    assert Roundups(tree, URL).keeps(run, None, CLOSING)
    # Nothing of the post's own follows the list: a box after the post, not its content.
    assert not Roundups(tree, URL).keeps(run, None, None)
    # Without the page's URL, which links leave the site is not known.
    assert not Roundups(tree, None).keeps(run, None, CLOSING)
    # A blog's home page: one entry per post, none of them the page's one post.
    other = b"<div class='post hentry'><h2>Another post</h2><p>A second post.</p></div>"
    home = blog_page(post).replace(b"<div id='sidebar'>", other + b"<div id='sidebar'>")
    assert not Roundups(document_fromstring(home), URL).keeps(run, None, CLOSING)


@pytest.mark.parametrize(
    ("host", "site"),
    [("blog.example.org", "example.org"), ("example.org", "example.org"),
     ("127.0.0.1", "127.0.0.1"), ("localhost", "localhost"), ("WWW.Example.ORG.", "example.org")],
)  # fmt: skip
def test_site_of_a_host(host: str, site: str):
    assert site_of(host) == site
