"""Character classes as bit flags looked up by code point, for counting over whole pages with numpy.

Regular expressions cost about 15 ns a character in CPython; reading a page's text
as an array of code points and looking each up in one table costs under 1 ns. Each
flag equals the regex class named beside it.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

WORD_CHAR, DECIMAL, CAPITAL, PUNCT, STOP, CLOSER, SPACE, BULLET, LOWER = (1 << i for i in range(9))
_CAPITALS = "".join(map(chr, [*range(0x41, 0x5B), *range(0xC0, 0xD7), *range(0xD8, 0xDF)]))  # [A-ZÀ-ÖØ-Þ]
_MEMBERS = ((CAPITAL, _CAPITALS), (PUNCT, ".,;:!?"), (STOP, ".!?"), (CLOSER, "\"'”’)]"), (BULLET, "|•»"))


def flags_of(c: str) -> int:
    """The flags of one character."""
    out = ((WORD_CHAR if c.isalnum() or c == "_" else 0)  # \w
           | (DECIMAL if c.isdecimal() else 0)  # \d
           | (SPACE if c.isspace() else 0)  # \s
           | (LOWER if c.islower() else 0))
    for flag, members in _MEMBERS:
        if c in members:
            out |= flag
    return out


@lru_cache(maxsize=1)
def _bmp_table() -> np.ndarray:
    """:func:`flags_of` every code point below U+10000, one predicate at a time (about 10 ms, once)."""
    chars = list(map(chr, range(0x10000)))
    table = np.zeros(0x10000, dtype=np.uint16)
    for flag, test in ((WORD_CHAR, str.isalnum), (DECIMAL, str.isdecimal), (SPACE, str.isspace),
                       (LOWER, str.islower)):
        table[np.fromiter(map(test, chars), dtype=bool, count=0x10000)] |= flag
    table[ord("_")] |= WORD_CHAR
    for flag, members in _MEMBERS:
        table[[ord(c) for c in members]] |= flag
    return table


def char_flags(codes: np.ndarray) -> np.ndarray:
    """Flags of each code point in ``codes`` (uint32, e.g. a str encoded as UTF-32)."""
    table = _bmp_table()
    if not len(codes) or codes.max() < 0x10000:
        return table[codes]
    out = table[np.minimum(codes, 0xFFFF)]
    for i in np.flatnonzero(codes >= 0x10000):  # rare: emoji, historic scripts
        out[i] = flags_of(chr(codes[i]))
    return out


def text_flags(text: str) -> np.ndarray:
    """Flags of each character of ``text``."""
    return char_flags(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))
