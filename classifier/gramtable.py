"""An open-addressing hash table from 64-bit gram hashes to feature columns, probed with numpy.

A Python dict lookup of a fresh token string costs 150-300 ns; probing this
table for a whole page's grams at once costs a few ns per gram. Keys are the
hashes of :mod:`classifier.tokens` (never 0, so 0 marks an empty slot); the slot
is the top bits of the hash, collisions move to the next slot (linear probing),
and the table is at most a quarter full, so most lookups take one probe and the
longest few.
"""
from __future__ import annotations

import numpy as np

_EMPTY = np.uint64(0)


class GramTable:
    """Maps gram hashes to columns; an unknown hash maps to -1."""

    source: object = None  # what the table was built from, for callers that cache it

    def __init__(self, hashes: np.ndarray, columns: np.ndarray) -> None:
        hashes = np.asarray(hashes, dtype=np.uint64)
        columns = np.asarray(columns, dtype=np.int64)
        order = np.argsort(hashes)  # a sort, not np.unique: numpy's hash-based unique is ten times slower here
        ordered = hashes[order]
        if len(ordered) > 1 and bool((ordered[1:] == ordered[:-1]).any()):
            raise ValueError("two grams share a hash")
        bits = max(4, int(np.ceil(np.log2(max(4 * len(hashes), 1)))))
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.columns = np.full(1 << bits, -1, dtype=np.int32)  # columns fit in 32 bits; half the memory
        if not self._place_in_order(ordered, columns[order]):
            self._place_in_rounds(hashes, columns)

    def _place_in_order(self, ordered: np.ndarray, columns: np.ndarray) -> bool:
        """Insert keys sorted by hash, hence by slot (the top bits): each goes to its slot or, if
        taken, just after the key before it, so all positions are one running maximum. False
        (nothing written) when a run would pass the table's end and wrap."""
        n = len(ordered)
        if not n:
            return True
        steps = np.arange(n, dtype=np.int64)
        positions = np.maximum.accumulate((ordered >> self._shift).astype(np.int64) - steps) + steps
        if positions[-1] > self._mask:
            return False
        self.keys[positions] = ordered
        self.columns[positions] = columns
        return True

    def _place_in_rounds(self, hashes: np.ndarray, columns: np.ndarray) -> None:
        """Insert keys round by round, each round filling the free slots wanted, one key each (wraps)."""
        pending = np.arange(len(hashes))
        slots = (hashes >> self._shift).astype(np.int64)
        while len(pending):
            wanted = slots[pending]
            free = self.keys[wanted] == _EMPTY
            taken_slots, first = np.unique(wanted[free], return_index=True)
            placed = pending[free][first]
            self.keys[taken_slots] = hashes[placed]
            self.columns[taken_slots] = columns[placed]
            moved = np.ones(len(pending), dtype=bool)
            moved[np.flatnonzero(free)[first]] = False
            pending = pending[moved]
            slots[pending] = (slots[pending] + (~free[moved]).astype(np.int64)) & self._mask

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The column of each hash, or -1."""
        out = np.full(len(hashes), -1, dtype=np.int64)
        if not len(hashes):
            return out
        slots = (hashes >> self._shift).astype(np.int64)
        active = np.arange(len(hashes))
        while len(active):
            keys = self.keys[slots]
            hit = keys == hashes[active]
            out[active[hit]] = self.columns[slots[hit]]
            going_on = ~hit & (keys != _EMPTY)
            active = active[going_on]
            slots = (slots[going_on] + 1) & self._mask
        return out
