"""Per-site knowledge as data: a TOML sites file becomes frozen ``SiteConfig`` objects.

A bad file fails loudly at start-up, naming the site and the key, rather than mid-crawl.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree

from crawler.errors import StartupError


class SitesFileError(StartupError, ValueError):
    """The sites file cannot be used as written: a crawl stops at start on it (exit 2)."""


@dataclass(frozen=True)
class SiteConfig:
    """How to crawl one site and what to know when extracting its pages.

    Plain values only (strings and compiled patterns), so a config pickles into extraction
    worker processes.
    """

    name: str
    start_urls: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    article_patterns: tuple[re.Pattern[str], ...] = ()
    follow_patterns: tuple[re.Pattern[str], ...] = ()
    deny_patterns: tuple[re.Pattern[str], ...] = ()
    body_xpath: str | None = None
    prune_xpath: tuple[str, ...] = ()
    drop_phrases: tuple[str, ...] = ()
    timezone: str | None = None
    language: str | None = None
    max_pages: int | None = None  # page budget of one crawl; None: NEWS_MAX_PAGES_PER_SITE
    # The ports of its start, sitemap and feed URLs (80 and 443 both when either is); empty:
    # any port.
    ports: frozenset[int] = frozenset()

    def allows(self, url: str) -> bool:
        """Whether ``url`` is http(s) on one of the site's hosts (subdomains included) and one
        of its ports: another port of the same host is another server."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        host = parts.hostname.lower()
        if not any(host == h or host.endswith("." + h) for h in self.allowed_hosts):
            return False
        if not self.ports:
            return True
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:  # a port that is not a number
            return False
        return port in self.ports

    def is_article_url(self, url: str) -> bool | None:
        """True/False when the site's patterns decide, None when they are silent."""
        if self.article_patterns:
            return any(p.search(url) for p in self.article_patterns)
        return None

    def should_follow(self, url: str) -> bool:
        """Whether a link may be followed as a listing page (deny wins over follow)."""
        if any(p.search(url) for p in self.deny_patterns):
            return False
        if self.follow_patterns:
            return any(p.search(url) for p in self.follow_patterns)
        return True


_DEFAULT_PORTS = {"http": 80, "https": 443}


def site_ports(urls: list[str]) -> frozenset[int]:
    """The ports a site's URLs name; a site on the default port of http or https is on both
    (the same site, with or without TLS). Raises ``ValueError`` for a port that is no number."""
    ports = {urlsplit(url).port or _DEFAULT_PORTS.get(urlsplit(url).scheme, 80) for url in urls}
    if ports & {80, 443}:
        ports |= {80, 443}
    return frozenset(ports)


_KEYS = {
    "start_urls",
    "sitemaps",
    "feeds",
    "allowed_hosts",
    "article_patterns",
    "follow_patterns",
    "deny_patterns",
    "body_xpath",
    "prune_xpath",
    "drop_phrases",
    "timezone",
    "language",
    "max_pages",
}


def site_for_urls(urls: list[str], name: str | None = None) -> SiteConfig:
    """An ad-hoc site for ``-a start_urls=...``: stay on the hosts of the given URLs."""
    hosts = []
    for url in urls:
        host = urlsplit(url).hostname
        if not host:
            raise SitesFileError(f"start URL without a host: {url!r}")
        if host.lower() not in hosts:
            hosts.append(host.lower())
    try:
        ports = site_ports(urls)
    except ValueError as exc:
        raise SitesFileError(f"start URL with a bad port: {exc}") from exc
    return SiteConfig(
        name=name or hosts[0], start_urls=tuple(urls), allowed_hosts=tuple(hosts), ports=ports
    )


def bundled_sites_file() -> Path:
    """The example sites file shipped in the package: real portals, the default for real use."""
    return Path(str(resources.files("crawler"))) / "sites.toml"


def select_sites(path: str | Path | None, only: str | None = None) -> dict[str, SiteConfig]:
    """The sites of a file (default: the bundled one), or just the one named ``only``."""
    sites = load_sites(path or bundled_sites_file())
    if only is None:
        return sites
    if only not in sites:
        raise SitesFileError(
            f"site {only!r} is not in {path or 'the bundled sites file'}; known: {sorted(sites)}"
        )
    return {only: sites[only]}


def load_sites(path: str | Path) -> dict[str, SiteConfig]:
    """Read a sites file; raise ``SitesFileError`` naming the site and key at fault."""
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SitesFileError(f"{path}: {exc}") from exc
    sites = data.get("sites")
    if not isinstance(sites, dict) or not sites:
        raise SitesFileError(f"{path}: no [sites.NAME] tables")
    return {name: _parse_site(name, raw, path) for name, raw in sites.items()}


def _parse_site(name: str, raw: Any, path: str | Path) -> SiteConfig:
    where = f"{path}: [sites.{name}]"
    if not isinstance(raw, dict):
        raise SitesFileError(f"{where} is not a table")
    unknown = set(raw) - _KEYS
    if unknown:
        raise SitesFileError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_KEYS)}")
    start_urls = _strings(raw, "start_urls", where)
    if not start_urls:
        raise SitesFileError(f"{where}: start_urls is required")
    site_urls = start_urls + _strings(raw, "sitemaps", where) + _strings(raw, "feeds", where)
    for url in site_urls:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 -- raises for a port that is not a number
        except ValueError as exc:
            raise SitesFileError(f"{where}: bad URL {url!r}: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SitesFileError(f"{where}: not an http(s) URL: {url!r}")
    for key in ("body_xpath", "timezone", "language"):
        if key in raw and not (isinstance(raw[key], str) and raw[key]):
            raise SitesFileError(f"{where}: {key} must be a non-empty string")
    hosts = _strings(raw, "allowed_hosts", where) or [
        h for h in dict.fromkeys(urlsplit(u).hostname for u in start_urls) if h
    ]
    body_xpath = raw.get("body_xpath")
    prune = _strings(raw, "prune_xpath", where)
    for xp in ([body_xpath] if body_xpath else []) + prune:
        try:
            etree.XPath(xp)
        except etree.XPathSyntaxError as exc:
            raise SitesFileError(f"{where}: bad XPath {xp!r}: {exc}") from exc
    timezone = raw.get("timezone")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SitesFileError(f"{where}: unknown timezone {timezone!r}") from exc
    max_pages = raw.get("max_pages")
    # bool is an int to Python; `max_pages = true` is still a mistake.
    if max_pages is not None and (
        not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1
    ):
        raise SitesFileError(f"{where}: max_pages must be a positive integer")
    return SiteConfig(
        name=name,
        start_urls=tuple(start_urls),
        sitemaps=tuple(_strings(raw, "sitemaps", where)),
        feeds=tuple(_strings(raw, "feeds", where)),
        allowed_hosts=tuple(h.lower() for h in hosts),
        article_patterns=_patterns(raw, "article_patterns", where),
        follow_patterns=_patterns(raw, "follow_patterns", where),
        deny_patterns=_patterns(raw, "deny_patterns", where),
        body_xpath=body_xpath,
        prune_xpath=tuple(prune),
        drop_phrases=tuple(_strings(raw, "drop_phrases", where)),
        timezone=timezone,
        language=raw.get("language"),
        max_pages=max_pages,
        ports=site_ports(site_urls),
    )


def _strings(raw: dict[str, Any], key: str, where: str) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SitesFileError(f"{where}: {key} must be a string or a list of non-empty strings")
    return value


def _patterns(raw: dict[str, Any], key: str, where: str) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(p) for p in _strings(raw, key, where))
    except re.error as exc:
        raise SitesFileError(f"{where}: bad regular expression in {key}: {exc}") from exc
