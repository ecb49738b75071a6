"""Request and response bodies of the review endpoints (pydantic at the HTTP boundary only)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..schemas import PageInput

Label = Literal["story", "boilerplate"]


class ReviewScoreRequest(PageInput):
    """A page to review: raw HTML or plain text (exactly one), stored unless ``store`` is false."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"html": "<html><body><nav>Home</nav><article><p>The story.</p></article></body></html>",
         "url": "https://example.org/story"}]})

    url: str | None = Field(None, max_length=8192, description="Recorded (it names the site); never fetched.")
    ref: str | None = Field(None, max_length=2048, description="Your own id for the page.")
    threshold: float | None = Field(None, ge=0.0, le=1.0, description="Default: the model's own.")
    store: bool = Field(True, description="Keep the page in the feedback store so it can be labelled.")
    top_k: int = Field(5, ge=0, le=50, description="Explanation terms listed each way per block.")


class Term(BaseModel):
    kind: Literal["text", "dom", "shape"]
    feature: str
    value: float
    contribution: float = Field(..., description="Added to the stage-1 logit; > 0 pushes towards story.")


class Explanation(BaseModel):
    intercept: float
    stage1_logit: float = Field(..., description="intercept + every term (the listed ones and rest).")
    final_logit: float = Field(..., description="After the context stage: logit of the score.")
    context_shift: float = Field(..., description="final_logit - stage1_logit: what the surroundings added.")
    rest: float = Field(..., description="Sum of the terms not listed.")
    up: list[Term] = Field(..., description="The top terms towards story, any kind.")
    down: list[Term] = Field(..., description="The top terms towards clutter, any kind.")
    words_up: list[Term] = Field(..., description="The top text grams and DOM tokens towards story.")
    words_down: list[Term] = Field(..., description="The top text grams and DOM tokens towards clutter.")


class ReviewBlock(BaseModel):
    index: int
    text: str
    kind: str
    path: str | None
    score: float
    label: Label = Field(..., description="The model's label at the page's threshold.")
    reviewer_label: Label | None = Field(None, description="The reviewer's label, if saved; it wins.")
    explanation: Explanation | None = None


class ModelRef(BaseModel):
    name: str
    version: str


class ReviewPage(BaseModel):
    page_id: str | None = Field(None, description="Null when the page was not stored.")
    mode: Literal["html", "text"]
    url: str | None = None
    ref: str | None = None
    threshold: float
    model: ModelRef
    reviewed: float | None = None
    stale: bool = Field(False, description="The live model cuts the page differently than when it was stored: "
                                           "stored scores are shown, without explanations.")
    blocks: list[ReviewBlock]


class BlockLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    position: int = Field(..., ge=0)
    label: Label


class LabelsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    labels: list[BlockLabel] = Field(..., max_length=100_000)
    if_unchanged_since: float | None = Field(
        None, description="The page's `reviewed` when you opened it (0 if it was not reviewed yet): if someone "
                          "saved it since, the save is refused with 409 `saved_meanwhile` instead of undoing "
                          "their labels. Leave it out to save regardless.")


class SaveResult(BaseModel):
    page_id: str
    changed: int
    labelled: int
    corrected: int
    reviewed: float | None = Field(None, description="The page's new `reviewed` time (send it with the next save).")


class PageSummaryOut(BaseModel):
    page_id: str
    ref: str | None
    url: str | None
    site: str
    mode: str
    model: ModelRef
    threshold: float
    blocks: int
    labelled: int
    corrected: int
    created: float
    reviewed: float | None


class PageList(BaseModel):
    total: int
    pages: list[PageSummaryOut]


class QueueItemOut(BaseModel):
    page_id: str
    ref: str | None
    url: str | None
    position: int
    text: str
    kind: str
    path: str | None
    score: float
    threshold: float
    margin: float = Field(..., description="|score - threshold|: smaller means less sure.")


class Queue(BaseModel):
    items: list[QueueItemOut]
