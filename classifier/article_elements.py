"""The page's ``<article>`` elements: which one holds the most text, and which blocks sit in it.

HTML5 gives authors an element for "this is the article", and many templates use it
twice over: once around the story, and again around every card of a "More from"
row, every related-story tile and every post of a comment thread. So an
``<article>`` is not story by itself (``Block.in_article`` already says "inside
``<article>`` or ``<main>``"); what says more is *which* one a block sits in. The
element whose own blocks hold the most text is the page's main article; a block in
another ``<article>`` is in a card, and a block outside the main one, on a page
where the main one holds most of the text, is beside the story. These are
features with learned weights (``--param article_elements=true``), not rules.

A block's article is its innermost ``<article>`` ancestor, found from its DOM path
and its ancestors' element ids. The path names the innermost open elements, the last
of them at ``depth - 1`` (paths keep the last dozen elements), and ``ancestors[k]``
is the element at depth ``k``; an ``<article>`` above the path's window is not seen.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .blocks import Block

ARTICLE_ELEMENT_NAMES = (
    "in_article_element",  # the block has an <article> ancestor
    "in_main_article",  # ... and it is the one whose own blocks hold the most text
    "in_other_article",  # ... and it is another one: a card, a tile, a post
    "outside_main_article_share",  # not in the main article, times the main article's share of the text
    "in_main_article_share",  # in it, times the same share
    "log_article_elements",  # log(1 + the number of <article> elements that hold blocks)
)

_cache: dict[str, tuple[int, ...]] = {}
_CACHE_MAX = 50_000


def _article_positions(path: str) -> tuple[int, ...]:
    """Indices of the ``article`` elements in a DOM path (``body>main>article.x>div>p``)."""
    found = _cache.get(path)
    if found is None:
        found = tuple(k for k, part in enumerate(path.split(">"))
                      if part == "article" or part.startswith(("article.", "article#")))
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[path] = found
    return found


def innermost_articles(blocks: Sequence[Block]) -> np.ndarray:
    """The element id of each block's innermost ``<article>`` ancestor, -1 for none."""
    out = np.full(len(blocks), -1, dtype=np.int64)
    for i, block in enumerate(blocks):
        path = block.path
        if not path or "article" not in path:
            continue
        ancestors = block.ancestors
        positions = _article_positions(path)
        offset = block.depth - path.count(">") - 1  # the depth of the path's first element
        for k in reversed(positions):
            if 0 <= offset + k < len(ancestors):
                out[i] = ancestors[offset + k]
                break
    return out


def article_element_features(blocks: Sequence[Block], lengths: np.ndarray | None = None) -> np.ndarray:
    """One row of :data:`ARTICLE_ELEMENT_NAMES` per block (all zero on a page without ``<article>``)."""
    n = len(blocks)
    out = np.zeros((n, len(ARTICLE_ELEMENT_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    owner = innermost_articles(blocks)
    inside = owner >= 0
    if not inside.any():
        return out
    if lengths is None:
        lengths = np.fromiter((len(b.text) for b in blocks), dtype=np.float64, count=n)
    ids, slot = np.unique(owner[inside], return_inverse=True)
    mass = np.bincount(slot, weights=lengths[inside], minlength=len(ids))
    main = ids[int(np.argmax(mass))]
    share = float(mass.max() / max(lengths.sum(), 1.0))
    in_main = owner == main
    out[:, 0] = inside
    out[:, 1] = in_main
    out[:, 2] = inside & ~in_main
    out[:, 3] = np.where(in_main, 0.0, share)
    out[:, 4] = np.where(in_main, share, 0.0)
    out[:, 5] = math.log1p(len(ids))
    return out
