"""A time budget that holds inside a page: each stage starts only if what it may cost fits.

CPU work in a thread cannot be interrupted, and a worker process killed mid-page costs a
model load; so instead the cost of a stage is bounded before it starts. The guard holds
segmenting any page to :func:`~classifier.guard.worst_case_seconds` of its size, and
scoring costs about :data:`SCORING_SECONDS_PER_MB` of block text plus
:data:`SCORING_SECONDS_PER_BLOCK`; the clock is read again between parsing, walking
and scoring. A page that does not fit is refused before it costs more than a stage.
Used by the HTTP service (per request) and the batch (per page); needs no web framework.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from classifier.api import StoryFilter
from classifier.blocks import Block
from classifier.guard import worst_case_seconds
from classifier.html_segmenter import parse_html

#: Scoring cost, measured with the shipped model (a 2.7 MB page of 20,000 blocks: 0.53 s),
#: rounded up: seconds per MB of block text and per block.
SCORING_SECONDS_PER_MB = 0.3
SCORING_SECONDS_PER_BLOCK = 30e-6
BUDGET_CODE = "time_budget_exceeded"


class BudgetExceeded(Exception):
    """A stage of a page would not fit in what is left of the time budget (or it ran out)."""


@dataclass(frozen=True)
class Deadline:
    """A time budget's end, checked before each stage of each page."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

    @classmethod
    def never(cls) -> "Deadline":
        return cls(float("inf"))

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def require(self, seconds: float, stage: str) -> None:
        """Raise :class:`BudgetExceeded` unless ``seconds`` of work fit in what is left."""
        left = self.remaining()
        if left <= 0:
            raise BudgetExceeded(f"the time budget ran out before {stage}")
        if seconds > left:
            raise BudgetExceeded(f"{stage} may take up to {seconds:.2f} s; {left:.2f} s of the time budget are left")


def scoring_seconds(blocks: list[Block]) -> float:
    """The most scoring ``blocks`` may cost (see :data:`SCORING_SECONDS_PER_MB`)."""
    chars = sum(len(b.text) for b in blocks)
    return SCORING_SECONDS_PER_MB * chars / 1e6 + SCORING_SECONDS_PER_BLOCK * len(blocks)


def staged_blocks(model: StoryFilter, page: str | bytes, mode: str, deadline: Deadline,
                  encoding: str | None = None, url: str | None = None, structure: bool = False) -> list[Block]:
    """``model.blocks(page, mode, encoding, url)``, each stage started only if it fits in the budget
    (``structure``: the blocks also record the page's structure, for rendering).

    Raises what ``model.blocks`` raises (:class:`~classifier.errors.InputError`...) and
    :class:`BudgetExceeded`.
    """
    deadline.require(worst_case_seconds(len(page)), f"reading this page ({len(page) / 1e6:.2f} MB)")
    if mode != "html":
        return model.blocks(page, mode, encoding, url)
    model._check_page(page, encoding)  # the type, size, encoding and binary checks of model.blocks
    tree = parse_html(page, model.limits, encoding=encoding)
    deadline.require(0.0, "walking the parsed page")
    return model.tree_blocks(tree, url, structure)  # the blocks and the metadata read from the same tree
