"""What went wrong with a page, named: why a request ended without a usable response, and what
a response is when it only looks like a page (a binary file served as HTML, a bot challenge;
markup nested deeper than the parser reads is ``structure.too_deep``). Pure helpers, no
state; the spider counts the reasons they return.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

# Scrapy's HttpCompressionMiddleware raises IgnoreRequest from this when a body inflates beyond
# DOWNLOAD_MAXSIZE; the cause is the only thing telling a compression bomb from other ignores.
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.internet import error as tx_error
from w3lib.encoding import read_bom


class PageFailed(IgnoreRequest):
    """A request newscrawl's middlewares stop, with the reason it is counted under
    (``newscrawl/failed/<reason>``)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# Checked in order: the first matching type names the reason.
_ERRORS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, tx_error.TimeoutError), "timeout"),
    ((ResponseDataLossError,), "truncated"),
    # Scrapy cancels a download whose body passes DOWNLOAD_MAXSIZE (declared or received).
    ((DownloadCancelledError,), "too_large"),
    ((CannotResolveHostError, tx_error.DNSLookupError), "dns"),
    (
        (
            DownloadConnectionRefusedError,
            DownloadFailedError,
            tx_error.ConnectError,
            tx_error.ConnectionLost,
            tx_error.ConnectionDone,
        ),
        "connection",
    ),
)
# Scrapy's own IgnoreRequest messages, which carry no type of their own.
_IGNORED = (("Forbidden by robots.txt", "robots_txt"), ("Filtered offsite", "offsite"))


def failure_reason(exc: BaseException) -> str:
    """The reason a page request failed, for ``newscrawl/failed/<reason>``."""
    if isinstance(exc, PageFailed):
        return exc.reason
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        if isinstance(exc.__cause__, _DecompressionMaxSizeExceeded):
            return "decompression_bomb"
        message = str(exc)
        return next((r for prefix, r in _IGNORED if message.startswith(prefix)), "ignored")
    return next((r for types, r in _ERRORS if isinstance(exc, types)), "download_error")


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date); None when
    absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"RIFF", "riff"),
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf", "7z"),
    (b"Rar!", "rar"),
    (b"\x00\x00\x00", "binary"),
)


def binary_kind(body: bytes) -> str | None:
    """What a body is when it is a file rather than text ("pdf", "png", "zip", …, "binary"):
    servers send those as text/html too."""
    head = body[:1024]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if read_bom(head)[0]:
        return None  # UTF-16/32 text has NUL bytes but announces itself
    return "binary" if b"\x00" in head else None


# Markers of bot-protection interstitials (Cloudflare, DataDome, PerimeterX, generic). Only
# consulted for a page that is not an article anyway, so a marker in a real article (a captcha
# in the comment form) costs nothing.
_CHALLENGE_MARKERS = (
    b"cf-chl",
    b"_cf_chl_opt",
    b"cf-browser-verification",
    b"captcha-delivery.com",
    b"px-captcha",
)
_CHALLENGE_TITLE = re.compile(
    rb"(?i)<title[^>]*>\s*(just a moment|attention required|checking your browser|"
    rb"access denied|are you a robot|verify you are (a )?human|security check|"
    rb"ddos protection|please wait)"
)


def is_challenge(response: Response) -> bool:
    """Whether a response is a bot challenge or block page rather than the page asked for."""
    if (response.headers.get("cf-mitigated") or b"").lower() == b"challenge":
        return True
    head = response.body[:65536]
    lowered = head.lower()
    return any(m in lowered for m in _CHALLENGE_MARKERS) or bool(_CHALLENGE_TITLE.search(head))
