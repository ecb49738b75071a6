"""Scoring requests with the loaded model: one page, or a batch in one model call per group.

Kept apart from the routes so it can be tested without HTTP.

A request's time budget holds inside a page, not only between pages. CPU work in a
thread cannot be interrupted, so each stage is started only when what it may cost
fits in what is left: the guard bounds segmenting any page at
:func:`~classifier.guard.worst_case_seconds` of its size, and scoring at about
:data:`SCORING_SECONDS_PER_MB` of block text plus :data:`SCORING_SECONDS_PER_BLOCK`;
the clock is read again between parsing, walking and scoring. A page that does not
fit is answered 503 ``time_budget_exceeded`` before it costs more than a stage, and
the worker thread is free for the next request.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from classifier.api import StoryFilter
from classifier.blocks import Block
from classifier.errors import InputError
from classifier.guard import worst_case_seconds
from classifier.html_segmenter import parse_html

from .errors import ApiError, error_body
from .schemas import ScoreRequest

#: Scoring cost, measured with the shipped model (a 2.7 MB page of 20,000 blocks: 0.53 s),
#: rounded up: seconds per MB of block text and per block.
SCORING_SECONDS_PER_MB = 0.3
SCORING_SECONDS_PER_BLOCK = 30e-6
BUDGET_CODE = "time_budget_exceeded"


class BudgetExceeded(Exception):
    """A stage of a page would not fit in what is left of the time budget (or did not)."""


@dataclass(frozen=True)
class Deadline:
    """The request's time budget, checked before each stage of each page."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

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


def _staged_blocks(model: StoryFilter, mode: str, page: str, deadline: Deadline,
                   url: str | None = None) -> list[Block]:
    """The page's blocks, each stage started only if it fits in the budget; raises InputError
    for a page the model cannot read and :class:`BudgetExceeded`."""
    deadline.require(worst_case_seconds(len(page)), f"reading this page ({len(page) / 1e6:.2f} MB)")
    if mode != "html":
        return model.blocks(page, mode)
    model._check_page(page, None)  # type, size and binary checks of model.blocks, without the parse
    tree = parse_html(page, model.limits)
    deadline.require(0.0, "walking the parsed page")
    return model.tree_blocks(tree, url)


def _threshold(model: StoryFilter, req: ScoreRequest) -> float:
    """The cut for this page (the request's, else the post-filter one for extracted text, else the model's)."""
    return model.cut_for(req.mode, req.threshold, req.extracted)


def segment(model: StoryFilter, mode: str, page: str, deadline: Deadline | None = None,
            url: str | None = None) -> list[Block]:
    """The page's blocks, with its metadata (``url``: where it came from); a page the model
    cannot read is a 400 ``bad_page``, one that does not fit in the time budget a 503 ``time_budget_exceeded``."""
    try:
        return _staged_blocks(model, mode, page, deadline or Deadline.after(float("inf")), url)
    except InputError as err:
        raise ApiError(400, "bad_page", str(err)) from None
    except BudgetExceeded as err:
        raise ApiError(503, BUDGET_CODE, str(err)) from None


def score_one(model: StoryFilter, req: ScoreRequest, deadline: Deadline) -> tuple[dict, int]:
    """The JSON result of one page and its block count; raises :class:`ApiError`."""
    blocks = segment(model, req.mode, req.page, deadline, req.url)
    try:
        deadline.require(scoring_seconds(blocks), f"scoring {len(blocks)} blocks")
    except BudgetExceeded as err:
        raise ApiError(503, BUDGET_CODE, str(err)) from None
    result = model.score_pages([blocks], req.mode, _threshold(model, req), comments=req.comments,
                               page_type=req.page_type)[0]
    return result.to_dict(include_blocks=req.include_blocks), len(blocks)


def score_batch(model: StoryFilter, reqs: list[ScoreRequest], deadline: Deadline
                ) -> tuple[list[dict], dict[str, tuple[int, int]]]:
    """Results in request order (a failed page holds its error) and (pages, blocks) scored per mode.

    Pages are segmented one by one, then scored with one ``score_pages`` call per
    (mode, threshold, comments, page type) group -- one call per mode unless pages ask for other thresholds.
    A page that does not fit in what is left of the budget holds ``time_budget_exceeded``;
    so does a group whose scoring would not fit.
    """
    out: list[dict | None] = [None] * len(reqs)
    groups: dict[tuple[str, float | None, bool, bool], list[tuple[int, list[Block]]]] = defaultdict(list)
    for i, req in enumerate(reqs):
        try:
            blocks = _staged_blocks(model, req.mode, req.page, deadline, req.url)
        except InputError as err:
            out[i] = error_body("bad_page", str(err))
            continue
        except BudgetExceeded as err:
            out[i] = error_body(BUDGET_CODE, str(err))
            continue
        groups[(req.mode, _threshold(model, req), req.comments, req.page_type)].append((i, blocks))
    scored: dict[str, tuple[int, int]] = {}
    for (mode, cut, comments, page_type), members in groups.items():
        try:
            deadline.require(sum(scoring_seconds(b) for _, b in members), f"scoring {len(members)} pages")
        except BudgetExceeded as err:
            for i, _ in members:
                out[i] = error_body(BUDGET_CODE, str(err))
            continue
        results = model.score_pages([blocks for _, blocks in members], mode, cut, comments=comments,
                                    page_type=page_type)
        for (i, blocks), result in zip(members, results):
            out[i] = result.to_dict(include_blocks=reqs[i].include_blocks)
        pages, blocks_n = scored.get(mode, (0, 0))
        scored[mode] = (pages + len(members), blocks_n + sum(len(b) for _, b in members))
    return [o for o in out if o is not None], scored
