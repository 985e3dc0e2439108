"""readability's choice as a check on trafilatura's: where the article ends, and hearing the
answer trafilatura already asked for."""

from __future__ import annotations

from trafilatura import bare_extraction
from trafilatura.utils import load_html

from crawler.extract import second_opinion

ARTICLE = [
    "The regional council approved a plan on Tuesday to rebuild the old harbour bridge by 2026.",
    "Engineers said the new bridge would carry trams as well as cars, bicycles and pedestrians.",
    "Residents asked for a temporary ferry while the crossing is closed for about two years.",
    "The council will publish the tender in June and expects the first bids before the autumn.",
    "The old bridge, opened in 1931, carries about 40,000 vehicles a day across the harbour.",
    "Its steel has corroded faster than expected, and heavy lorries were banned from it in 2019.",
]
COMMENTS = [
    "Reader views (3)",
    "I have crossed that bridge every morning for twenty years and it was never in a bad state.",
    "Another waste of money by a council that cannot even keep the harbour car park lit at night.",
    "Finally! My children will be able to cycle to school without the detour through the tunnel.",
]


def reference(lines: list[str]) -> str:
    return "".join("".join(lines).split())


def test_lines_after_the_article_go_from_the_first_break_on():
    lines = ARTICLE + COMMENTS
    assert second_opinion.trim_tail(lines, reference(ARTICLE)) == ARTICLE


def test_paragraphs_after_readabilitys_choice_stay():
    # readability left out the last paragraph; it reads as the article going on.
    assert second_opinion.trim_tail(ARTICLE, reference(ARTICLE[:3])) == ARTICLE


def test_a_subheaded_article_keeps_the_sections_after_readabilitys_choice():
    # readability took the middle section of a subheaded article: the sections around it
    # are the article too, up to the list that ends the page.
    section = [
        "Traffic will move to the northern crossing, which is being widened to four lanes now.",
        "The ferry service is to run every fifteen minutes from six in the morning until midnight.",
        "Shop owners near the bridge fear losing customers while the works block the quayside.",
        "The council promised them a reduced rent for the two years and signs pointing the way.",
        "Cyclists will share the ferry with pedestrians, and bicycles will travel free of charge.",
        "A second ferry is to be leased from the port authority if queues grow in the summer.",
    ]
    lines = [
        *ARTICLE[:2],
        "How the works will go",
        *section,
        "What it will cost",
        *ARTICLE[2:],
        "More from the region",
        "Harbour festival returns",
        "New bus lines in the east",
    ]
    kept = second_opinion.trim_tail(lines, reference(section))
    assert kept == lines[:-3]


def test_a_live_blogs_entries_go_on_past_short_paragraphs():
    """An entry of a live blog: a headline, a paragraph, and a one-line sentence. The entries
    after readability's choice are the article too; a headline followed by a link list is not."""
    entries = [
        "Bridge closed again tonight",
        "Police closed the bridge again at nine o'clock after a lorry lost its load on the ramp.",
        "Drivers are asked to use the northern crossing.",
        "Ferry runs until midnight",
        "The harbour ferry will run every fifteen minutes until midnight while the bridge is shut.",
        "Tickets bought for the bridge bus are valid on it.",
    ]
    more = ["More live coverage", "Harbour festival returns", "New bus lines in the east"]
    article = [
        *ARTICLE,
        "The council expects the new bridge to open to trams in the spring of 2027.",
    ]
    lines = [*article, *entries, *more]
    # readability left out the lead, so the entries after its choice are sections that go on.
    kept = second_opinion.trim_tail(lines, reference(article[1:]))
    assert kept == [*article, *entries]


def test_no_verdict_when_readability_found_little_or_something_else():
    lines = ARTICLE + COMMENTS
    assert second_opinion.trim_tail(lines, reference(ARTICLE[:2])) == lines  # too little text
    elsewhere = ["A different story entirely, about the football club's new stadium plans."] * 6
    assert second_opinion.trim_tail(lines, reference(elsewhere)) == lines  # no agreement
    table = [f"Bridge number {n} on the river, length {n * 40} metres" for n in range(12)]
    assert second_opinion.trim_tail(ARTICLE + table, reference(table)) == ARTICLE + table


def test_the_weight_of_chinese_text_counts_its_characters_twice():
    article = [
        "记者从教育部门获悉，西部五省区农村中小学现代远程教育试点工程日前正式启动，首批试点将覆盖两千余所学校。",
        "据介绍，试点学校将根据条件分为三种模式，各地将优先安排少数民族地区和贫困地区的学校，保证设备用得好。",
        "一位参与项目设计的专家表示，农村学校普遍缺少合格的英语、音乐和美术教师，远程教育能够弥补师资不足。",
        "按照计划，试点工作将于今年年底前完成设备安装和验收，有关部门将研究制定在更大范围内推广的实施方案。",
        "项目资金由中央和地方共同承担，中央资金主要用于设备购置，地方负责配套建设和日常运行经费。",
    ]
    tail = [
        "网友评论",
        "这个政策太好了，希望能早日推广到我们县里，让山区的孩子们也能听到城里老师讲的课程。",
    ]
    assert second_opinion.trim_tail(article + tail, reference(article)) == article


def test_listening_hears_trafilaturas_own_readability_run():
    html = (
        "<html><body><div id='nav'><a href='/'>Home</a></div><div class='story'>"
        + "".join(f"<p>{line}</p>" for line in ARTICLE)
        + "</div></body></html>"
    )
    with second_opinion.listening() as answers:
        bare_extraction(load_html(html), include_comments=False)
    assert len(answers) == 1
    assert reference(ARTICLE) in answers[0]
    # Outside the block nothing is collected.
    bare_extraction(load_html(html), include_comments=False)
    assert len(answers) == 1


def test_a_heading_over_a_list_is_not_a_section():
    """A short line, a paragraph and a short list ending in a full stop ("CNRS, Inserm,
    Inria.") after readability's choice: the footer of the page, not a section."""
    article = [
        *ARTICLE,
        "The council expects the new bridge to open to trams in the spring of 2027.",
    ]
    footer = [
        "Our members",
        "The city's two universities, its three art schools, the national archive and the port "
        "authority's research office, with the harbour museum.",
        "CNRS, Inserm, Inria.",
    ]
    kept = second_opinion.trim_tail([*article, *footer], reference(article[1:]))
    assert kept == article
