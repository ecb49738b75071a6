"""What the review page shows: a page's blocks with scores, labels and explanations.

Kept apart from the routes so it is plain functions of the model and the store.
"""
from __future__ import annotations

from classifier.api import StoryFilter
from classifier.blocks import Block
from classifier.decoding import utf8_safe
from classifier.explain import explain_page
from training.readers import site_of

from ..errors import ApiError
from ..scoring import segment
from .schemas import ModelRef, ReviewBlock, ReviewPage, ReviewScoreRequest
from .records import BOILERPLATE, STORY, NewBlock, NewPage, StoredPage

NO_SITE = "unknown-site"


def _view(model: StoryFilter, mode: str, blocks: list[Block], threshold: float, top_k: int,
          reviewer: dict[int, str] | None = None) -> tuple[list[ReviewBlock], list[float]]:
    result = model.score_pages([blocks], mode, threshold)[0]
    explained = explain_page(model.model_for(mode).classifier, blocks)
    reviewer = reviewer or {}
    out = [ReviewBlock(index=b.index, text=b.text, kind=b.kind, path=b.path, score=round(b.score, 6),
                       label=b.label, reviewer_label=reviewer.get(b.index),  # type: ignore[arg-type]
                       explanation=e.to_dict(top_k))  # type: ignore[arg-type]
           for b, e in zip(result.blocks, explained)]
    return out, [b.score for b in result.blocks]


def score_for_review(model: StoryFilter, req: ReviewScoreRequest) -> tuple[ReviewPage, NewPage]:
    """The page scored and explained, and the record to store for it."""
    req = req.model_copy(update={k: utf8_safe(v) for k, v in (("html", req.html), ("text", req.text),
                                                             ("url", req.url), ("ref", req.ref)) if v})
    blocks = segment(model, req.mode, req.page)
    loaded = model.model_for(req.mode)
    threshold = model.cut_for(req.mode, req.threshold)
    shown, scores = _view(model, req.mode, blocks, threshold, req.top_k)
    record = NewPage(mode=req.mode, content=req.page, site=site_of(req.url) or NO_SITE, model_name=loaded.name,
                     model_version=loaded.version, threshold=threshold, url=req.url, ref=req.ref,
                     blocks=[NewBlock(b.index, b.text, b.kind, b.path, s) for b, s in zip(blocks, scores)])
    page = ReviewPage(mode=req.mode, url=req.url, ref=req.ref, threshold=threshold,
                      model=ModelRef(name=loaded.name, version=loaded.version), blocks=shown)
    return page, record


def stored_view(model: StoryFilter, stored: StoredPage, top_k: int = 5) -> ReviewPage:
    """A stored page as the live model sees it now, with the reviewer's labels on top.

    If the live model cuts the page into other blocks than the stored ones (a new
    segmenter, other limits), the stored blocks and scores are shown instead.
    """
    s = stored.summary
    reviewer = {b.position: b.reviewer_label for b in stored.blocks if b.reviewer_label}
    try:
        blocks = segment(model, s.mode, stored.content)
    except ApiError:  # a limit lowered since it was stored: show what was stored
        blocks = []
    loaded = model.model_for(s.mode)
    same = bool(blocks) and len(blocks) == len(stored.blocks) and all(
        b.index == sb.position and b.text == sb.text for b, sb in zip(blocks, stored.blocks))
    common = dict(page_id=s.id, mode=s.mode, url=s.url, ref=s.ref, threshold=s.threshold, reviewed=s.reviewed)
    if same:
        shown, _ = _view(model, s.mode, blocks, s.threshold, top_k, reviewer)
        return ReviewPage(**common, model=ModelRef(name=loaded.name, version=loaded.version),  # type: ignore[arg-type]
                          blocks=shown)
    shown = [ReviewBlock(index=b.position, text=b.text, kind=b.kind, path=b.path, score=b.score,
                         label=STORY if b.score >= s.threshold else BOILERPLATE,
                         reviewer_label=b.reviewer_label)  # type: ignore[arg-type]
             for b in stored.blocks]
    stored_model = ModelRef(name=s.model_name, version=s.model_version)
    return ReviewPage(**common, model=stored_model, stale=True, blocks=shown)  # type: ignore[arg-type]
