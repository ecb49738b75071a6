"""What plain text says about itself: an obvious title line (the language comes later, from
the story, see :mod:`classifier.language`).

Plain text has no markup to say which line is the title, so only the obvious case is taken:
the first line is short, does not read as a sentence or a list item, and more text follows.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from .blocks import Block
from .metadata import EMPTY, Metadata

MAX_TITLE_CHARS = 200
MAX_TITLE_WORDS = 25
# A line ending like this is a sentence or a lead-in, not a title ("?" and "!" end titles too).
_SENTENCE_END = (".", ",", ";", ":", "…")
_LIST_MARK = re.compile(r"^(?:[-*•·>#|]|\d+[.)]\s)")
_NOT_A_TITLE = re.compile(r"https?://|www\.|@\w+\.\w")


def title_line(blocks: Sequence[Block]) -> str | None:
    """The first line when it is obviously the title, else None."""
    if len(blocks) < 2:
        return None
    first = blocks[0].text.strip()
    if not first or len(first) > MAX_TITLE_CHARS or len(first.split()) > MAX_TITLE_WORDS:
        return None
    if first.endswith(_SENTENCE_END) or _LIST_MARK.match(first) or _NOT_A_TITLE.search(first):
        return None
    if not any(ch.isalpha() for ch in first):
        return None
    rest = sum(len(b.text) for b in blocks[1:8])
    return first if rest > len(first) else None


def text_metadata(blocks: Sequence[Block]) -> Metadata:
    """The metadata plain text gives: its title line, where obvious."""
    title = title_line(blocks)
    return Metadata(title=title) if title else EMPTY
