"""Result types: what a filter call returns, and its JSON form (a contract, see DESIGN.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .blocks import Block
from .comment_threads import Comment
from .errors import ArgumentError
from .formats import FORMATS, headline_before_story, render_markdown, render_paragraphs, render_text
from .metadata import EMPTY, Metadata


class PageSource(NamedTuple):
    """The HTML page a result was scored from, to segment it again with its structure when a
    rendering is asked for (``to_markdown()`` on a result filtered without ``structure=True``)."""

    page: str | bytes
    encoding: str | None
    limits: Any


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
    #: when the page was filtered with ``structure=True``, else worked out from ``source`` on
    #: the first rendering: what the renderers read.
    structure: tuple[Block, ...] | None = field(default=None, compare=False, repr=False)
    #: The HTML page, kept by ``filter_html`` without ``structure=True``, so a rendering can
    #: be asked for later at the cost of a second parse.
    source: PageSource | None = field(default=None, compare=False, repr=False)

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
        """The story as plain text: ``story_text``, except that a table is one row a line,
        cells tab-separated, and ``<pre>`` text keeps its line breaks and indentation (HTML
        mode; text mode has no structure, and a result without the page gives ``story_text``)."""
        structure = self._structure()
        if structure is None:
            return self.story_text
        return render_text(structure, self._kept(structure))

    def to_markdown(self, links: bool = False) -> str:
        """The story as markdown: the headline as ``# ``, subheadings, lists, tables, code.

        HTML mode reads the page's structure: kept by ``filter_html(..., structure=True)``,
        else the page is segmented again (a second parse). Plain text has none, so in text
        mode each kept line is a paragraph. ``links=True`` writes links as ``[text](href)``,
        resolved against ``metadata.url`` where it is known.
        """
        if self.mode == "text":
            return render_paragraphs([b.text for b in self.blocks if b.label == "story"])
        structure = self._structure()
        if structure is None:
            raise ArgumentError("markdown needs the page's structure: this result holds neither the page nor its "
                                "structure (score_pages(..., structure=True) with blocks from "
                                "html_blocks(..., structure=True) keeps it)")
        keep = self._kept(structure)
        title = headline_before_story(structure, keep) or self.metadata.title
        return render_markdown(structure, keep, title=title, links=links, base_url=self.metadata.url)

    def render(self, fmt: str, links: bool = False) -> str:
        """The story in ``fmt``: ``"text"`` (:meth:`to_text`) or ``"markdown"`` (:meth:`to_markdown`)."""
        if fmt == "text":
            if links:
                raise ArgumentError("links=True needs the markdown format: plain text has no links")
            return self.to_text()
        if fmt == "markdown":
            return self.to_markdown(links=links)
        raise ArgumentError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")

    def _structure(self) -> tuple[Block, ...] | None:
        """The blocks with their structure: kept, or segmented again from the page (once)."""
        if self.structure is None and self.source is not None and self.mode == "html":
            from .html_segmenter import segment_html  # the parser only when a rendering is asked for

            page, encoding, limits = self.source
            object.__setattr__(self, "structure", tuple(segment_html(page, limits, encoding=encoding,
                                                                     structure=True)))
        return self.structure

    def _kept(self, structure: tuple[Block, ...]) -> list[bool]:
        """Per structured block, whether it is story; the blocks must be the scored ones."""
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
