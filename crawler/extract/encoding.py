"""Bytes -> text for HTML pages, the way browsers and Scrapy's ``response.text`` do it.

Order: BOM, HTTP header, ``<meta>``/XML declaration (w3lib, which reads GB2312/GBK as GB18030),
then detection with charset-normalizer for pages that declare nothing. A UTF-8 page with lines
in another encoding pasted in is decoded line by line. trafilatura is only ever given text: from
bytes it guesses and ignores the declared charset.

A decoding that was doubtful says so in ``warnings``: ``encoding_guessed`` (nothing declared),
``encoding_mismatch`` (the bytes or the BOM contradict the declaration), ``encoding_mixed`` (two
encodings on one page), ``decode_errors`` (characters replaced).
"""

from __future__ import annotations

import codecs
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
# Non-ASCII bytes of valid UTF-8 a page needs before it counts as UTF-8 with foreign lines: fewer
# could be a legacy-encoded pair that happens to form UTF-8.
_MIXED_MIN_UTF8_BYTES = 4


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
        # The BOM wins, as in browsers; a header saying otherwise is worth a warning.
        header = http_content_type_encoding(content_type)
        contradicted = header and resolve_encoding(header) != resolve_encoding(bom_encoding)
        return Decoded(
            to_unicode(body[len(bom) :], bom_encoding),
            bom_encoding,
            "bom",
            ("encoding_mismatch",) if contradicted else (),
        )
    for source, label in (
        ("header", http_content_type_encoding(content_type)),
        ("meta", html_body_declared_encoding(body)),
    ):
        encoding = _text_encoding(label)
        if not encoding:
            continue
        if not is_multi_byte_encoding(encoding) and _is_utf8(body):
            # Non-ASCII bytes that form valid UTF-8 are UTF-8: a Latin-1 label on them is a
            # leftover from a migration, and obeying it would print mojibake.
            return Decoded(body.decode("utf-8"), "utf-8", "detected", ("encoding_mismatch",))
        try:
            return Decoded(body.decode(encoding), encoding, source)
        except UnicodeDecodeError:
            mixed = _mixed_utf8(body) if encoding == "utf-8" else None
            if mixed:
                return mixed
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
    mixed = _mixed_utf8(body)
    if mixed:
        return mixed
    detected = _detect(body)
    if detected:
        return Decoded(to_unicode(body, detected), detected, "detected", ("encoding_guessed",))
    return Decoded(to_unicode(body, "cp1252"), "cp1252", "default", ("encoding_guessed",))


def _mixed_utf8(body: bytes) -> Decoded | None:
    """A UTF-8 page with lines in another encoding (an old article pasted into a new template):
    each line decoded on its own, the foreign ones in the encoding detected from all of them.
    None unless the page has both kinds of line. Lines are safe units: no legacy CJK encoding
    uses a newline byte inside a character."""
    lines = body.split(b"\n")
    foreign: list[bytes] = []
    utf8_bytes = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            foreign.append(line)
        else:
            utf8_bytes += sum(1 for byte in line if byte >= 0x80)
    if not foreign or utf8_bytes < _MIXED_MIN_UTF8_BYTES:
        return None
    other = _detect(b"\n".join(foreign), single_byte="cp1252") or "cp1252"
    text = "\n".join(_decode_line(line, other) for line in lines)
    return Decoded(text, "utf-8", "detected", ("encoding_mixed",))


def _decode_line(line: bytes, fallback: str) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return to_unicode(line, fallback)


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


def _text_encoding(label: str | None) -> str | None:
    """The text encoding a charset label names; None for an unknown label and for Python's
    bytes-to-bytes codecs (``zlib``, ``base64``, ``hex``), which a page may name but no browser
    reads as a charset: such a label is ignored, not obeyed."""
    encoding = resolve_encoding(label) if label else None
    if not encoding:
        return None
    try:
        return encoding if codecs.lookup(encoding)._is_text_encoding else None
    except LookupError:
        return None
