"""Result types: what a filter call returns, and its JSON form (a contract, see DESIGN.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .comment_threads import Comment
from .metadata import EMPTY, Metadata


class ScoredBlock(NamedTuple):
    """One block of the page with its score (P(story)) and label at the threshold used.

    A named tuple: immutable, and a page of them is built in a fraction of what
    frozen dataclasses cost.
    """

    index: int
    text: str
    label: str  # "story", "boilerplate", or "comment" when comments were asked for
    score: float
    kind: str
    path: str | None

    def to_dict(self) -> dict:
        return {"index": self.index, "text": self.text, "label": self.label,
                "score": round(self.score, 6), "kind": self.kind, "path": self.path}


@dataclass(frozen=True, slots=True)
class FilterResult:
    """The story text of a page and every block with its score."""

    story_text: str
    blocks: list[ScoredBlock] = field(default_factory=list)
    mode: str = "html"
    model_name: str = ""
    model_version: str = ""
    threshold: float = 0.5
    #: Readers' comments (their blocks are labelled "comment"), when asked for and the model
    #: has a comment head; None otherwise. Never part of ``story_text``.
    comments: list[Comment] | None = None
    #: What the page says about itself (title, author, date...), None where unknown.
    metadata: Metadata = EMPTY

    @property
    def story_blocks(self) -> list[ScoredBlock]:
        return [b for b in self.blocks if b.label == "story"]

    @classmethod
    def from_dict(cls, data: dict, threshold: float | None = None) -> "FilterResult":
        """The result back from its JSON form (a scoring service's answer, a batch row).

        The JSON result does not carry the threshold; ``threshold`` is the one asked for,
        else NaN (the model's own, unknown here).
        """
        model = data.get("model") or {}
        blocks = [ScoredBlock(int(b["index"]), b["text"], b["label"], float(b["score"]), b["kind"], b.get("path"))
                  for b in data.get("blocks") or ()]
        return cls(story_text=data.get("story_text") or "", blocks=blocks, mode=data.get("mode", "html"),
                   model_name=str(model.get("name", "")), model_version=str(model.get("version", "")),
                   threshold=float("nan") if threshold is None else float(threshold),
                   comments=None if data.get("comments") is None
                   else [Comment.from_dict(c) for c in data["comments"]],
                   metadata=Metadata.from_dict(data.get("metadata")))

    def to_dict(self, include_blocks: bool = True) -> dict:
        """The JSON result: ``{"model", "mode", "story_text", "metadata", "blocks"}``."""
        out: dict = {"model": {"name": self.model_name, "version": self.model_version},
                     "mode": self.mode, "story_text": self.story_text, "metadata": self.metadata.to_dict()}
        if include_blocks:
            out["blocks"] = [b.to_dict() for b in self.blocks]
        if self.comments is not None:
            out["comments"] = [c.to_dict() for c in self.comments]
        return out

    def comments_text(self) -> str:
        """The comments as plain text: each one's author and date line (where known), then its text."""
        parts = []
        for comment in self.comments or ():
            header = " · ".join(x for x in (comment.author, comment.date) if x)
            parts.append(f"{header}\n{comment.text}" if header else comment.text)
        return "\n\n".join(parts)
