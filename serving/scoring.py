"""Scoring requests with the loaded model: one page, or a batch in one model call per group.

Kept apart from the routes so it can be tested without HTTP.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from classifier.api import StoryFilter
from classifier.blocks import Block
from classifier.errors import InputError

from .errors import ApiError, error_body
from .schemas import ScoreRequest


@dataclass(frozen=True)
class Deadline:
    """The request's time budget. CPU work in a thread cannot be interrupted, so it is checked
    between pages: a batch stops starting new pages once it is spent."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

    def passed(self) -> bool:
        return time.monotonic() >= self.at


def _threshold(model: StoryFilter, req: ScoreRequest) -> float:
    """The cut for this page (the request's, else the post-filter one for extracted text, else the model's)."""
    return model.cut_for(req.mode, req.threshold, req.extracted)


def segment(model: StoryFilter, mode: str, page: str) -> list[Block]:
    """The page's blocks; a page the model cannot read is a 400 ``bad_page``."""
    try:
        return model.blocks(page, mode)
    except InputError as err:
        raise ApiError(400, "bad_page", str(err)) from None


def score_one(model: StoryFilter, req: ScoreRequest, deadline: Deadline) -> tuple[dict, int]:
    """The JSON result of one page and its block count; raises :class:`ApiError`."""
    blocks = segment(model, req.mode, req.page)
    if deadline.passed():
        raise ApiError(503, "time_budget_exceeded", "the page took longer than the request's time budget")
    result = model.score_pages([blocks], req.mode, _threshold(model, req), comments=req.comments)[0]
    return result.to_dict(include_blocks=req.include_blocks), len(blocks)


def score_batch(model: StoryFilter, reqs: list[ScoreRequest], deadline: Deadline
                ) -> tuple[list[dict], dict[str, tuple[int, int]]]:
    """Results in request order (a failed page holds its error) and (pages, blocks) scored per mode.

    Pages are segmented one by one, then scored with one ``score_pages`` call per
    (mode, threshold, comments) group -- one call per mode unless pages ask for other thresholds.
    """
    out: list[dict | None] = [None] * len(reqs)
    groups: dict[tuple[str, float | None, bool], list[tuple[int, list[Block]]]] = defaultdict(list)
    for i, req in enumerate(reqs):
        if deadline.passed():
            out[i] = error_body("time_budget_exceeded", "the batch ran out of its time budget before this page")
            continue
        try:
            groups[(req.mode, _threshold(model, req), req.comments)].append((i, model.blocks(req.page, req.mode)))
        except InputError as err:
            out[i] = error_body("bad_page", str(err))
    scored: dict[str, tuple[int, int]] = {}
    for (mode, cut, comments), members in groups.items():
        results = model.score_pages([blocks for _, blocks in members], mode, cut, comments=comments)
        for (i, blocks), result in zip(members, results):
            out[i] = result.to_dict(include_blocks=reqs[i].include_blocks)
        pages, blocks_n = scored.get(mode, (0, 0))
        scored[mode] = (pages + len(members), blocks_n + sum(len(b) for _, b in members))
    return [o for o in out if o is not None], scored
