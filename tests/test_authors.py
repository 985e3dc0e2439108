"""Bylines become names: role words, e-mails and brackets out, joint bylines split, slug
spellings and site names dropped, an organisation kept when the byline names only that."""

from __future__ import annotations

import pytest

from crawler.extract.authors import (
    AGENCY,
    DOMAIN,
    PERSON,
    SITE,
    choose_authors,
    split_byline,
)


@pytest.mark.parametrize(
    ("raw", "people"),
    [
        (["By Jane Doe and John Smith"], ["Jane Doe", "John Smith"]),
        (["作者：张三、李四"], ["张三", "李四"]),
        (["jane@example.com", "https://x.com/jane", "Jane Doe", "jane doe"], ["Jane Doe"]),
        # A name that starts like a byline word keeps it.
        (["Dieter Kuckelkorn"], ["Dieter Kuckelkorn"]),
        (["Von Dirk Knop"], ["Dirk Knop"]),
        (["Di Maria Rossi"], ["Di Maria Rossi"]),
        (["di Mario Rossi e Anna Bianchi"], ["Mario Rossi", "Anna Bianchi"]),
        # Joint bylines in the page's language.
        (["Kari Nordmann og Ola Nordmann"], ["Kari Nordmann", "Ola Nordmann"]),
        (["Hans Muster und Erika Muster"], ["Hans Muster", "Erika Muster"]),
        (["Jan Kowalski i Anna Nowak"], ["Jan Kowalski", "Anna Nowak"]),
        (["Иван Петров и Анна Иванова"], ["Иван Петров", "Анна Иванова"]),
        (["Pierre Dupont et Marie Curie"], ["Pierre Dupont", "Marie Curie"]),
        (["Juan Pérez y María López"], ["Juan Pérez", "María López"]),
        (["王五和赵六"], ["王五", "赵六"]),
        # Slug spellings, role words, unmatched brackets.
        (["Sophie Foster", "Sophie-Foster"], ["Sophie Foster"]),
        (["신현주 기자"], ["신현주"]),
        (["Elena Oberholzer (obe"], ["Elena Oberholzer"]),
        (["史蒂文的家_藍天 (stevenhgm)"], ["史蒂文的家_藍天 (stevenhgm)"]),
        (["Perry Bacon Jr."], ["Perry Bacon Jr."]),
        (["Rodolfo Costa."], ["Rodolfo Costa"]),
        (["Interview: Julia Lauter"], ["Julia Lauter"]),
        (["Glen Owen and Brendan Carlin For The Mail On Sunday"], ["Glen Owen", "Brendan Carlin"]),
        (["Laura June Topolsky July"], ["Laura June Topolsky"]),
        (["Username"], []),
        (["Nachrichten"], []),
        (["责任编辑：刘洋"], []),
        (["Updated: 3 May 2024"], []),
    ],
)
def test_split_byline(raw, people):
    assert [name for name, kind in split_byline(raw) if kind == PERSON] == people


def test_site_domain_and_agency_names_are_told_apart():
    named = split_byline(["Heise Online; Dirk Knop; dpa"], ["heise online"], "www.heise.de")
    assert named == [("Heise Online", SITE), ("Dirk Knop", PERSON), ("dpa", AGENCY)]
    assert split_byline(["mdr.de"], [], "www.mdr.de") == [("mdr.de", DOMAIN)]


def test_first_source_naming_anyone_wins_else_the_organisation():
    site = ["Daily Star"]
    assert choose_authors([], ["Sophie Foster", "Sophie-Foster"], "", site) == ["Sophie Foster"]
    # People with the agencies beside them; the site's own name only where it stands alone.
    assert choose_authors(["Daily Star, Jane Doe and AP"], [], "", site) == ["Jane Doe", "AP"]
    assert choose_authors(["Associated Press"], []) == ["Associated Press"]
    # JSON-LD's organisation stands; a <meta> tag's yields to full names in the byline.
    focus = ["FOCUS online"]
    assert choose_authors(focus, [], "", focus, None, lambda: "Jane Doe") == focus
    assert choose_authors([], focus, "", focus, None, lambda: "Jane Doe") == ["Jane Doe"]
    assert choose_authors([], focus, "", focus, None, lambda: "Amw") == focus
    # A bare domain names no one.
    assert choose_authors([], ["mdr.de"], "", [], "www.mdr.de", lambda: "David Straub") == [
        "David Straub"
    ]
    assert choose_authors([], ["mdr.de"], "", [], "www.mdr.de", lambda: None) == ["mdr.de"]
    assert choose_authors([], [], "2022-03-01 10:22 来源：中国网 作者：王五 ") == ["王五"]
    assert choose_authors([], [], "no byline here") == []
