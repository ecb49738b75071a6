"""Plain text to blocks: one block per non-empty line.

Scraped text comes both ways: one paragraph a line with no blank lines, or
paragraphs separated by blank lines. One block a line serves both; the number
of blank lines before a line is kept as a feature (a teaser list is often
spaced differently from the story).
"""
from __future__ import annotations

from .blocks import Block
from .limits import DEFAULT_LIMITS, Limits


def segment_text(text: str, limits: Limits = DEFAULT_LIMITS) -> list[Block]:
    """Cut plain text into one block per non-empty line, in order."""
    blocks: list[Block] = []
    blank_run = 0
    max_chars = limits.max_block_chars
    for line in text.splitlines():
        clean = " ".join(line.split())
        if not clean:
            blank_run += 1
            continue
        if len(blocks) >= limits.max_blocks:
            break
        if len(clean) > max_chars:
            clean = clean[:max_chars]
        blocks.append(Block(index=len(blocks), text=clean, kind="line",
                            extra={"blank_before": blank_run}))
        blank_run = 0
    return blocks
