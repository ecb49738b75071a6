"""Page type and comment role of a scored page, from a model's heads (:mod:`classifier.heads`).

Both are asked for, not computed on every page: the page-type features cost about
as much as scoring the page's blocks, and most callers want the story alone.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .blocks import Block
from .heads import Heads

#: On a page of this type the posts are the content: no block is a comment.
CONTENT_THREADS = "forum"


@dataclass(frozen=True, slots=True)
class PageTypeGuess:
    """The page's most likely type and its probability."""

    type: str
    probability: float


def guess_page_type(heads: Heads, blocks: Sequence[Block]) -> PageTypeGuess | None:
    """The page type the model's head predicts (None without a head or blocks)."""
    if heads.page_type is None or not blocks:
        return None
    proba = heads.page_type.predict_proba([blocks])[0]
    best = int(np.argmax(proba))
    return PageTypeGuess(heads.page_type.types_[best], round(float(proba[best]), 4))


def comment_flags(heads: Heads, blocks: Sequence[Block], story: Sequence[bool],
                  page_type: PageTypeGuess | None) -> list[bool] | None:
    """Which blocks outside the story are readers' comments (None without a comment head).

    A forum page has none: its posts are the content, kept or dropped by the story model.
    """
    if heads.comments is None:
        return None
    if not blocks or (page_type is not None and page_type.type == CONTENT_THREADS):
        return [False] * len(blocks)
    proba = heads.comments.proba(blocks, story)
    return (proba >= heads.comments.threshold).tolist()
