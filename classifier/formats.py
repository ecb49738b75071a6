"""Render the kept blocks of a page as markdown or plain text, from the page's structure.

The blocks are the ones the model scored, segmented with ``structure=True`` so each
carries its :class:`~classifier.blocks.Shape` (heading level, list, table, ``<pre>``),
its ``<pre>`` text as written and its links. Only blocks marked kept are rendered, with
one exception: a table inside the story is rendered whole (see :func:`_whole_tables`).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin

from .blocks import Block, Shape

FORMATS = ("text", "markdown")

_PLAIN = Shape("p")
_BLOCK_START = re.compile(r"^(#{1,6}\s|>|[-+*]\s|\d{1,9}[.)]\s|={3,}|-{3,}|`{3,}|~{3,})")
_UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")
_MAX_LINK_MISSES = 20


def _shape(block: Block) -> Shape:
    return block.shape or _PLAIN


def render_text(blocks: Sequence[Block], keep: Sequence[bool]) -> str:
    """The story as plain text: a paragraph per block, as ``story_text`` has it, except
    that a table is one row a line with its cells tab-separated and ``<pre>`` text is kept
    as written."""
    parts: list[str] = []
    for kind, members in _groups(blocks, _whole_tables(blocks, keep)):
        if kind == "table":
            parts.append("\n".join("\t".join(cells) for cells, _ in _table_rows(members)))
        elif kind == "pre":
            parts.append(_pre_text(members[0]))
        else:
            parts.extend(b.text for b in members)
    return "\n\n".join(parts)


def render_markdown(blocks: Sequence[Block], keep: Sequence[bool], *, title: str | None = None,
                    links: bool = False, base_url: str | None = None) -> str:
    """The story as markdown: ``title`` as ``# `` (unless the story opens with an ``<h1>`` or a
    heading that says it), headings with their levels, lists nested by depth, tables as pipe
    tables, ``<pre>`` as fenced code; with ``links``, each link as ``[text](href)`` resolved
    against ``base_url``. An empty story is an empty string, without a headline."""
    parts: list[str] = []
    groups = _groups(blocks, _whole_tables(blocks, keep))
    if not groups:
        return ""
    if title and title.strip() and not _opens_with_headline(groups, title):
        parts.append("# " + " ".join(title.split()))
    for kind, members in groups:
        if kind == "list":
            parts.append(_markdown_list(members, links, base_url))
        elif kind == "table":
            parts.append(_markdown_table(members, links, base_url))
        elif kind == "pre":
            parts.append(_fence(_pre_text(members[0])))
        else:
            parts.extend(_markdown_line(b, links, base_url) for b in members)
    return "\n\n".join(p for p in parts if p)


def _opens_with_headline(groups: list[tuple[str, list[Block]]], title: str) -> bool:
    """Whether the story's first block is an ``<h1>``, or a heading that says ``title``."""
    if not groups or groups[0][0] != "text":
        return False
    first = groups[0][1][0]
    level = _shape(first).level
    return level == 1 or (level > 0 and first.text.casefold() == " ".join(title.split()).casefold())


def render_paragraphs(texts: Sequence[str]) -> str:
    """Markdown of text-mode blocks (plain text has no structure): each kept line a paragraph."""
    return "\n\n".join(_escape_line(t) for t in texts if t.strip())


def headline_before_story(blocks: Sequence[Block], keep: Sequence[bool]) -> str | None:
    """The page's ``<h1>`` above the first kept block, if the model dropped it: the story's headline."""
    headline = None
    for block, kept in zip(blocks, keep):
        if kept:
            return headline
        if _shape(block).level == 1 and headline is None:
            headline = block.text
    return None


# ----- grouping ---------------------------------------------------------------------------
def _whole_tables(blocks: Sequence[Block], keep: Sequence[bool]) -> list[bool]:
    """``keep`` with the tables of the story made whole.

    The model scores each cell alone and drops short ones (numbers, yes/no), so a table is
    rendered from the page's structure: a data table (two or more columns, no heading or
    list inside) is kept whole where the model kept any of its cells or the story goes on
    both above and below it; in any other table, a row is kept whole where any of its cells
    is, with the table's header rows. A table here is a run of blocks in table cells with no
    other block between them. ``story_text`` is not changed by this.
    """
    keep = list(keep)
    start = 0
    while start < len(blocks):
        if _shape(blocks[start]).row == -1:
            start += 1
            continue
        end = start
        while end < len(blocks) and _shape(blocks[end]).row != -1:
            end += 1
        span = range(start, end)
        if _is_data_table([blocks[i] for i in span]) and (
                any(keep[i] for i in span) or (_kept_at(keep, start - 1) and _kept_at(keep, end))):
            keep[start:end] = [True] * (end - start)
        else:
            rows = {_shape(blocks[i]).row for i in span if keep[i]}
            if rows:
                for i in span:
                    shape = _shape(blocks[i])
                    if shape.row in rows or shape.header:
                        keep[i] = True
        start = end
    return keep


def _is_data_table(blocks: list[Block]) -> bool:
    """Two or more cells in some row, and no heading or list item in any: not a page's layout."""
    cells: dict[int, set[int]] = {}
    for block in blocks:
        shape = _shape(block)
        if shape.level or shape.item != -1:
            return False
        cells.setdefault(shape.row, set()).add(shape.cell)
    return max(len(c) for c in cells.values()) >= 2


def _kept_at(keep: Sequence[bool], at: int) -> bool:
    """Whether the block at ``at`` (just before or after a table) exists and is kept."""
    return 0 <= at < len(keep) and keep[at]


def _groups(blocks: Sequence[Block], keep: Sequence[bool]) -> list[tuple[str, list[Block]]]:
    """Kept blocks in page order, cut into runs: ``list`` (blocks in list items), ``table``
    (blocks in table cells), ``pre`` (one ``<pre>`` block) and ``text`` (anything else).

    A run ends where a dropped block stands between two kept ones only for text; a list or
    a table stays one even where the model dropped some of its items.
    """
    groups: list[tuple[str, list[Block]]] = []
    for block, kept in zip(blocks, keep):
        if not kept:
            continue
        shape = _shape(block)
        kind = ("pre" if shape.pre else "table" if shape.row != -1 else
                "list" if shape.item != -1 else "text")
        if groups and groups[-1][0] == kind and kind in ("list", "table"):
            groups[-1][1].append(block)
        else:
            groups.append((kind, [block]))
    return groups


# ----- lists ------------------------------------------------------------------------------
def _markdown_list(blocks: list[Block], links: bool, base_url: str | None) -> str:
    """One line per ``<li>`` (its blocks joined), indented under its parent item's text,
    numbered per list level where the list is ordered."""
    items: list[tuple[Shape, list[str]]] = []
    for block in blocks:
        shape = _shape(block)
        text = _inline(block, links, base_url)
        if items and items[-1][0].item == shape.item:
            items[-1][1].append(text)
        else:
            items.append((shape, [text]))
    lines: list[str] = []
    indents: list[int] = []  # the content column of the open item at each depth
    numbers: list[int] = []
    ordered: list[bool] = []  # whether the list at each depth is numbered
    base_depth = min(shape.list_depth for shape, _ in items)
    for shape, texts in items:
        depth = max(shape.list_depth - base_depth, 0)
        depth = min(depth, len(indents))  # never deeper than one below the last item
        del indents[depth:]
        numbers[depth + 1:] = []
        ordered[depth + 1:] = []
        if len(numbers) <= depth or ordered[depth] != shape.ordered:  # a new list at this depth
            numbers[depth:] = [0]
            ordered[depth:] = [shape.ordered]
        numbers[depth] += 1
        marker = f"{numbers[depth]}. " if shape.ordered else "- "
        indent = indents[-1] if indents else 0
        lines.append(" " * indent + marker + _escape_line(" ".join(texts)))
        indents.append(indent + len(marker))
    return "\n".join(lines)


# ----- tables -----------------------------------------------------------------------------
def _table_rows(blocks: list[Block], links: bool = False, base_url: str | None = None,
                escape: bool = False) -> list[tuple[list[str], bool]]:
    """``(cells, header)`` per table row, a cell's blocks joined by a space."""
    rows: dict[int, tuple[dict[int, list[str]], list[bool]]] = {}
    for block in blocks:
        shape = _shape(block)
        cells, header = rows.setdefault(shape.row, ({}, [True]))
        text = _inline(block, links, base_url) if escape else block.text
        cells.setdefault(shape.cell, []).append(text.replace("|", "\\|") if escape else text)
        header[0] = header[0] and shape.header
    return [([" ".join(parts) for parts in cells.values()], header[0]) for cells, header in rows.values()]


def _markdown_table(blocks: list[Block], links: bool, base_url: str | None) -> str:
    """A pipe table: header from ``<th>``/``<thead>`` rows, else the first row. A table of
    one column (a layout table) is its cells as paragraphs."""
    rows = _table_rows(blocks, links, base_url, escape=True)
    width = max(len(cells) for cells, _ in rows)
    if width == 1:
        return "\n\n".join(_escape_line(cells[0]) for cells, _ in rows if cells[0])
    header_rows = [cells for cells, header in rows if header]
    body = [cells for cells, header in rows if not header]
    head = header_rows[0] if header_rows else body.pop(0)
    body = header_rows[1:] + body if header_rows else body

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells + [""] * (width - len(cells))) + " |"

    return "\n".join([line(head), "|" + "---|" * width] + [line(cells) for cells in body])


# ----- code, lines, links -----------------------------------------------------------------
def _pre_text(block: Block) -> str:
    return block.raw if block.raw is not None else block.text


def _fence(code: str) -> str:
    """Fenced code, the fence longer than any run of backticks in the code."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{code}\n{fence}"


def _markdown_line(block: Block, links: bool, base_url: str | None) -> str:
    level = _shape(block).level
    text = _inline(block, links, base_url)
    if level:
        return "#" * level + " " + text
    return _escape_line(text)


def _escape_line(text: str) -> str:
    """A backslash before what would start a heading, a list, a quote or a rule."""
    return "\\" + text if _BLOCK_START.match(text) else text


def _inline(block: Block, links: bool, base_url: str | None) -> str:
    """The block's text, with its links written ``[text](href)`` when ``links``."""
    if not links or not block.links:
        return block.text
    text, out, start, misses = block.text, [], 0, 0
    for anchor, href in block.links:
        target = _resolve(href, base_url)
        if target is None or misses > _MAX_LINK_MISSES:
            continue
        at = text.find(anchor, start)
        if at < 0:  # each miss reads the rest of the text: a few, then the rest stays plain
            misses += 1
            continue
        anchor_md = anchor.replace("[", "\\[").replace("]", "\\]")
        out.append(text[start:at] + f"[{anchor_md}]({target})")
        start = at + len(anchor)
    out.append(text[start:])
    return "".join(out)


def _resolve(href: str, base_url: str | None) -> str | None:
    """The link target, absolute where the page's URL is known; None for script links."""
    if href.lower().startswith(_UNSAFE_SCHEMES):
        return None
    target = urljoin(base_url, href) if base_url else href
    if any(c in target for c in " ()<>"):
        target = "<" + target.replace("<", "%3C").replace(">", "%3E") + ">"
    return target
