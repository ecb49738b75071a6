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


def region_features(blocks: Sequence[Block], p: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Per block: inside the best region, soft membership, steps out of it; the region's
    share of the page's story mass and of its text (6 columns; zeros without a DOM)."""
    n = len(blocks)
    out = np.zeros((n, 6))
    chains = list(map(_ANCESTORS, blocks))
    sizes = np.fromiter(map(len, chains), dtype=np.int64, count=n)
    if n == 0 or sizes.max(initial=0) == 0:
        return out
    flat = np.fromiter(chain.from_iterable(chains), dtype=np.int64, count=int(sizes.sum()))
    owner = np.repeat(np.arange(n), sizes)
    mass = np.minimum(chars, _MASS_CAP)
    gain = (2.0 * p - 1.0) * mass
    elements, slot = np.unique(flat, return_inverse=True)
    score = np.bincount(slot, weights=gain[owner], minlength=len(elements))
    best = int(np.argmax(score))
    best_score = score[best]
    inside = np.zeros(n, dtype=bool)
    inside[owner[slot == best]] = True
    out[:, 0] = inside
    # soft membership: the best score among a block's own enclosing elements, relative
    chain_best = np.full(n, -np.inf)
    np.maximum.at(chain_best, owner, score[slot])
    scale = max(abs(best_score), 1.0)
    out[:, 1] = np.clip(np.where(np.isfinite(chain_best), chain_best, 0.0) / scale, -1.0, 1.0)
    # steps from the block's container up to the region (inside) or up to the first element
    # the block shares with the region's chain, then down to the region (outside)
    width = int(sizes.max())
    table = np.full((n, width), -1, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    table[owner, np.arange(len(flat)) - starts[owner]] = flat
    region_row = table[int(np.flatnonzero(inside)[0])]
    region_depth = int(np.flatnonzero(region_row == elements[best])[0]) + 1
    same = table[:, :region_depth] == region_row[:region_depth]
    shared = np.cumprod(same, axis=1).sum(axis=1)
    steps = np.where(inside, sizes - region_depth, (sizes - shared) + (region_depth - shared))
    out[:, 2] = np.log1p(np.maximum(steps, 0))
    story_mass = (p * mass).sum()
    out[:, 3] = (p * mass)[inside].sum() / story_mass if story_mass > 0 else 0.0
    out[:, 4] = mass[inside].sum() / max(mass.sum(), 1.0)
    out[:, 5] = best_score / max(mass.sum(), 1.0)
    return out


def topic_similarity(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, page_of_block: np.ndarray,
                     weight: np.ndarray, n_features: int) -> np.ndarray:
    """Each block's cosine to the ``weight``-weighted centroid of its page's blocks, itself left out.

    ``rows, cols, values`` are the l2-normalised TF-IDF entries of all blocks of a batch
    of pages (rows index blocks, in order); ``page_of_block`` maps a block to its page.
    """
    n = len(page_of_block)
    if n == 0 or len(rows) == 0:
        return np.zeros(n)
    keys = page_of_block[rows] * np.int64(max(n_features, 1)) + cols
    unique, inverse = np.unique(keys, return_inverse=True)
    centroid = np.bincount(inverse, weights=values * weight[rows], minlength=len(unique))
    dot = np.bincount(rows, weights=values * centroid[inverse], minlength=n)
    norm2 = np.bincount(unique // max(n_features, 1), weights=centroid * centroid,
                        minlength=int(page_of_block.max()) + 1)[page_of_block]
    has_words = np.bincount(rows, minlength=n) > 0
    w = np.where(has_words, weight, 0.0)  # a block without words added nothing to its centroid
    rest = np.sqrt(np.maximum(norm2 - 2.0 * w * dot + w * w, 0.0))
    sim = np.divide(dot - w, rest, out=np.zeros(n), where=rest > 1e-9)
    return np.where(has_words, np.clip(sim, -1.0, 1.0), 0.0)
