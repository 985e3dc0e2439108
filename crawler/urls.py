"""URL normalisation: the one spelling of a page's URL that record ids and the crawl state key
on, so that tracking parameters, fragments, default ports, session IDs and AMP or print
variants do not make one article look like several.

Pure and conservative: only what never changes which article a URL names is removed. The
requests themselves go to the URLs as found; this is for identity, not for fetching.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url

from crawler.discovery import strip_session_ids

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
