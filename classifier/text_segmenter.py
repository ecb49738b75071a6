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
_BREAKS = r"\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_BREAK = re.compile(rf"\r\n|[{_BREAKS}]")
# A run of blank lines: whitespace that is not a line break, then a line break; again and again.
_BLANK_LINES = re.compile(rf"(?:[^\S{_BREAKS}]*+(?:\r\n|[{_BREAKS}]))++")
_LAZY_CHARS = 1 << 20  # texts longer than this are read line by line instead of split at once


def iter_lines(text: str) -> Iterator[str]:
    """The lines of ``text``, as ``text.splitlines()`` would give them, without building the list."""
    start = 0
    for match in _LINE_BREAK.finditer(text):
        yield text[start:match.start()]
        start = match.end()
    if start < len(text):
        yield text[start:]


def _count_breaks(text: str, start: int, end: int) -> int:
    if end - start < 256:
        return len(_LINE_BREAK.findall(text, start, end))
    count = text.count
    return (count("\n", start, end) + count("\r", start, end) - count("\r\n", start, end)
            + sum(count(c, start, end) for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"))


def _spaced_lines(text: str) -> Iterator[tuple[int, str]]:
    """Each non-blank line with the number of blank lines right before it.

    A run of blank lines is skipped by one regex match, so millions of them cost
    milliseconds, not one Python step each.
    """
    end = len(text)
    pos = blank = 0
    while pos < end:
        run = _BLANK_LINES.match(text, pos)
        if run is not None:
            blank += _count_breaks(text, pos, run.end())
            pos = run.end()
            if pos >= end:
                return
        line_break = _LINE_BREAK.search(text, pos)
        stop = end if line_break is None else line_break.start()
        line = text[pos:stop]
        pos = end if line_break is None else line_break.end()
        if not line.isspace():  # (whitespace only here: the last line, with no line break)
            yield blank, line
            blank = 0


def _split_lines(text: str) -> Iterator[tuple[int, str]]:
    """:func:`_spaced_lines` for a short text, split at once (faster when lines are few)."""
    blank = 0
    for line in text.splitlines():
        if not line or line.isspace():
            blank += 1
        else:
            yield blank, line
            blank = 0


def segment_text(text: str, limits: Limits = DEFAULT_LIMITS) -> list[Block]:
    """Cut plain text into one block per non-empty line, in order.

    ``extra["blank_before"]`` of each block is the number of blank lines right
    before it. At most ``limits.max_blocks`` blocks are made; a line is cut to
    ``limits.max_block_chars`` characters.
    """
    blocks: list[Block] = []
    max_chars = limits.max_block_chars
    max_blocks = limits.max_blocks
    lines = _split_lines(text) if len(text) <= _LAZY_CHARS else _spaced_lines(text)
    for blank, line in lines:
        blocks.append(Block(index=len(blocks), text=collapse_whitespace(line, max_chars), kind="line",
                            extra={"blank_before": blank}))
        if len(blocks) >= max_blocks:
            break
    return blocks
