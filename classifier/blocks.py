"""The Block: one unit of a page (paragraph, heading, list item, line) as cut by a segmenter.

One type serves HTML and text mode; text mode leaves the DOM fields empty.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple


class Shape(NamedTuple):
    """Where a block sits in the page's structure, for rendering it as markdown or text.

    The numbers are ids of DOM elements (as in ``Block.ancestors``): blocks with the same
    ``row`` are cells of one table row, blocks with the same ``item`` belong to one list item.
    Only ``segment_html(..., structure=True)`` works the whole shape out; scoring does not
    ask for it, and its blocks carry a shape with the tag alone.
    """

    tag: str  # the block element that holds the text: p, h2, li, td, pre...
    level: int = 0  # 1-6 inside <h1>-<h6>, else 0
    list_depth: int = 0  # how many lists (ul, ol, menu, dir) hold the block
    ordered: bool = False  # the innermost list is an <ol>
    item: int = -1  # id of the innermost <li>, -1 outside one
    row: int = -1  # id of the innermost table row, -1 outside a table
    cell: int = -1  # id of the innermost table cell
    header: bool = False  # a header cell (<th>, or a cell inside <thead>)
    pre: bool = False  # inside <pre>: ``Block.raw`` holds the text as written


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
    #: Structure for rendering (HTML mode only): heading level, list, table and <pre> shape.
    shape: Shape | None = None
    #: The text of a <pre> block with its line breaks and indentation kept; None elsewhere.
    raw: str | None = None
    #: ``(link text, href)`` of the links in the block, in reading order (HTML mode only).
    links: tuple[tuple[str, str], ...] = ()
    #: Characters of link text whose href looks like another story's (a slug, a long id or
    #: a dated path): what teaser cards hold and menus do not (HTML mode only).
    article_link_chars: int = 0

    @property
    def link_share(self) -> float:
        """Share of the block's characters that sit inside links."""
        n = len(self.text)
        return min(1.0, self.link_chars / n) if n else 0.0


def distinct_dom_tokens(blocks: Iterable[Block]) -> tuple[list[tuple[str, ...]], list[int]]:
    """The distinct DOM token tuples of ``blocks``, and which one each block has.

    Blocks cut from one element share one tuple object, and a median page has about 130
    such objects holding about 55 distinct tuples, so whatever is worked out per tuple
    (TF-IDF, hashed buckets) is worked out once. Objects are matched by identity first,
    so only each new object's tuple is hashed.
    """
    by_object: dict[int, int] = {}
    by_value: dict[tuple[str, ...], int] = {}
    distinct: list[tuple[str, ...]] = []
    which: list[int] = []
    for block in blocks:
        tokens = block.dom_tokens
        slot = by_object.get(id(tokens))
        if slot is None:
            slot = by_value.setdefault(tuple(tokens), len(distinct))
            if slot == len(distinct):
                distinct.append(tokens)
            by_object[id(tokens)] = slot
        which.append(slot)
    return distinct, which
