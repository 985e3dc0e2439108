"""Dates as pages, sitemaps and feeds state them: parsed to ISO 8601 with the time and offset
they give, and where each was found. Pure: no lxml, no trafilatura (the crawl's own process
reads sitemap and feed dates; the extraction workers read the pages')."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

_ISO_RE = re.compile(
    r"(?P<y>(?:19|20)\d\d)[-/.](?P<m>[01]?\d)[-/.](?P<d>[0-3]?\d)"
    r"(?:[T\s]+(?P<H>[0-2]?\d):(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d))?(?:\.\d+)?)?"
    r"\s*(?P<tz>Z|[+-][01]\d:?[0-5]\d)?"
)
_CJK_DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>[01]?\d)\s*月\s*(?P<d>[0-3]?\d)\s*日"
    r"(?:\s*(?P<H>[0-2]?\d)\s*[:：时]\s*(?P<M>[0-5]\d)(?:\s*[:：分]\s*(?P<S>[0-5]\d))?)?"
)
_URL_DATE_RE = re.compile(
    r"/(?P<y>(?:19|20)\d\d)[-/_]?(?P<m>[01]\d)[-/_]?(?:(?P<d>[0-3]\d)(?=[/_.-]|\d{2,}|$))?"
)


@dataclass(frozen=True)
class FoundDate:
    iso: str
    raw: str
    source: str  # jsonld, meta, html, url, sitemap, feed


def parse_date(raw: str, tz: str | None = None) -> str | None:
    """Normalise a date string to ISO 8601, keeping the time and offset it states.

    ``tz`` (the site's zone) supplies the offset when the string has a time but none.
    """
    raw = raw.strip()
    if not raw:
        return None
    if re.match(r"^[A-Za-z]{3},\s", raw) or re.search(r"\s(GMT|UT|[+-]\d{4})$", raw):
        try:
            return parsedate_to_datetime(raw).isoformat()
        except (TypeError, ValueError, IndexError):
            pass
    match = _ISO_RE.search(raw) or _CJK_DATE_RE.search(raw)
    if not match:
        return None
    return _match_to_iso(match, tz)


def _match_to_iso(match: re.Match[str], tz: str | None) -> str | None:
    parts = match.groupdict()
    try:
        day = datetime(int(parts["y"]), int(parts["m"]), int(parts["d"] or 1))
    except ValueError:
        return None
    if parts.get("H") is None:
        return day.date().isoformat() if parts["d"] else None
    try:
        moment = day.replace(
            hour=int(parts["H"]), minute=int(parts["M"]), second=int(parts["S"] or 0)
        )
    except ValueError:
        return day.date().isoformat()
    offset = parts.get("tz")
    if offset:
        if offset == "Z":
            return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return moment.replace(tzinfo=timezone(sign * delta)).isoformat()
    if tz:
        return moment.replace(tzinfo=ZoneInfo(tz)).isoformat()
    return moment.isoformat()


# Words that stand beside a date in a byline or source line ("来源：中国网　2022-11-28 10:15",
# "Updated: 2022-03-01 09:00", "2022-03-01 10:22　来源：…") and not beside one in a sentence
# (nor in an encyclopedia's "出生日期：1975年1月28日").
_DATELINE_MARK = re.compile(
    r"来源|作者|发布|(?<!出生)(?<!逝世)(?:时间|日期)|编辑|记者|稿源|出处|更新|"
    r"(?i:published|updated|posted|by\s|veröffentlicht|aktualisiert|stand:|publicado|"
    r"actualizado|publié|mis à jour|opublikowano|pubblicato|date)|[|｜]"
)
_MARK_BEFORE = 24  # characters before a date searched for a dateline word
_MARK_AFTER = 8  # and after it ("2022-03-01 10:22　来源：")


def _dates_in(text: str) -> list[re.Match[str]]:
    """Every Chinese or ISO-like date in the text, in reading order."""
    found = [*_CJK_DATE_RE.finditer(text), *_ISO_RE.finditer(text)]
    return sorted(found, key=lambda m: m.start())


def date_in_dateline(text: str, tz: str | None = None) -> FoundDate | None:
    """The first date of the text around a headline that stands in a byline or source line:
    a dateline word just before or after it. A date in the prose or the standfirst
    (``2020年12月11日20时00分02秒，全国首单…``) is not one, even when it comes first."""
    previous_end = 0
    for match in _dates_in(text):
        before = text[max(previous_end, match.start() - _MARK_BEFORE) : match.start()]
        after = text[match.end() : match.end() + _MARK_AFTER]
        previous_end = match.end()
        if _DATELINE_MARK.search(before) or _DATELINE_MARK.search(after):
            iso = _match_to_iso(match, tz)
            if iso:
                return FoundDate(iso, match.group(0).strip(), "html")
    return None


def date_in_text(text: str, tz: str | None = None) -> FoundDate | None:
    """The first Chinese date, or ISO-like date with a time, anywhere in the text around a
    headline: the prose's date, a last resort (the caller warns ``date_from_text``)."""
    for match in _dates_in(text):
        if match.re is _CJK_DATE_RE or match.group("H") is not None:
            iso = _match_to_iso(match, tz)
            if iso:
                return FoundDate(iso, match.group(0).strip(), "html")
    return None


def date_in_url(url: str) -> FoundDate | None:
    """A day in the URL's path (``/2022/03/01/``, ``/2022-03/01/``)."""
    match = _URL_DATE_RE.search(urlsplit(url).path)
    iso = _match_to_iso(match, None) if match and match.group("d") else None
    return FoundDate(iso, match.group(0).strip("/"), "url") if match and iso else None


def days_apart(a: FoundDate, b: FoundDate) -> int:
    """Whole days between the calendar dates of two found dates (times and zones ignored)."""
    day_a, day_b = (datetime.fromisoformat(d.iso[:10]).date() for d in (a, b))
    return abs((day_a - day_b).days)


def age_days(date: FoundDate) -> float:
    """Days from a found date to now; a date without offset is taken as UTC."""
    moment = datetime.fromisoformat(date.iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (datetime.now(UTC) - moment).total_seconds() / 86400


def date_from_feed(raw: str | None, source: str, tz: str | None = None) -> FoundDate | None:
    """A sitemap ``lastmod``/``news:publication_date`` or feed ``pubDate`` as a fallback date."""
    if not raw:
        return None
    iso = parse_date(raw, tz)
    return FoundDate(iso, raw, source) if iso else None


def date_precision(iso: str | None) -> str | None:
    """What a normalised date pins down: ``instant`` (a time with an offset), ``local`` (a time
    without a zone), ``day``; None without a date."""
    if not iso:
        return None
    if len(iso) <= 10:
        return "day"
    return "instant" if iso.endswith("Z") or re.search(r"[+-]\d\d:\d\d$", iso) else "local"


def utc_instant(iso: str | None) -> str | None:
    """The RFC 3339 UTC instant (``2022-03-01T02:22:33Z``) of a normalised date that has one,
    else None: a local time or a day is not an instant."""
    if iso is None or date_precision(iso) != "instant":
        return None
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def later_than(iso: str | None, instant: str) -> bool:
    """Whether a normalised date is surely after a UTC instant (``…Z``): an instant compared as
    one; a local time or a day only when its day comes after the instant's."""
    if not iso:
        return False
    if at := utc_instant(iso):
        return at > instant
    return iso[:10] > instant[:10]
