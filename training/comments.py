"""Which blocks are readers' comments under a story: weak labels and the "comment leak" measure.

A block counts as a comment when it is *not* in the gold text and it lies in a
readers' comment thread, told by evidence a person would use and no list of sites
(the words and phrases: ``training.comment_words``):

* **container words**: a class or id of its containers names a comment thread
  (``comments``, ``commentlist``, ``comment-body``, ``bypostauthor``, ``disqus``,
  ``kommentare``, ``commentaires``...), and such blocks follow one another, at
  least ``MIN_THREAD_BLOCKS`` of them with ``MIN_THREAD_CHARS`` of text (a
  comment button or a counter in a teaser card is no thread);
* **a heading above**: "Comments", "12 Comments", "3 thoughts on ...",
  "Kommentare", "Commentaires", "Comentarios"... with the section it opens (to the
  end of its container or the next heading of the same or higher rank);
* **structure**: repeated sibling elements after the story, at least three of
  them with a reply line ("Reply", "Antworten", "Répondre") or a "... says:"
  line, mostly not link text (a teaser card has a date too, but is all link).

The element that holds the thread (carries the words, holds the heading's
section or the repeated items) must hold little of the gold story: ``comments``
on ``<body>`` or on the story's ``<article>`` says nothing, and a thread whose
posts the gold keeps is the page's content, not clutter around it.

Never a comment here: forum posts (a page of type ``forum`` gets no comment, and
elsewhere a thread the gold keeps is content, as above); the comment *form*
(fields, "Your email address will not be published", "Leave a reply": nobody's
comment); lists and counters about comments ("Recent comments", "12 Comments"
beside a headline); customer *reviews* and seller feedback (a review word on a
container): posts about a product, not a discussion of a story, and a ``review``
class marks the story itself on review sites, so they keep their gold label and
stay out of this role. The comment leak of a system is the share of comment
characters it keeps.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from classifier.blocks import Block

from .comment_words import (COMMENT_HEADING, FORM_HEADING, REPLY_LINE, about_comments, block_words, comment_words,
                            in_comment_form, in_reviews)

#: An element holds the story when gold is at least this share of its text or this share of the page's story.
CONTENT_SHARE = 0.5
STORY_SHARE = 0.2
#: A run of blocks with comment words is a thread with this many blocks and this much text (gaps of up
#: to ``MAX_GAP`` other blocks allowed).
MIN_THREAD_BLOCKS = 3
MIN_THREAD_CHARS = 150
MAX_GAP = 2
#: Repeated items with reply lines are a thread with at most this share of link text.
MAX_THREAD_LINKS = 0.5
#: Elements whose class/id words a block carries (``classifier.html_segmenter``'s window).
TOKEN_DEPTH = 8
_MIN_ITEMS = 3  # items with a reply line before repeated siblings count as a thread
_STORY_END_SHARE = 0.95


def _story_holder(blocks: Sequence[Block], labels: Sequence[int]) -> Callable[[int | None], bool]:
    """A test of elements: True when the element holds the story (half its text, or a fifth of the story, is gold).

    ``None`` (no element) holds nothing. Characters per element are counted on first use.
    """
    story = sum(len(b.text) for b, y in zip(blocks, labels) if y)
    regions: dict[int, list[int]] = {}

    def holds(element: int | None) -> bool:
        if element is None or not story:
            return False
        if not regions:
            for block, label in zip(blocks, labels):
                for e in block.ancestors:
                    region = regions.setdefault(e, [0, 0])
                    region[0] += len(block.text)
                    region[1] += len(block.text) if label else 0
        text, gold = regions[element]
        return gold >= CONTENT_SHARE * text or gold >= STORY_SHARE * story

    return holds


def _word_threads(blocks: Sequence[Block], labels: Sequence[int], holds_story: Callable[[int | None], bool]
                  ) -> list[bool]:
    """True for blocks in a run of blocks whose comment words come from elements outside the story.

    A Block does not tie a class word to its element, so the element is inferred:
    an ancestor carries a word when every block that has the ancestor in its
    window of class words carries it. The outermost such ancestor is taken, the
    cautious guess (``comments`` on ``<body>`` then names the whole page, story
    included); with none, the word is the block's own. A thread is a run of such
    blocks in page order (gaps of up to ``MAX_GAP`` other non-story blocks), long
    enough: a comment button, a counter in a teaser card, an author box named
    ``authorComment`` or a "Comments" tab alone is no thread.
    """
    words = [comment_words(block_words(b)) for b in blocks]
    if not any(words):
        return [False] * len(blocks)
    windows = [b.ancestors[max(0, b.depth - TOKEN_DEPTH):] for b in blocks]
    reach: dict[int, int] = {}
    carrying: dict[tuple[int, str], int] = {}
    for found, window in zip(words, windows):
        for element in window:
            reach[element] = reach.get(element, 0) + 1
            for word in found:
                carrying[element, word] = carrying.get((element, word), 0) + 1
    candidate = [bool(block.ancestors) and not label  # (loose text of <body> itself has no container)
                 and any(not holds_story(next((e for e in window if carrying.get((e, w)) == reach[e]), None))
                         for w in found)
                 for block, label, found, window in zip(blocks, labels, words, windows)]
    out = [False] * len(blocks)
    run: list[int] = []
    for i, is_candidate in enumerate(candidate):
        if labels[i] or (run and i - run[-1] > MAX_GAP + 1):
            _close_run(run, blocks, out)
            run = []
        if is_candidate:
            run.append(i)
    _close_run(run, blocks, out)
    return out


def _close_run(run: list[int], blocks: Sequence[Block], out: list[bool]) -> None:
    """Mark a run of candidate blocks when it is long enough to be a thread."""
    if len(run) >= MIN_THREAD_BLOCKS and sum(len(blocks[i].text) for i in run) >= MIN_THREAD_CHARS:
        for i in run:
            out[i] = True


def _heading_rank(block: Block) -> int:
    """1-6 for ``h1``-``h6``, 7 for any other heading-like block."""
    tag = re.split(r"[.#]", (block.path or "").rsplit(">", 1)[-1], maxsplit=1)[0]
    return int(tag[1]) if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit() else 7


def _is_heading(block: Block) -> bool:
    return block.kind == "heading" or block.heading


def _heading_scope(blocks: Sequence[Block], i: int) -> int | None:
    """The element a heading's section lives in: its parent, or grandparent when the parent holds it alone."""
    if i + 1 >= len(blocks):
        return None
    following = blocks[i + 1].ancestors
    return next((e for e in reversed(blocks[i].ancestors[-2:]) if e in following), None)


def _heading_sections(blocks: Sequence[Block], holds_story: Callable[[int | None], bool]) -> list[bool]:
    """True for a comment heading that opens a section, and for the blocks of that section.

    A form's heading ("Leave a reply") opens a section but is not marked itself.
    """
    out = [False] * len(blocks)
    scope: int | None = None
    rank = 0
    for i, block in enumerate(blocks):
        if scope is not None:
            if scope not in block.ancestors or (_is_heading(block) and _heading_rank(block) <= rank):
                scope = None
            else:
                out[i] = True
                continue
        if _is_heading(block) and len(block.text) < 80 and COMMENT_HEADING.match(block.text):
            scope, rank = _heading_scope(blocks, i), _heading_rank(block)
            scope = None if holds_story(scope) else scope
            out[i] = scope is not None and not FORM_HEADING.match(block.text)
    return out


def _story_end(blocks: Sequence[Block], labels: Sequence[int]) -> int:
    """The block that completes 95% of the gold characters: a short reply the gold happens to hold stays after it."""
    total = sum(len(b.text) for b, y in zip(blocks, labels) if y)
    seen = 0
    for i, (block, label) in enumerate(zip(blocks, labels)):
        seen += len(block.text) if label else 0
        if label and seen >= _STORY_END_SHARE * total:
            return i
    return -1


def _reply_threads(blocks: Sequence[Block], labels: Sequence[int], holds_story: Callable[[int | None], bool]
                   ) -> list[bool]:
    """True for blocks of repeated sibling items after the story, at least three of them with a reply line.

    Items are the children of one parent element (from ``ancestors``); the parent's
    text must be mostly not link text.
    """
    out = [False] * len(blocks)
    end = _story_end(blocks, labels)
    replied: dict[int, set[int]] = {}
    for block in blocks[end + 1:]:
        if len(block.text) <= 80 and REPLY_LINE.match(block.text):
            for parent, child in zip(block.ancestors, block.ancestors[1:]):
                replied.setdefault(parent, set()).add(child)
    threads = {parent for parent, items in replied.items() if len(items) >= _MIN_ITEMS and not holds_story(parent)}
    if not threads:
        return out
    members: dict[int, list[int]] = {}
    for i in range(end + 1, len(blocks)):
        for parent in threads.intersection(blocks[i].ancestors[:-1]):
            members.setdefault(parent, []).append(i)
    for parent, found in members.items():
        text = sum(len(blocks[i].text) for i in found)
        if sum(blocks[i].link_chars for i in found) <= MAX_THREAD_LINKS * text:
            for i in found:
                out[i] = True
    return out


def comment_mask(blocks: Sequence[Block], labels: Sequence[int], page_type: str | None = None) -> list[bool]:
    """True for each block that is readers' comment text outside the gold story.

    ``page_type`` "forum" marks nothing: there the posts are the content.
    """
    if page_type == "forum" or not blocks:
        return [False] * len(blocks)
    holds_story = _story_holder(blocks, labels)
    evidence = [w or h or r for w, h, r in zip(_word_threads(blocks, labels, holds_story),
                                                 _heading_sections(blocks, holds_story),
                                                 _reply_threads(blocks, labels, holds_story))]
    mask = [False] * len(blocks)
    for i, (block, label) in enumerate(zip(blocks, labels)):
        if label or not evidence[i] or in_comment_form(block) or in_reviews(block):
            continue
        mask[i] = (_is_heading(block) and bool(COMMENT_HEADING.match(block.text))) or not about_comments(block)
    return mask
