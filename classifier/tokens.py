"""Word tokens of blocks, for a whole batch of blocks in a few array passes.

Tokenising is on the hot path of scoring. A ``\\w+`` regex costs about 15 ns a
character in CPython and looking each token string up in a dict of 150,000 grams
costs 150-300 ns (a new string is hashed, then the dict is probed all over
memory). So the texts of a batch are joined into one string and read as an array
of code points: every character that is not a word character (``\\w``) becomes a
space, digits become ``0`` (a run keeps at most four), and each token is hashed
with a polynomial hash computed from prefix sums, all in numpy. Scoring needs
only the hashes (see :mod:`classifier.gramtable`); training also asks for the
token strings (:meth:`BlockTokens.strings`), cut from the same array so the two
always agree.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .charclass import DECIMAL, WORD_CHAR, char_flags

WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")
_WINDOW_PER_TOKEN = 12  # a block's first cap * 12 characters hold its first cap tokens
_MAX_DIGITS = 4
_SPACE, _ZERO = ord(" "), ord("0")

# Polynomial hash modulo 2**64 (numpy's uint64 arithmetic wraps), then a splitmix64 finish.
_P = 0x100000001B3
_P_INVERSE = pow(_P, -1, 1 << 64)
_BIGRAM = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_LENGTH = np.uint64(0xD6E8FEB86659FD93)


def _fold_digits(match: re.Match) -> str:
    return "0" * min(len(match.group()), _MAX_DIGITS)


def word_tokens(text: str, cap: int) -> list[str]:
    """Lowercase word tokens of a block, at most ``cap`` of them.

    Decimal digits fold to ``0`` and a run of them keeps at most four: ``2024`` and
    ``1999`` are one token, ``0000``. The reference definition: :func:`tokenize_blocks`
    gives the same tokens for many blocks at once.
    """
    window = text.lower()[:_WINDOW_PER_TOKEN * cap]
    return WORD.findall(_DIGITS.sub(_fold_digits, window))[:cap]


class _Powers:
    """P**i and P**-i modulo 2**64, grown on demand and shared by all calls.

    Both arrays live in one tuple that is replaced whole, so a thread reading them
    while another grows them sees a matching pair.
    """

    def __init__(self) -> None:
        one = np.ones(1, dtype=np.uint64)
        self.pair = (one, one)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        up, down = self.pair
        if len(up) < n:
            size = max(n, 2 * len(up), 1 << 16)
            one = np.ones(1, dtype=np.uint64)
            with np.errstate(over="ignore"):
                up = np.concatenate((one, np.cumprod(np.full(size - 1, _P, dtype=np.uint64))))
                down = np.concatenate((one, np.cumprod(np.full(size - 1, _P_INVERSE, dtype=np.uint64))))
            self.pair = (up, down)
        return up[:n], down[:n]


_POWERS = _Powers()


def _finish(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the bits (the gram table indexes by the top bits); never 0."""
    h = (h ^ (h >> np.uint64(30))) * _MIX1
    h = (h ^ (h >> np.uint64(27))) * _MIX2
    h ^= h >> np.uint64(31)
    h[h == 0] = 1
    return h


@dataclass
class BlockTokens:
    """The word tokens of ``n_rows`` blocks: spans in one normalised code-point array."""

    codes: np.ndarray  # uint32: lowercased, non-word characters as spaces, digits folded
    starts: np.ndarray  # int64 token spans [starts, ends) in codes, in order
    ends: np.ndarray
    rows: np.ndarray  # int64 block of each token, non-decreasing
    n_rows: int
    _hashes: np.ndarray | None = field(default=None, repr=False)

    def counts(self) -> np.ndarray:
        """Tokens per block."""
        return np.bincount(self.rows, minlength=self.n_rows)

    def lengths(self) -> np.ndarray:
        """Characters per block, summed over its tokens."""
        return np.bincount(self.rows, weights=self.ends - self.starts, minlength=self.n_rows)

    def strings(self) -> list[str]:
        """The tokens as strings (training needs them for the vocabulary)."""
        text = self.codes.tobytes().decode("utf-32-le", "surrogatepass")
        return [text[a:b] for a, b in zip(self.starts.tolist(), self.ends.tolist())]

    def docs(self) -> list[list[str]]:
        """One token list per block."""
        tokens = self.strings()
        bounds = np.concatenate(([0], np.cumsum(self.counts()))).tolist()
        return [tokens[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def hashes(self) -> np.ndarray:
        """A 64-bit hash of each token (uint64, never 0)."""
        if self._hashes is None:
            up, down = _POWERS.get(len(self.codes) + 1)
            with np.errstate(over="ignore"):
                prefix = np.zeros(len(self.codes) + 1, dtype=np.uint64)
                np.cumsum(self.codes.astype(np.uint64) * up[:len(self.codes)], out=prefix[1:])
                h = (prefix[self.ends] - prefix[self.starts]) * down[self.starts]
                h += (self.ends - self.starts).astype(np.uint64) * _LENGTH
                self._hashes = _finish(h)
        return self._hashes

    def bigram_hashes(self) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of each pair of neighbouring tokens in one block, and the block of each."""
        h = self.hashes()
        same = self.rows[:-1] == self.rows[1:]
        with np.errstate(over="ignore"):
            pairs = _finish(h[:-1][same] * _BIGRAM + h[1:][same])
        return pairs, self.rows[:-1][same]


def gram_hashes(grams: Sequence[str]) -> np.ndarray:
    """The hash :class:`BlockTokens` gives each gram: a token, or two tokens joined by a space.

    ``grams`` must already be normalised tokens (as :meth:`BlockTokens.strings` gives).
    All grams are tokenised as one batch, so a vocabulary of 170,000 grams takes tens of ms.
    """
    tokens = tokenize_blocks(grams, cap=1 << 30, normalise=False)
    counts = tokens.counts()
    if len(grams) and (counts.min() < 1 or counts.max() > 2):
        raise ValueError("a vocabulary gram is not one or two normalised word tokens")
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    out = tokens.hashes()[first]
    pairs, pair_rows = tokens.bigram_hashes()
    out[pair_rows] = pairs
    return out


def tokenize_blocks(texts: Sequence[str], cap: int, normalise: bool = True) -> BlockTokens:
    """:func:`word_tokens` of every text, as one :class:`BlockTokens`.

    ``normalise=False`` skips lowercasing, the window and digit folding (for grams
    that are tokens already).
    """
    n = len(texts)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return BlockTokens(np.zeros(0, dtype=np.uint32), empty, empty, empty, 0)
    if normalise:
        window = _WINDOW_PER_TOKEN * cap
        parts = [t if len(t) <= window else t.lower()[:window] for t in texts]
        joined = " ".join(parts).lower()
        if len(joined) != sum(map(len, parts)) + n - 1:  # lower() lengthened a character (İ -> i̇)
            parts = [t.lower()[:window] for t in texts]
            joined = " ".join(parts)
    else:
        parts = list(texts)
        joined = " ".join(parts)
    # The trailing space keeps every text's start inside the array, for reduceat.
    codes = np.frombuffer((joined + " ").encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    flags = char_flags(codes)
    word = (flags & WORD_CHAR) != 0
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=n)
    text_starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    word_start = word & ~np.concatenate(([False], word[:-1]))
    counts = np.add.reduceat(word_start, text_starts, dtype=np.int64)
    counts[lengths == 0] = 0  # reduceat reads one character for an empty range
    codes = np.where(word, codes, _SPACE).astype(np.uint32)
    digit = (flags & DECIMAL) != 0
    if normalise and digit.any():
        codes[digit] = _ZERO
        # each digit's place in its run: the fifth digit of a run and on are dropped
        total = np.cumsum(digit)
        place = total - np.maximum.accumulate(np.where(digit, 0, total))
        keep = place <= _MAX_DIGITS
        codes, word = codes[keep], word[keep]
    edges = np.flatnonzero(np.diff(np.concatenate(([False], word, [False])).astype(np.int8)))
    starts, ends = edges[::2].astype(np.int64), edges[1::2].astype(np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), counts)
    if counts.max() > cap:
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        keep = np.arange(len(rows)) - first[rows] < cap
        starts, ends, rows = starts[keep], ends[keep], rows[keep]
    return BlockTokens(codes, starts, ends, rows, n)
