"""Readers' comments from comment blocks: one comment per post, with author and date where evident.

The comment head (:mod:`classifier.comment_role`) marks blocks; a reader wants
posts. Consecutive comment blocks form a thread; its posts are the repeated items
of one template (each ``<li>`` of an ``<ol class=commentlist>``, each
``div.comment``), told by the element their first block is cut from (tag and
classes), so a post's header lines and paragraphs stay together. Without a DOM (text mode) each run of comment
lines is one comment.

Inside a post, short lines before the first sentence are its header: the first
one holding a date or time (digits with separators, in any script) is the date,
the first other one the author. Nothing here knows a word of any language.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .blocks import Block

#: A header line is at most this long.
HEADER_CHARS = 80
#: A trailing line of controls ("Reply") is at most this long.
ACTION_CHARS = 40
_DATE_TAIL = 5  # characters after the last number that still belong to the date ("7:42 am")
_DATE_OR_TIME = re.compile(r"\d{1,4}[./-]\d{1,2}(?:[./-]\d{1,4})?|\b\d{1,2}:\d\d\b|\b(?:1[89]|20)\d\d\b"
                           r"|\b\d{1,2}\s+\w+\s+(?:1[89]|20)\d\d\b")
_ENDS = frozenset(".!?…。！？")
_ID = re.compile(r"#[^.>]*")


@dataclass(frozen=True, slots=True)
class Comment:
    """One reader's post: its text, and its author and date as the page shows them (or None)."""

    text: str
    author: str | None = None
    date: str | None = None
    blocks: list[int] = field(default_factory=list)  # block indices the post was cut from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Comment":
        return cls(text=str(data.get("text") or ""), author=data.get("author"), date=data.get("date"),
                   blocks=[int(i) for i in data.get("blocks") or ()])


def _runs(flags: Sequence[bool]) -> list[list[int]]:
    """Indices of each run of consecutive True flags."""
    runs: list[list[int]] = []
    for i, flag in enumerate(flags):
        if flag:
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
    return runs


def _item_key(path: str | None) -> str | None:
    """The element a block is cut from, as its template shows it: tag and classes, no id
    (``li.comment#comment-801>div.comment-author`` -> ``div.comment-author``)."""
    if path is None:
        return None
    return _ID.sub("", path.rsplit(">", 1)[-1])


def _posts(blocks: Sequence[Block], run: list[int]) -> list[list[int]]:
    """A thread's blocks cut into posts.

    Posts are repeated items of one template, so each starts with a block cut from the
    same kind of element (the author line, the post's header...), nested replies
    included: the first such element of the run that comes back is taken as the start,
    and a post runs to the next block of that element. Blocks before the first start
    (the thread's heading) belong to no post; a run where no element comes back (text
    mode, a lone comment) is one post.
    """
    keys = [_item_key(blocks[i].path) for i in run]
    counts: dict[str, int] = {}
    for key in keys:
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    start = next((key for key in keys if key is not None and counts[key] >= 2), None)
    if start is None:
        return [run]
    posts: list[list[int]] = []
    for i, key in zip(run, keys):
        if key == start:
            posts.append([i])
        elif posts:
            posts[-1].append(i)
    return posts


def _is_action(text: str) -> bool:
    """A short line of controls after a post: no sentence, few letters."""
    return len(text) <= ACTION_CHARS and not (text and text[-1] in _ENDS)


def _is_header(text: str) -> bool:
    return len(text) <= HEADER_CHARS and not (text and text[-1] in _ENDS)


def _comment(blocks: Sequence[Block], post: list[int]) -> Comment:
    """The post's text, with its author and date lines taken out where evident."""
    author = date = None
    body_start = 0
    for k, i in enumerate(post):
        text = blocks[i].text.strip()
        if not _is_header(text) or k == len(post) - 1:
            break
        found = list(_DATE_OR_TIME.finditer(text)) if date is None else []
        if found:
            # "Karl M. 03.06.2024 18:22": the date runs from the first match to the last; the
            # words before it, if any, are the author
            start, end = found[0].start(), found[-1].end()
            date = text[start:] if len(text) - end <= _DATE_TAIL else text[start:end]  # "7:42 am"
            before = text[:start].strip(" \t|·•—–-,:")
            if author is None and before:
                author = before
        elif author is None and not any(ch.isdigit() for ch in text):
            author = text
        else:
            break
        body_start = k + 1
    body = [blocks[i].text.strip() for i in post[body_start:]]
    while len(body) > 1 and _is_action(body[-1]):  # "Reply", "Antworten · 41 Empfehlungen · Melden"
        body.pop()
    return Comment(text="\n\n".join(t for t in body if t), author=author, date=date, blocks=list(post))


def group_comments(blocks: Sequence[Block], is_comment: Sequence[bool]) -> list[Comment]:
    """The comments of a page, in page order, from its blocks and their comment flags."""
    out: list[Comment] = []
    for run in _runs(is_comment):
        for post in _posts(blocks, run):
            comment = _comment(blocks, post)
            if comment.text:
                out.append(comment)
    return out
