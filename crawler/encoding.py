"""Bytes -> text for HTML pages, the way browsers and Scrapy's ``response.text`` do it.

Order: BOM, HTTP header, ``<meta>``/XML declaration (w3lib, which reads GB2312/GBK as GB18030),
then detection with charset-normalizer for pages that declare nothing. trafilatura is only ever
given text: from bytes it guesses and ignores the declared charset.
"""

from __future__ import annotations

from dataclasses import dataclass

from charset_normalizer import from_bytes
from charset_normalizer.utils import is_multi_byte_encoding
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
    to_unicode,
)

# Enough bytes for a detector to be sure on CJK pages without scanning a whole large page.
_DETECT_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    source: str  # bom, header, meta, detected or default
    warnings: tuple[str, ...] = ()


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode a page; say where the encoding came from and whether it was doubtful."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom:
        return Decoded(to_unicode(body[len(bom) :], bom_encoding), bom_encoding, "bom")
    for source, label in (
        ("header", http_content_type_encoding(content_type)),
        ("meta", html_body_declared_encoding(body)),
    ):
        encoding = resolve_encoding(label) if label else None
        if not encoding:
            continue
        if not is_multi_byte_encoding(encoding) and _is_utf8(body):
            # Non-ASCII bytes that form valid UTF-8 are UTF-8: a Latin-1 label on them is a
            # leftover from a migration, and obeying it would print mojibake.
            return Decoded(body.decode("utf-8"), "utf-8", "detected", ("encoding_mismatch",))
        try:
            return Decoded(body.decode(encoding), encoding, source)
        except UnicodeDecodeError:
            # Declared wrong (windows-1252 bytes labelled UTF-8 is the classic): trust the bytes.
            detected = _detect(body, single_byte="cp1252")
            if detected and detected != encoding:
                return Decoded(
                    to_unicode(body, detected), detected, "detected", ("encoding_mismatch",)
                )
            return Decoded(to_unicode(body, encoding), encoding, source, ("decode_errors",))
    try:
        return Decoded(body.decode("utf-8"), "utf-8", "default")
    except UnicodeDecodeError:
        pass
    detected = _detect(body)
    if detected:
        return Decoded(to_unicode(body, detected), detected, "detected", ("encoding_guessed",))
    return Decoded(to_unicode(body, "cp1252"), "cp1252", "default", ("encoding_guessed",))


def _is_utf8(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(body: bytes, single_byte: str | None = None) -> str | None:
    """The detector's pick; ``single_byte`` replaces a single-byte guess, which on short
    Latin text is a coin toss between code pages while the mislabelling is nearly always 1252."""
    best = from_bytes(body[:_DETECT_BYTES]).best()
    if best is None:
        return None
    encoding = resolve_encoding(best.encoding) or best.encoding
    if single_byte and not is_multi_byte_encoding(best.encoding):
        return single_byte
    return encoding
