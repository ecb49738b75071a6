"""Which blocks belong to recommendation widgets: the mission's own "teaser leak" measure.

A block counts as a teaser when it is *not* in the gold text and either its DOM
path carries a recommendation word in a class or id (``related``,
``recommended``, ``teaser``, ``promo``, ``popular``, ``more-from``...), or it
follows a heading such as "Recommended for you", "Related", "More from",
"You may also like" (up to the next heading or the end of the heading's
DOM container). Class and id words are matched also when split
(``more-from``, ``youMayAlsoLike``). The teaser leak of a system is
the share of those blocks' characters that survive in its output.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.blocks import Block

TEASER_WORDS = frozenset(
    "related recommended recommendation recommendations recommend teaser teasers promo promoted "
    "popular trending suggested suggestions readmore outbrain taboola morestories upnext "
    "youmayalsolike youmaylike youmightlike youmightalsolike moreon morefrom morein alsoread readnext "
    "readalso mostread mostpopular mostviewed seealso dontmiss editorspicks".split()
)
_MAX_JOIN = 4  # class/id words are split ("more-from" -> more, from): rejoin up to 4 in a row
TEASER_HEADING = re.compile(
    r"^\W*(recommended|related|more (from|on|in|stories|news|like this)|you may (also )?like|"
    r"you might (also )?like|read (more|next|also)|also read|popular|most (read|popular|viewed)|"
    r"trending|don.t miss|further reading|see also|top stories|latest (news|stories)|"
    r"what to read next|editor.s picks|in case you missed)",
    re.IGNORECASE,
)


def has_teaser_word(tokens: Sequence[str]) -> bool:
    """True when the DOM words name a recommendation widget, also when split (``you-may-also-like``)."""
    for i, token in enumerate(tokens):
        joined = token
        if joined in TEASER_WORDS:
            return True
        for nxt in tokens[i + 1:i + _MAX_JOIN]:
            joined += nxt
            if joined in TEASER_WORDS:
                return True
    return False


def _is_heading(block: Block) -> bool:
    text = block.text
    if block.kind == "heading" or block.heading:
        return True
    if len(text) >= 60:
        return False
    # plain text has no tags: a short line that reads like a widget title is a heading too
    return text.isupper() or (block.path is None and not text.endswith((".", "!", "?"))
                              and bool(TEASER_HEADING.match(text)))


def _complete_path(block: Block) -> list[str] | None:
    """The block's DOM path as a list, or None when there is none or it was cut short."""
    if not block.path:
        return None
    parts = block.path.split(">")
    return parts if len(parts) == block.depth else None


def _heading_scope(blocks: Sequence[Block], i: int) -> str | None:
    """The DOM path prefix a teaser heading's widget lives in, or None (scope: up to the next heading).

    The widget is the heading's parent element, or its grandparent when the
    parent holds the heading alone (``<div class=title><h3>Related</h3></div><ul>...``).
    """
    parts = _complete_path(blocks[i])
    if parts is None or i + 1 >= len(blocks):
        return None
    following = blocks[i + 1].path or ""
    for cut in (1, 2):
        if len(parts) - cut < 1:
            break
        prefix = ">".join(parts[:-cut]) + ">"
        if following.startswith(prefix):
            return prefix
    return None


def teaser_mask(blocks: Sequence[Block], labels: Sequence[int]) -> list[bool]:
    """True for each block that is recommendation-widget text outside the gold story.

    A teaser heading's region ends at the next heading, or where the blocks leave
    the heading's widget (its DOM parent), whichever comes first.
    """
    mask = [False] * len(blocks)
    under_heading = False
    scope: str | None = None
    for i, (block, label) in enumerate(zip(blocks, labels)):
        if _is_heading(block):
            under_heading = bool(TEASER_HEADING.match(block.text))
            scope = _heading_scope(blocks, i) if under_heading else None
        elif under_heading and scope is not None and _complete_path(block) is not None \
                and not block.path.startswith(scope):
            under_heading = False  # left the widget (a path cut short cannot tell, so it stays in)
        if label:
            continue
        if under_heading or has_teaser_word(block.dom_tokens):
            mask[i] = True
    return mask
