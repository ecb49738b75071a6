"""Which blocks belong to recommendation widgets: the mission's own "teaser leak" measure.

A block counts as a teaser when it is *not* in the gold text and either its DOM
path carries a recommendation word in a class or id (``related``,
``recommended``, ``teaser``, ``promo``, ``popular``, ``more-from``...), or it
follows a heading such as "Recommended for you", "Related", "More from",
"You may also like" (up to the next heading). The teaser leak of a system is
the share of those blocks' characters that survive in its output.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.blocks import Block

TEASER_WORDS = frozenset(
    "related recommended recommendation recommendations recommend teaser teasers promo promoted "
    "popular trending suggested suggestions readmore outbrain taboola morestories upnext "
    "youmayalsolike moreon morefrom".split()
)
TEASER_HEADING = re.compile(
    r"^\W*(recommended|related|more (from|on|in|stories|news|like this)|you may (also )?like|"
    r"you might (also )?like|read (more|next|also)|also read|popular|most (read|popular|viewed)|"
    r"trending|don.t miss|further reading|see also|top stories|latest (news|stories)|"
    r"what to read next|editor.s picks|in case you missed)",
    re.IGNORECASE,
)


def teaser_mask(blocks: Sequence[Block], labels: Sequence[int]) -> list[bool]:
    """True for each block that is recommendation-widget text outside the gold story."""
    mask = [False] * len(blocks)
    under_heading = False
    for i, (block, label) in enumerate(zip(blocks, labels)):
        is_heading = block.kind == "heading" or block.heading or (len(block.text) < 60 and block.text.isupper())
        if is_heading:
            under_heading = bool(TEASER_HEADING.match(block.text))
        if label:
            continue
        if under_heading or any(t in TEASER_WORDS for t in block.dom_tokens):
            mask[i] = True
    return mask
