"""Plain text to blocks: one block per non-empty line.

Scraped text comes both ways: one paragraph a line with no blank lines, or
paragraphs separated by blank lines. One block a line serves both; the number
of blank lines before a line is kept as a feature (a teaser list is often
spaced differently from the story).

Lines are what ``str.splitlines`` calls lines (``\\n``, ``\\r\\n``, ``\\r``, and the
Unicode line and paragraph separators). Whitespace inside a line is collapsed to
one space; a line that is only whitespace counts as blank.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from .blocks import Block
from .limits import DEFAULT_LIMITS, Limits, collapse_whitespace

# The line boundaries of str.splitlines, for reading a long text lazily.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LAZY_CHARS = 1 << 20  # texts longer than this are read line by line instead of split at once


def iter_lines(text: str) -> Iterator[str]:
    """The lines of ``text``, as ``text.splitlines()`` would give them, without building the list."""
    start = 0
    for match in _LINE_BREAK.finditer(text):
        yield text[start:match.start()]
        start = match.end()
    if start < len(text):
        yield text[start:]


def segment_text(text: str, limits: Limits = DEFAULT_LIMITS) -> list[Block]:
    """Cut plain text into one block per non-empty line, in order.

    ``extra["blank_before"]`` of each block is the number of blank lines right
    before it. At most ``limits.max_blocks`` blocks are made; a line is cut to
    ``limits.max_block_chars`` characters.
    """
    blocks: list[Block] = []
    blank_run = 0
    max_chars = limits.max_block_chars
    max_blocks = limits.max_blocks
    lines = text.splitlines() if len(text) <= _LAZY_CHARS else iter_lines(text)
    for line in lines:
        clean = collapse_whitespace(line, max_chars)
        if not clean:
            blank_run += 1
            continue
        blocks.append(Block(index=len(blocks), text=clean, kind="line",
                            extra={"blank_before": blank_run}))
        if len(blocks) >= max_blocks:
            break
        blank_run = 0
    return blocks
