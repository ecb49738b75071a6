"""Scoring requests with the loaded model: one page, or a batch in one model call per group.

Kept apart from the routes so it can be tested without HTTP. The request's time budget
is held inside each page (:mod:`serving.budget`): a page or a stage that may not fit in
what is left is answered 503 ``time_budget_exceeded`` (in a batch: that page's error).
"""
from __future__ import annotations

from collections import defaultdict

from classifier.api import StoryFilter
from classifier.blocks import Block
from classifier.errors import InputError
from classifier.result import FilterResult

from .budget import BUDGET_CODE, BudgetExceeded, Deadline, scoring_seconds, staged_blocks
from .errors import ApiError, error_body
from .schemas import ScoreRequest

__all__ = ["Deadline", "BudgetExceeded", "score_one", "score_batch", "segment"]


def _threshold(model: StoryFilter, req: ScoreRequest) -> float:
    """The cut for this page (the request's, else the post-filter one for extracted text, else the model's)."""
    return model.cut_for(req.mode, req.threshold, req.extracted)


def segment(model: StoryFilter, mode: str, page: str, deadline: Deadline | None = None,
            url: str | None = None, structure: bool = False) -> list[Block]:
    """The page's blocks, with its metadata (``url``: where it came from); a page the model
    cannot read is a 400 ``bad_page``, one that does not fit in the time budget a 503 ``time_budget_exceeded``."""
    try:
        return staged_blocks(model, page, mode, deadline or Deadline.never(), url=url, structure=structure)
    except InputError as err:
        raise ApiError(400, "bad_page", str(err)) from None
    except BudgetExceeded as err:
        raise ApiError(503, BUDGET_CODE, str(err)) from None


def score_one(model: StoryFilter, req: ScoreRequest, deadline: Deadline) -> tuple[dict, int]:
    """The JSON result of one page and its block count; raises :class:`ApiError`."""
    blocks = segment(model, req.mode, req.page, deadline, req.url, structure=req.format is not None)
    try:
        deadline.require(scoring_seconds(blocks), f"scoring {len(blocks)} blocks")
    except BudgetExceeded as err:
        raise ApiError(503, BUDGET_CODE, str(err)) from None
    result = model.score_pages([blocks], req.mode, _threshold(model, req), comments=req.comments,
                               page_type=req.page_type, structure=req.format is not None)[0]
    return _result_body(result, req), len(blocks)


def _result_body(result: FilterResult, req: ScoreRequest) -> dict:
    """The JSON result, with the story rendered in the request's ``format`` under that name."""
    return result.to_dict(include_blocks=req.include_blocks, render=req.format, links=req.links)


def score_batch(model: StoryFilter, reqs: list[ScoreRequest], deadline: Deadline
                ) -> tuple[list[dict], dict[str, tuple[int, int]]]:
    """Results in request order (a failed page holds its error) and (pages, blocks) scored per mode.

    Pages are segmented one by one, then scored with one ``score_pages`` call per
    (mode, threshold, comments, page type, structure) group -- one call per mode unless pages ask for other thresholds.
    A page that does not fit in what is left of the budget holds ``time_budget_exceeded``;
    so does a group whose scoring would not fit.
    """
    out: list[dict | None] = [None] * len(reqs)
    groups: dict[tuple[str, float | None, bool, bool, bool], list[tuple[int, list[Block]]]] = defaultdict(list)
    for i, req in enumerate(reqs):
        try:
            blocks = staged_blocks(model, req.page, req.mode, deadline, url=req.url, structure=req.format is not None)
        except InputError as err:
            out[i] = error_body("bad_page", str(err))
            continue
        except BudgetExceeded as err:
            out[i] = error_body(BUDGET_CODE, str(err))
            continue
        groups[(req.mode, _threshold(model, req), req.comments, req.page_type, req.format is not None)].append(
            (i, blocks))
    scored: dict[str, tuple[int, int]] = {}
    for (mode, cut, comments, page_type, structure), members in groups.items():
        try:
            deadline.require(sum(scoring_seconds(b) for _, b in members), f"scoring {len(members)} pages")
        except BudgetExceeded as err:
            for i, _ in members:
                out[i] = error_body(BUDGET_CODE, str(err))
            continue
        results = model.score_pages([blocks for _, blocks in members], mode, cut, comments=comments,
                                    page_type=page_type, structure=structure)
        for (i, blocks), result in zip(members, results):
            out[i] = _result_body(result, reqs[i])
        pages, blocks_n = scored.get(mode, (0, 0))
        scored[mode] = (pages + len(members), blocks_n + sum(len(b) for _, b in members))
    return [o for o in out if o is not None], scored
