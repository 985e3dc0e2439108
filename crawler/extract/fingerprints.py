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
# Each token's hash starts as a copy of this one: that skips parsing blake2b's parameters for
# every token (the hashing 0.5 -> 0.35 ms a page). Never updated, so safe to share.
_BLAKE2B_64 = hashlib.blake2b(digest_size=8)


def fingerprint(text: str) -> int:
    """The near-duplicate fingerprint of a text: trafilatura's 64-bit simhash over shingles of
    three words. Single words would make any two articles on the same beat look alike; text
    without spaces between words (Chinese, Japanese, Thai) is read character by character. A
    text too short for shingles gets a hash of itself, so that only its exact copies match."""
    units: list[str] = []
    # Most texts have no CJK at all: then no word needs the search.
    cjk = _CJK.search(text) is not None
    for word in text.lower().split():
        if len(word) > _LONGEST_WORD or (cjk and _CJK.search(word)):
            units.extend(filter(str.isalnum, word))
        elif stripped := word.strip(string.punctuation):
            units.append(stripped)
    shingles = list(
        filter(str.isalnum, map("".join, zip(units, units[1:], units[2:], strict=False)))
    )
    if len(shingles) < _MIN_SHINGLES:
        return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], 16)
    # The shingles are what trafilatura's ``sample_tokens`` would split their joined text into
    # (each is letters and digits only): sampled as it samples, without the round trip.
    return _tally(_sample(shingles, FINGERPRINT_BITS))


def simhash(text: str) -> int:
    """trafilatura's ``Simhash(text, 64).hash``, bit for bit: bit i is set when at least half
    of the tokens' hashes have it set."""
    # Here, not at the top: the crawl's own process needs the rest of this module, not
    # trafilatura and numpy.
    from trafilatura.deduplication import sample_tokens

    return _tally(sample_tokens(text, FINGERPRINT_BITS))


def _sample(tokens: list[str], length: int) -> list[str]:
    """trafilatura's ``sample_tokens`` on tokens already split and stripped: the longest ones,
    as long as there are enough of them."""
    for i in range(4, 0, -1):
        sample = [t for t in tokens if len(t) > i]
        if len(sample) >= length / 2:
            return sample
    return tokens


def _tally(tokens: list[str]) -> int:
    """The simhash of sampled tokens. The 64 tallies are counted by numpy over the tokens'
    hashes as one bit matrix: trafilatura's per-token vector arithmetic took a fifth of a
    page's processing, a binary counter in Python still 1.8 ms; this takes 0.8 ms."""
    import numpy as np

    digests = []
    for token in tokens:
        hasher = _BLAKE2B_64.copy()
        hasher.update(token.encode())
        digests.append(hasher.digest())
    # One row per token, its hash's bits from the most significant down.
    bits = np.unpackbits(np.frombuffer(b"".join(digests), np.uint8).reshape(len(tokens), 8), axis=1)
    majority = 2 * bits.sum(axis=0, dtype=np.int64) >= len(tokens)
    return int.from_bytes(np.packbits(majority).tobytes(), "big")


def distance(a: int, b: int) -> int:
    """How many bits two fingerprints differ in."""
    return (a ^ b).bit_count()


def bands(value: int) -> list[int]:
    mask = (1 << _BAND_BITS) - 1
    return [(value >> (i * _BAND_BITS)) & mask for i in range(BANDS)]
