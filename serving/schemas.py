"""Request and response bodies of the scoring service: pydantic at the HTTP boundary only.

Responses are built from ``FilterResult.to_dict()`` and sent as they are; the
response models here describe them in the OpenAPI schema.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_PAGE_EXAMPLE = "<html><body><nav>Home</nav><article><h1>Title</h1><p>The story.</p></article></body></html>"
_RESULT_EXAMPLE = {
    "model": {"name": "storyfilter-html", "version": "0.1.0"}, "mode": "html", "story_text": "Title\n\nThe story.",
    "metadata": {"title": "Title", "author": None, "date": None, "site_name": None, "language": "en",
                 "description": None, "url": "https://example.org/story", "image": None, "page_type": None,
                 "page_type_probability": None},
    "blocks": [{"index": 0, "text": "Home", "label": "boilerplate", "score": 0.03, "kind": "list_item",
                "path": "body>nav"},
               {"index": 1, "text": "The story.", "label": "story", "score": 0.97, "kind": "paragraph",
                "path": "body>article>p"}]}


class PageInput(BaseModel):
    """A page sent in a request body: raw HTML or plain text, exactly one of them."""

    html: str | None = Field(None, description="The page as HTML.")
    text: str | None = Field(None, description="The page as plain text, one paragraph a line.")

    @model_validator(mode="after")
    def _one_page(self) -> "PageInput":
        if (self.html is None) == (self.text is None):
            raise ValueError("give exactly one of 'html' or 'text'")
        return self

    @property
    def mode(self) -> Literal["html", "text"]:
        return "html" if self.html is not None else "text"

    @property
    def page(self) -> str:
        return self.html if self.html is not None else self.text  # type: ignore[return-value]


class ScoreRequest(PageInput):
    """One page: raw HTML or plain text (exactly one of them)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"html": _PAGE_EXAMPLE, "url": "https://example.org/story"},
        {"text": "Title\nThe story, one paragraph a line.\nRead more: other story", "threshold": 0.6},
        {"text": "Text another extractor already cleaned.", "extracted": True, "include_blocks": False},
        {"html": _PAGE_EXAMPLE, "format": "markdown", "links": True, "include_blocks": False}]})

    url: str | None = Field(None, max_length=8192, description="Where the page came from: metadata's url when the "
                                                               "page names none, the base of its relative links. "
                                                               "Never fetched.")
    threshold: float | None = Field(None, ge=0.0, le=1.0,
                                    description="Keep blocks with P(story) at or above this (default: the model's).")
    include_blocks: bool = Field(True, description="Return every block with its score, not only the story text.")
    extracted: bool = Field(False, description="Text is another extractor's output: use the post-filter threshold.")
    comments: bool = Field(False, description="Also find readers' comments among the blocks outside the story "
                                              "(never on forum pages): 'comments' in the result, their blocks "
                                              "labelled 'comment'.")
    page_type: bool = Field(False, description="Also guess the page's type (HTML mode): metadata's page_type and "
                                               "page_type_probability.")
    format: Literal["text", "markdown"] | None = Field(
        None, description="Also render the story: 'markdown' (headline, headings, lists, tables, code) in the "
                          "result's 'markdown' field, or 'text' (tables a row a line, cells tab-separated) in "
                          "its 'text' field. Plain-text pages have no structure: each kept line a paragraph.")
    links: bool = Field(False, description="With format 'markdown': links as [text](href), resolved against "
                                           "the page's URL.")

    @model_validator(mode="after")
    def _links_need_markdown(self) -> "ScoreRequest":
        if self.links and self.format != "markdown":
            raise ValueError("links needs format 'markdown'")
        return self


class BatchRequest(BaseModel):
    """Many pages scored together; the count is bounded by the server's ``max_batch``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"pages": [{"html": _PAGE_EXAMPLE}, {"text": "Title\nThe story.", "include_blocks": False}]}]})

    pages: list[ScoreRequest] = Field(..., min_length=1)


class ModelRef(BaseModel):
    name: str
    version: str


class BlockOut(BaseModel):
    index: int
    text: str
    label: str = Field(..., description="'story' or 'boilerplate'; 'comment' when comments were asked for.")
    score: float = Field(..., description="P(story) in [0, 1].")
    kind: str
    path: str | None = Field(None, description="CSS-like DOM path in HTML mode; null in text mode.")


class CommentOut(BaseModel):
    text: str
    author: str | None = Field(None, description="As the page shows it, where evident.")
    date: str | None = Field(None, description="As the page shows it, where evident.")
    blocks: list[int] = Field(default_factory=list, description="Indices of the blocks the comment was cut from.")


class MetadataOut(BaseModel):
    """What the page says about itself; null where nothing on the page says it."""

    title: str | None = None
    author: str | None = Field(None, description="Several authors are joined by '; '.")
    date: str | None = Field(None, description="Publication date, ISO 8601 (a date, or a date and time with offset).")
    site_name: str | None = None
    language: str | None = Field(None, description="ISO 639-1, as declared, else detected from the story text.")
    description: str | None = None
    url: str | None = Field(None, description="Canonical URL, else the one given with the page.")
    image: str | None = None
    page_type: str | None = Field(None, description="When asked for (page_type: true) and the model has a "
                                                    "page-type head.")
    page_type_probability: float | None = None


class ScoreResult(BaseModel):
    """The JSON result (the same as ``storyfilter extract --format json``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RESULT_EXAMPLE]})

    model: ModelRef
    mode: Literal["html", "text"]
    story_text: str
    metadata: MetadataOut | None = Field(None, description="Title, author, date... (always present in results "
                                                          "of this version).")
    blocks: list[BlockOut] | None = Field(None, description="Absent when include_blocks is false.")
    comments: list[CommentOut] | None = Field(None, description="Present when comments were asked for.")
    markdown: str | None = Field(None, description="The story as markdown; present when format 'markdown' was asked for.")
    text: str | None = Field(None, description="The story as plain text with tables a row a line; present when "
                                               "format 'text' was asked for.")


class ErrorDetail(BaseModel):
    code: str = Field(..., description="Stable, machine-readable: bad_page, too_large, unauthorized, ...")
    message: str


class ErrorBody(BaseModel):
    """Every error the service answers with."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"error": {"code": "bad_page", "message": "text looks binary (NUL or control characters), not a text page"}}]})

    error: ErrorDetail


class BatchResult(BaseModel):
    """One entry per page, in request order: a result, or that page's error."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"results": [
        _RESULT_EXAMPLE, {"error": {"code": "bad_page", "message": "page looks binary"}}]}]})

    results: list[ScoreResult | ErrorBody]


class ModelDetails(BaseModel):
    mode: Literal["html", "text"]
    name: str
    version: str
    labels: list[str]
    threshold: float
    postfilter_threshold: float | None = Field(None, description="Used for text with extracted=true.")
    metrics: dict | None = Field(None, description="Cross-validation results from the model's manifest.")


class ModelInfo(BaseModel):
    """The loaded models, one per mode."""

    models: list[ModelDetails]


class Health(BaseModel):
    status: str
