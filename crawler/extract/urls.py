"""URL normalisation: the one spelling of a page's URL that record ids and the crawl state key
on, so that tracking parameters, fragments, default ports, session IDs and AMP or print
variants do not make one article look like several.

Pure and conservative: only what never changes which article a URL names is removed. The
requests themselves go to the URLs as found; this is for identity, not for fetching.
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin, urlsplit

from w3lib.url import canonicalize_url

# Query parameters that say who sent the reader, never which page: ad and newsletter click IDs.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
     "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
     "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid", "s_cid", "ocid", "cmpid",
     "ref_src", "ref_url", "spm"}
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_")
# name=value pairs that ask for the AMP or print rendering of the same article.
_VARIANT_PAIRS = frozenset(
    {("output", "amp"), ("output", "print"), ("outputtype", "amp"), ("view", "print"),
     ("format", "amp")}
)  # fmt: skip
_VARIANT_FLAGS = frozenset({"amp", "print"})
_FLAG_VALUES = frozenset({"", "1", "true", "yes"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# /story/amp, /story/amp/, /story/print; /amp/story; /story.amp.html, /story.amp
_TRAILING_VARIANT = re.compile(r"(?i)/(?:amp|print)(/?)$")
_LEADING_AMP = re.compile(r"(?i)^/amp(?=/)")
_AMP_SUFFIX = re.compile(r"(?i)\.amp(\.html?)?$")


def normalize_url(url: str) -> str:
    """The identity of the page ``url`` names: lower-case scheme and host, no default port,
    no fragment, no session or tracking parameters, no AMP/print variant markers, query sorted
    (``w3lib.url.canonicalize_url``)."""
    url = strip_session_ids(url.strip())
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:  # not a URL anything could fetch; it names only itself
        return url
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = _TRAILING_VARIANT.sub(r"\1", parts.path)
    path = _LEADING_AMP.sub("", path)
    path = _AMP_SUFFIX.sub(lambda m: m.group(1) or "", path)
    query = "&".join(p for p in parts.query.split("&") if p and not _drop_param(p))
    parts = parts._replace(scheme=scheme, netloc=netloc, path=path, query=query, fragment="")
    return canonicalize_url(parts.geturl())


def _drop_param(pair: str) -> bool:
    name, _, value = pair.partition("=")
    name, value = name.lower(), value.lower()
    return (
        name in _TRACKING_PARAMS
        or name.startswith(_TRACKING_PREFIXES)
        or (name, value) in _VARIANT_PAIRS
        or (name in _VARIANT_FLAGS and value in _FLAG_VALUES)
    )


def join_url(base_url: str, href: str | None) -> str | None:
    """``href`` made absolute; None for one urllib refuses ("http://[bad"), so that one broken
    entry or link costs only itself, not the sitemap, feed or page it is on."""
    if not href:
        return None
    try:
        url = urljoin(base_url, href)
        _ = urlsplit(url).port  # raises for a port that is not a number
    except ValueError:
        return None
    return url


def absolute_http_url(href: str, base_url: str) -> str | None:
    """Resolve a link; only http(s) URLs survive (no javascript:, mailto:, data:, file:)."""
    href = href.strip()
    if href.startswith("#") or not (joined := join_url(base_url, href)):
        return None
    url = urldefrag(joined)[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


# Query parameters that carry a session, not a page: each visit mints a new one, so a site that
# puts them in links is an endless supply of "new" URLs for the same pages.
_SESSION_PARAMS = frozenset(
    {"jsessionid", "phpsessid", "sid", "sessionid", "session_id", "aspsessionid", "cfid",
     "cftoken", "zenid", "oscsid"}
)  # fmt: skip
_PATH_SESSION = re.compile(r"(?i);(jsessionid|phpsessid|sid|sessionid)=[^/?#]*")


def strip_session_ids(url: str) -> str:
    """``url`` without session IDs (``?sid=…``, ``;jsessionid=…``), so the duplicate filter sees
    the same page as the same URL."""
    parts = urlsplit(url)
    path = _PATH_SESSION.sub("", parts.path)
    query = parts.query
    if query:
        pairs = [p for p in query.split("&") if p.split("=", 1)[0].lower() not in _SESSION_PARAMS]
        query = "&".join(pairs)
    if (path, query) == (parts.path, parts.query):
        return url
    return parts._replace(path=path, query=query).geturl()


_HREF_SCHEME = re.compile(r"""(?i)<a\b[^>]*?\bhref\s*=\s*["']?\s*([a-z][a-z0-9+.-]*):""")
_NAMED_SCHEMES = frozenset({"javascript", "mailto", "data", "file", "tel", "ftp", "sms"})


def refused_link_schemes(html: str) -> list[str]:
    """The schemes of a page's links that are never fetched (anything but http and https);
    unusual ones as "other", so a hostile page cannot invent stats keys."""
    schemes = (m.group(1).lower() for m in _HREF_SCHEME.finditer(html))
    return [s if s in _NAMED_SCHEMES else "other" for s in schemes if s not in ("http", "https")]
