"""Readers' comments from comment blocks: one comment per post, with author and date where evident.

The comment head (:mod:`classifier.comment_role`) marks blocks; a reader wants
posts. Consecutive comment blocks form a thread; a thread's posts are the
children of the deepest element that holds all its blocks (each ``<li>`` of an
``<ol class=commentlist>``, each ``div.comment``), so a post's header lines and
paragraphs stay together. Without a DOM (text mode) each run of comment lines
is one comment.

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
_DATE_OR_TIME = re.compile(r"\d{1,4}[./-]\d{1,2}(?:[./-]\d{1,4})?|\b\d{1,2}:\d\d\b|\b(?:1[89]|20)\d\d\b"
                           r"|\b\d{1,2}\s+\w+\s+(?:1[89]|20)\d\d\b")
_ENDS = frozenset(".!?…。！？")


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


def _posts(blocks: Sequence[Block], run: list[int]) -> list[list[int]]:
    """A thread's blocks cut into posts: by the child of their deepest common element."""
    chains = [blocks[i].ancestors for i in run]
    if not all(chains):
        return [run]
    depth = 0
    shortest = min(map(len, chains))
    while depth < shortest and all(c[depth] == chains[0][depth] for c in chains):
        depth += 1
    posts: list[list[int]] = []
    last_key: int | None = None
    for i, chain in zip(run, chains):
        if depth >= len(chain):  # the common element's own text (a reply link after a post): that post's
            if posts:
                posts[-1].append(i)
            else:
                posts.append([i])
            continue
        if posts and chain[depth] == last_key:
            posts[-1].append(i)
        else:
            posts.append([i])
        last_key = chain[depth]
    return posts


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
            start = found[0].start()
            date = text[start:found[-1].end()]
            before = text[:start].strip(" \t|·•—–-,:")
            if author is None and before:
                author = before
        elif author is None and not any(ch.isdigit() for ch in text):
            author = text
        else:
            break
        body_start = k + 1
    body = [blocks[i].text.strip() for i in post[body_start:]]
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
