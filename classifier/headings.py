"""The heading a block sits under: "More from…", "Lo más leído", "Comments", or the story's title.

A teaser list is told by the words above it more than by its own: the same
headlines under the story's title would be sub-headings. The model reads the
words of each block's *governing heading* as a second TF-IDF vector, so it learns
which headings open widgets, in whatever language the training pages use.

A governing heading opens a section: in HTML a heading element whose DOM path is
not repeated on the page (the ``<h3>`` of each teaser card repeats, so the widget's
own title governs the cards); in text a headline-shaped line (short, no sentence
end) that does not continue a run of such lines (the first line of a teaser run).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .blocks import Block

ENDS_SENTENCE = ('.', '!', '?', '."', '.”', '?"', '?”', '!"', '!”', ".'", ".’", '…', ':', '。')


def headline_flags(blocks: Sequence[Block]) -> np.ndarray:
    """Blocks shaped like a headline: 12 to 160 characters that do not end a sentence."""
    return np.fromiter(((12 <= len(b.text) <= 160) and not b.text.endswith(ENDS_SENTENCE) for b in blocks),
                       dtype=bool, count=len(blocks))


def governing_headings(blocks: Sequence[Block], groups: np.ndarray | None = None,
                       headline: np.ndarray | None = None) -> np.ndarray:
    """For each block, the index of the section heading above it, or -1.

    ``groups`` are the blocks' path groups (:func:`classifier.region.path_groups`)
    and ``headline`` their :func:`headline_flags`, when the caller has them.
    """
    n = len(blocks)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if any(b.path is not None for b in blocks):
        if groups is None:
            from .region import path_groups
            groups = path_groups(blocks)
        repeats = np.bincount(groups)[groups] > 1
        heading = np.fromiter((b.kind == "heading" or b.heading for b in blocks), dtype=bool, count=n)
        opens = heading & ~repeats
    else:
        flags = headline_flags(blocks) if headline is None else headline
        opens = flags & ~np.concatenate(([False], flags[:-1]))
    # the last opening heading strictly before each block
    marks = np.where(opens, np.arange(n), -1)
    running = np.maximum.accumulate(marks)
    return np.concatenate(([-1], running[:-1]))
