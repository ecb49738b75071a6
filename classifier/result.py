"""Result types: what a filter call returns, and its JSON form (a contract, see DESIGN.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .blocks import Block
from .comment_threads import Comment
from .errors import ArgumentError
from .formats import FORMATS, headline_before_story, render_markdown, render_paragraphs, render_text
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
    #: The scored blocks with their structure (heading levels, lists, tables, <pre>), kept
    #: only when the page was filtered with ``structure=True``: what the renderers read.
    structure: tuple[Block, ...] | None = field(default=None, compare=False, repr=False)

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

    def to_text(self) -> str:
        """The story as plain text: ``story_text``, except that with the page's structure
        (``structure=True``) a table is one row a line, cells tab-separated, and ``<pre>``
        text keeps its line breaks and indentation."""
        if self.structure is None:
            return self.story_text
        return render_text(self.structure, self._kept())

    def to_markdown(self, links: bool = False) -> str:
        """The story as markdown: the headline as ``# ``, subheadings, lists, tables, code.

        HTML mode needs the page's structure: filter with ``structure=True``. Plain text
        has none, so in text mode each kept line is a paragraph. ``links=True`` writes
        links as ``[text](href)``, resolved against ``metadata.url`` where it is known.
        """
        if self.mode == "text":
            return render_paragraphs([b.text for b in self.blocks if b.label == "story"])
        if self.structure is None:
            raise ArgumentError("markdown needs the page's structure: filter the page with structure=True")
        keep = self._kept()
        title = headline_before_story(self.structure, keep) or self.metadata.title
        return render_markdown(self.structure, keep, title=title, links=links, base_url=self.metadata.url)

    def render(self, fmt: str, links: bool = False) -> str:
        """The story in ``fmt``: ``"text"`` (:meth:`to_text`) or ``"markdown"`` (:meth:`to_markdown`)."""
        if fmt == "text":
            return self.to_text()
        if fmt == "markdown":
            return self.to_markdown(links=links)
        raise ArgumentError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")

    def _kept(self) -> list[bool]:
        """Per structured block, whether it is story; the blocks must be the scored ones."""
        structure = self.structure or ()
        if len(structure) != len(self.blocks) or any(
                a.index != b.index or a.text != b.text for a, b in zip(structure, self.blocks)):
            raise ArgumentError("the structured blocks are not the blocks that were scored")
        return [b.label == "story" for b in self.blocks]

    def to_dict(self, include_blocks: bool = True, render: str | None = None, links: bool = False) -> dict:
        """The JSON result: ``{"model", "mode", "story_text", "metadata", "blocks"}``; with
        ``render`` (``"text"`` or ``"markdown"``) also that rendering, under its name."""
        out: dict = {"model": {"name": self.model_name, "version": self.model_version},
                     "mode": self.mode, "story_text": self.story_text, "metadata": self.metadata.to_dict()}
        if include_blocks:
            out["blocks"] = [b.to_dict() for b in self.blocks]
        if self.comments is not None:
            out["comments"] = [c.to_dict() for c in self.comments]
        if render is not None:
            out[render] = self.render(render, links=links)
        return out

    def comments_text(self) -> str:
        """The comments as plain text: each one's author and date line (where known), then its text."""
        parts = []
        for comment in self.comments or ():
            header = " · ".join(x for x in (comment.author, comment.date) if x)
            parts.append(f"{header}\n{comment.text}" if header else comment.text)
        return "\n\n".join(parts)
