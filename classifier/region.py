"""Where on the page the story lives: its region, its topic, and repeated templates.

Readability-style extractors first pick the container that holds the article and
then clean inside it. Here the same idea feeds the second stage as learned
features, never as a rule: from the first stage's P(story) of every block,

* the **region**: the DOM element whose blocks add up to the most story text
  minus clutter text (the best-scoring subtree, with every enclosing element a
  candidate), and for each block whether it lies inside it and how far away;
* the **topic**: a block's TF-IDF cosine to the centroid of the page's likely
  story blocks (itself left out) — a teaser about tariffs under a story about a
  flood is far from it, in any language;
* **templates**: blocks cut from elements with the same DOM path (cards, list
  items, comments) and what the first stage thinks of them together.

All of it is numpy over the blocks of one page (text mode: no DOM, so only the
topic applies).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

import numpy as np

from .blocks import Block

_ANCESTORS = attrgetter("ancestors")
_MASS_CAP = 1000.0  # characters: one huge block cannot make a region on its own


def path_groups(blocks: Sequence[Block]) -> np.ndarray:
    """A dense id per block for its DOM path; a block without a path is alone."""
    index: dict[str, int] = {}
    out = np.empty(len(blocks), dtype=np.int64)
    for i, block in enumerate(blocks):
        key = block.path if block.path is not None else f"\x00{i}"
        out[i] = index.setdefault(key, len(index))
    return out


@dataclass(frozen=True)
class BlockTree:
    """The blocks' enclosing elements laid out flat: block ``owner[k]`` sits in element ``flat[k]``."""

    sizes: np.ndarray  # elements around each block
    starts: np.ndarray  # where each block's chain begins in ``flat``
    owner: np.ndarray
    elements: np.ndarray  # the distinct element ids
    slot: np.ndarray  # index into ``elements`` of every entry of ``flat``
    table: np.ndarray  # (blocks, deepest chain) of element ids, -1 padded

    @classmethod
    def of(cls, blocks: Sequence[Block]) -> "BlockTree | None":
        chains = list(map(_ANCESTORS, blocks))
        n = len(chains)
        sizes = np.fromiter(map(len, chains), dtype=np.int64, count=n)
        if n == 0 or sizes.max(initial=0) == 0:
            return None
        flat = np.fromiter(chain.from_iterable(chains), dtype=np.int64, count=int(sizes.sum()))
        owner = np.repeat(np.arange(n), sizes)
        elements, slot = np.unique(flat, return_inverse=True)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        table = np.full((n, int(sizes.max())), -1, dtype=np.int64)
        table[owner, np.arange(len(flat)) - starts[owner]] = flat
        return cls(sizes, starts, owner, elements, slot, table)

    def members(self, best: int) -> np.ndarray:
        """Which blocks lie inside element ``elements[best]``."""
        inside = np.zeros(len(self.sizes), dtype=bool)
        inside[self.owner[self.slot == best]] = True
        return inside

    def steps(self, best: int, inside: np.ndarray) -> np.ndarray:
        """Steps from each block's container up to the element (inside), or up to the first
        element the block shares with the element's chain and then down to it (outside)."""
        row = self.table[int(np.flatnonzero(inside)[0])]
        depth = int(np.flatnonzero(row == self.elements[best])[0]) + 1
        same = self.table[:, :depth] == row[:depth]
        shared = np.cumprod(same, axis=1).sum(axis=1)
        return np.where(inside, self.sizes - depth, (self.sizes - shared) + (depth - shared))


def _mass_and_gain(p: np.ndarray, chars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each block's capped characters, and its story gain: (2p - 1) times them."""
    mass = np.minimum(chars, _MASS_CAP)
    return mass, (2.0 * p - 1.0) * mass


def _story_share(p: np.ndarray, mass: np.ndarray, inside: np.ndarray) -> float:
    """The share of the page's story mass (p times capped characters) held by ``inside``."""
    story_mass = (p * mass).sum()
    return float((p * mass)[inside].sum() / story_mass) if story_mass > 0 else 0.0


def region_features(blocks: Sequence[Block], p: np.ndarray, chars: np.ndarray,
                    tree: "BlockTree | None" = None) -> np.ndarray:
    """Per block: inside the best region, soft membership, steps out of it; the region's
    share of the page's story mass and of its text (6 columns; zeros without a DOM).
    ``tree``: the blocks' ``BlockTree.of``, when the caller already has it."""
    n = len(blocks)
    out = np.zeros((n, 6))
    tree = BlockTree.of(blocks) if tree is None else tree
    if tree is None:
        return out
    mass, gain = _mass_and_gain(p, chars)
    score = np.bincount(tree.slot, weights=gain[tree.owner], minlength=len(tree.elements))
    best = int(np.argmax(score))
    best_score = score[best]
    inside = tree.members(best)
    out[:, 0] = inside
    # soft membership: the best score among a block's own enclosing elements, relative
    chain_best = np.full(n, -np.inf)
    np.maximum.at(chain_best, tree.owner, score[tree.slot])
    scale = max(abs(best_score), 1.0)
    out[:, 1] = np.clip(np.where(np.isfinite(chain_best), chain_best, 0.0) / scale, -1.0, 1.0)
    out[:, 2] = np.log1p(np.maximum(tree.steps(best, inside), 0))
    out[:, 3] = _story_share(p, mass, inside)
    out[:, 4] = mass[inside].sum() / max(mass.sum(), 1.0)
    out[:, 5] = best_score / max(mass.sum(), 1.0)
    return out


def local_region_features(blocks: Sequence[Block], p: np.ndarray, chars: np.ndarray,
                          tree: "BlockTree | None" = None) -> np.ndarray:
    """Per block: inside the page's best *local* candidate, steps to it, its share of the
    page's story mass (3 columns; zeros without a DOM).

    As readability scores candidates, a block's story gain goes to its own container in
    full and to the one above at half, never further up. Where ``region_features``' best
    subtree grows to hold every confident block (a story and, below it in the same
    ``<main>``, a thread of long on-topic comments), the local candidate stays the element
    that holds the story's paragraphs side by side.
    """
    out = np.zeros((len(blocks), 3))
    tree = BlockTree.of(blocks) if tree is None else tree
    if tree is None:
        return out
    mass, gain = _mass_and_gain(p, chars)
    share = np.zeros(len(tree.owner))  # per entry of the flat chains: the block's own container 1, above it 0.5
    share[(tree.starts + tree.sizes - 1)[tree.sizes > 0]] = 1.0
    share[(tree.starts + tree.sizes - 2)[tree.sizes > 1]] = 0.5
    score = np.bincount(tree.slot, weights=gain[tree.owner] * share, minlength=len(tree.elements))
    best = int(np.argmax(score))
    inside = tree.members(best)
    out[:, 0] = inside
    out[:, 1] = np.log1p(np.maximum(tree.steps(best, inside), 0))
    out[:, 2] = _story_share(p, mass, inside)
    return out


def topic_similarity(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, page_of_block: np.ndarray,
                     weight: np.ndarray, n_features: int, page_idf: bool = False) -> np.ndarray:
    """Each block's cosine to the ``weight``-weighted centroid of its page's blocks, itself left out.

    ``rows, cols, values`` are the l2-normalised TF-IDF entries of all blocks of a batch
    of pages (rows index blocks, in order); ``page_of_block`` maps a block to its page.
    With ``page_idf`` each entry is first weighted by the word's rarity *on its page*
    (``log((1 + blocks) / (1 + blocks with the word))``) and the rows normalised again: the
    corpus idf of a language the training pages rarely use rates its function words as rare,
    so any line in that language would look on topic; on its own page they are everywhere.
    """
    n = len(page_of_block)
    if n == 0 or len(rows) == 0:
        return np.zeros(n)
    keys = page_of_block[rows] * np.int64(max(n_features, 1)) + cols
    unique, inverse = np.unique(keys, return_inverse=True)
    n_pages = int(page_of_block.max()) + 1
    has_words = np.bincount(rows, minlength=n) > 0
    if page_idf:
        blocks_with_words = np.bincount(page_of_block[has_words], minlength=n_pages)
        local = np.log((1.0 + blocks_with_words[page_of_block[rows]]) / (1.0 + np.bincount(inverse)[inverse]))
        values = values * local
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n))
        has_words = norms > 0  # a block whose words are all on every block of its page has none left
        values = np.divide(values, norms[rows], out=np.zeros_like(values), where=has_words[rows])
    centroid = np.bincount(inverse, weights=values * weight[rows], minlength=len(unique))
    dot = np.bincount(rows, weights=values * centroid[inverse], minlength=n)
    norm2 = np.bincount(unique // max(n_features, 1), weights=centroid * centroid, minlength=n_pages)[page_of_block]
    w = np.where(has_words, weight, 0.0)  # a block without words added nothing to its centroid
    rest = np.sqrt(np.maximum(norm2 - 2.0 * w * dot + w * w, 0.0))
    sim = np.divide(dot - w, rest, out=np.zeros(n), where=rest > 1e-9)
    return np.where(has_words, np.clip(sim, -1.0, 1.0), 0.0)
