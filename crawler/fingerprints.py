"""Near-duplicate fingerprints of article texts (64-bit simhash), and the banding that finds
fingerprints a few bits apart by exact lookups. Pure: computed in the extraction workers, looked
up in the crawl state."""

from __future__ import annotations

import hashlib
import re
import string

FINGERPRINT_BITS = 64
# A fingerprint is split into this many bands; two within BANDS - 1 bits share one exactly.
BANDS = 4
_BAND_BITS = FINGERPRINT_BITS // BANDS
_SHINGLE = 3
_MIN_SHINGLES = 8
_LONGEST_WORD = 30
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def fingerprint(text: str) -> int:
    """The near-duplicate fingerprint of a text: trafilatura's 64-bit simhash over shingles of
    three words. Single words would make any two articles on the same beat look alike; text
    without spaces between words (Chinese, Japanese, Thai) is read character by character. A
    text too short for shingles gets a hash of itself, so that only its exact copies match."""
    units: list[str] = []
    for word in text.lower().split():
        if _CJK.search(word) or len(word) > _LONGEST_WORD:
            units.extend(c for c in word if c.isalnum())
        elif stripped := word.strip(string.punctuation):
            units.append(stripped)
    shingles = ["".join(units[i : i + _SHINGLE]) for i in range(len(units) - _SHINGLE + 1)]
    shingles = [s for s in shingles if s.isalnum()]
    if len(shingles) < _MIN_SHINGLES:
        return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], 16)
    return simhash(" ".join(shingles))


def simhash(text: str) -> int:
    """trafilatura's ``Simhash(text, 64).hash``, bit for bit, with the 64 per-bit tallies kept
    as a binary counter across 64-bit integers: its per-token vector arithmetic took a fifth of
    a page's processing, and its per-process cache of token vectors filled with shingles that
    never come again. Bit i is set when at least half of the tokens' hashes have it set."""
    # Here, not at the top: the crawl's own process needs the rest of this module, not
    # trafilatura.
    from trafilatura.deduplication import sample_tokens

    tokens = sample_tokens(text, FINGERPRINT_BITS)
    # planes[j] holds bit j of every bit position's tally.
    planes: list[int] = []
    for token in tokens:
        carry = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")
        level = 0
        while carry:
            if level == len(planes):
                planes.append(0)
            planes[level], carry = planes[level] ^ carry, planes[level] & carry
            level += 1
    result = 0
    for bit in range(FINGERPRINT_BITS):
        tally = sum(((plane >> bit) & 1) << level for level, plane in enumerate(planes))
        if 2 * tally >= len(tokens):
            result |= 1 << bit
    return result


def distance(a: int, b: int) -> int:
    """How many bits two fingerprints differ in."""
    return (a ^ b).bit_count()


def bands(value: int) -> list[int]:
    mask = (1 << _BAND_BITS) - 1
    return [(value >> (i * _BAND_BITS)) & mask for i in range(BANDS)]
