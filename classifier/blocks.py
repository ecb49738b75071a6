"""The Block: one unit of a page (paragraph, heading, list item, line) as cut by a segmenter.

One type serves HTML and text mode; text mode leaves the DOM fields empty.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Block:
    """A run of page text between two block-level boundaries, with the facts the model uses."""

    index: int
    text: str
    kind: str  # "heading", "paragraph", "list_item", "table_cell", "line", "block", ...
    path: str | None = None  # CSS-like DOM path, innermost last; None in text mode
    dom_tokens: tuple[str, ...] = ()  # tag / class / id words of the block and its containers
    container: int = -1  # id of the DOM container the block sits in (-1 in text mode)
    link_chars: int = 0  # characters of text inside <a> elements
    depth: int = 0
    heading: bool = False
    in_list: bool = False
    in_table: bool = False
    in_article: bool = False  # inside <article>, <main> or role=main
    extra: dict = field(default_factory=dict)
    #: Ids of the DOM elements around the block, outermost first, ending with ``container``
    #: (empty in text mode): where on the page the block lives, for finding the story's region.
    ancestors: tuple[int, ...] = ()

    @property
    def link_share(self) -> float:
        """Share of the block's characters that sit inside links."""
        n = len(self.text)
        return min(1.0, self.link_chars / n) if n else 0.0
