"""Author names from what a page states about them: JSON-LD, ``<meta>`` tags, the byline.

Bylines are written for readers ("By Jane Doe and John Smith", "Von Dieter Kuckelkorn",
"作者：张三、李四", "신현주 기자"); a record lists names. The first source that names anyone
wins (``choose_authors``): its people, with the agencies beside them; an organisation alone only
where the byline names only that. Pure: strings in, names out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

# Words that introduce a byline, followed by a space or a colon (so "Dirk" keeps its "Di").
_ROLE_PREFIX = re.compile(
    r"^\s*(?:(?i:(?:written\s+)?by|von|por|par|door|av|af|przez|от|автор|autor(?:a|in)?|author|"
    r"auteur|autrice|text|texto|interview|reporting\s+by)|di)(?:\s*[:：]\s*|\s+)"
    # "di" lowercase only: "Di Maria" is a name.
    r"|^\s*(?:作者|记者|本报记者|通讯员|撰文|撰稿|文|图)\s*[:：/]?\s*"
)
# Role words after a name: "신현주 기자", "张三 记者", "Jane Doe, Reporter".
_ROLE_SUFFIX = re.compile(
    r"\s*(?:기자|특파원|记者|特约记者|通讯员|報道|\((?:text|fotos?|foto)\))$"
    # "Brendan Carlin For The Mail On Sunday"
    r"|\s+for\s+(?:the\s+)?[A-Z].*$",
    re.IGNORECASE,
)
# A date's month after a name of two words or more ("Joshua Sokol May 3"): not a surname.
_MONTHS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
# What bylines say where they name no one: CMS defaults, a section's name ("News").
_PLACEHOLDERS = frozenset(
    {"username", "no author", "author", "admin", "unknown", "stand"}
    | {"news", "nachrichten", "noticias", "notícias", "nieuws", "nyheter", "actualités", "новости"}
)
# Lines that name someone other than the author: editors, sources, photographers.
_NOT_A_BYLINE = re.compile(r"^\s*(?:责任编辑|编辑|来源|图片|摄影|photo|foto|bild)\s*[:：]", re.I)
_URL_OR_EMAIL = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")
# Separators and conjunctions of joint bylines, in the languages the corpus has.
_JOINT = re.compile(r"\s*(?:[;,，、/|&]|\s(?:and|und|og|et|y|e|i|и)\s|和)\s*", re.IGNORECASE)
_CJK_NAME = r"[\u4e00-\u9fff·]{2,4}(?![\u4e00-\u9fff])"
_CJK_BYLINE = re.compile(
    rf"(?:作者|记者|文|撰稿)\s*[:：/]\s*({_CJK_NAME}(?:[ 、，,]+{_CJK_NAME})*)"
)
_CJK_NAMES_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_NOT_A_NAME = re.compile(
    r"(?i)^(updated|published|posted|last updated|aktualisiert|veröffentlicht|actualizado|"
    r"publicado|mis à jour|publié|更新|发布)\b"
)
_DOMAIN = re.compile(r"(?i)^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$")
_AGENCIES = re.compile(
    r"(?i)^(?:the\s+)?(?:associated press|ap|afp|reuters|dpa|apa|ansa|efe|epa|kna|sda|"
    r"keystone-sda|anadolu ajansı|aa|xinhua|新华社|中新社|kyodo|yonhap|연합뉴스|tass|pa media)$"
)


PERSON, AGENCY, SITE, DOMAIN = "person", "agency", "site", "domain"


def choose_authors(
    jsonld: Sequence[str],
    metas: Sequence[str],
    header_text: str = "",
    site_names: Sequence[str] = (),
    host: str | None = None,
    dom_byline: Callable[[], str | None] | None = None,
) -> list[str]:
    """The authors of the first source that names anyone, JSON-LD's then the author
    ``<meta>`` tags': its people with the agencies beside them. Where it names only an
    organisation (the site, an agency), a Chinese byline under the headline ("作者：王五")
    if there is one; else, for an organisation in a ``<meta>`` tag (often a CMS's default),
    the full names of the page's byline element (``dom_byline``); else that organisation:
    the byline names only that. A bare domain ("mdr.de") names no one: the byline element,
    then the domain when nothing else is found."""
    organisations: list[str] = []
    domains: list[str] = []
    structured = False
    for raw, from_jsonld in ((jsonld, True), (metas, False)):
        named = split_byline(raw, site_names, host)
        if any(kind == PERSON for _, kind in named):
            return [name for name, kind in named if kind in (PERSON, AGENCY)]
        organisations = [name for name, kind in named if kind in (AGENCY, SITE)]
        domains.extend(name for name, kind in named if kind == DOMAIN)
        if organisations:
            structured = from_jsonld
            break
    if match := _CJK_BYLINE.search(header_text):
        named = split_byline([match.group(1)], site_names, host)
        if people := [name for name, kind in named if kind == PERSON]:
            return people
    if dom_byline is not None and not structured and (byline := dom_byline()):
        named = split_byline([byline], site_names, host)
        people = [name for name, kind in named if kind == PERSON]
        # Over a stated organisation only full names: "Amw" is a desk's initials.
        if people and (not organisations or all(" " in n for n in people)):
            return [name for name, kind in named if kind in (PERSON, AGENCY)]
    return organisations[:1] or domains[:1]


def split_byline(
    raw: Sequence[str], site_names: Sequence[str] = (), host: str | None = None
) -> list[tuple[str, str]]:
    """The names a byline gives, each once, and what each is (``PERSON``, ``AGENCY``, ``SITE``,
    ``DOMAIN``): role words, e-mail addresses, URLs, unmatched brackets and dates out, joint
    bylines split, a name spelt as its URL slug ("Sophie-Foster") the same name."""
    kind_of = _kind_matcher(site_names, host)
    named: list[tuple[str, str]] = []
    seen: set[str] = set()
    for line in raw:
        if not line or _NOT_A_BYLINE.match(line):
            continue
        line = _URL_OR_EMAIL.sub(" ", _squash(line))
        for piece in _pieces(line):
            name = _clean_name(piece)
            key = re.sub(r"\W", "", name.casefold())
            if not name or key in seen or len(name) > 60:
                continue
            seen.add(key)
            kind = kind_of(name)
            if kind != PERSON or _plausible(name):
                named.append((name, kind))
    return named


def _pieces(line: str) -> list[str]:
    pieces = [p for p in _JOINT.split(_ROLE_PREFIX.sub("", line)) if p and p.strip()]
    return [q for p in pieces for q in _CJK_NAMES_SPACE.split(p)]


def _clean_name(piece: str) -> str:
    name = _ROLE_SUFFIX.sub("", _ROLE_PREFIX.sub("", piece.strip()))
    name = _unmatched_brackets(name).strip(" -–—:：|、，,*·")
    words = name.split()
    if len(words) >= 3 and words[-1].casefold() in _MONTHS:
        name = " ".join(words[:-1])
    # A final full stop goes, not the one of an initial or "Jr.".
    if name.endswith(".") and not re.search(r"(?:^|\s)\w{1,2}\.$", name):
        name = name.rstrip(".")
    return "" if name.casefold() in _PLACEHOLDERS else name


def _unmatched_brackets(name: str) -> str:
    """ "Elena Oberholzer (obe" -> "Elena Oberholzer": an opening bracket never closed cuts
    the name there; a closing one never opened goes."""
    for opening, closing in ("()", "[]", "（）"):
        at = name.rfind(opening)
        if at >= 0 and closing not in name[at:]:
            name = name[:at]
        if closing in name and opening not in name:
            name = name.replace(closing, "")
    return name


def _plausible(name: str) -> bool:
    return (
        not any(ch.isdigit() for ch in name)
        and not _NOT_A_NAME.search(name)
        and any(ch.isalpha() for ch in name)
    )


def _kind_matcher(site_names: Sequence[str], host: str | None) -> Callable[[str], str]:
    """What a name is: a domain, a news agency, the site's own name (or host), else a person."""
    host_labels = {label for label in (host or "").lower().split(".") if len(label) > 3}
    names = {n for n in (re.sub(r"\W", "", s.lower()) for s in site_names) if len(n) >= 2}

    def kind_of(name: str) -> str:
        letters = re.sub(r"\W", "", name.lower())
        if _DOMAIN.match(name):
            return DOMAIN
        if _AGENCIES.match(name):
            return AGENCY
        if any(n in letters or letters in n for n in names) or any(
            label in letters for label in host_labels
        ):
            return SITE
        return PERSON

    return kind_of


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
