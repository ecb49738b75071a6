"""The words that tell a readers' comment thread, for the weak comment labels of ``training.comments``.

Class/id words are matched whole (``commentary`` is an opinion section, not a
thread) and also when split (``comment-list`` -> comment, list). A comment word
next to a state or control word names no thread (``has-comments``,
``comments-open``, ``comment-button``). The phrase lists are a measure for
training and evaluation only; the classifier learns its own evidence.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from classifier.blocks import Block
from classifier.html_segmenter import attribute_words

COMMENT_WORDS = frozenset(
    "comment comments commentlist commentlisting commentwrap commentswrap commentarea commentsarea "
    "commentbody commentcontent commenttext commentmeta commentmetadata commentauthor commentthread "
    "commentsection commentssection commentcontainer commentscontainer commentitem commentblock "
    "newcomment usercomment usercomments gistcomment jcomments jscomments bypostauthor disqus disqusthread "
    "kommentar kommentare commentaire commentaires comentario comentarios commento commenti reacties "
    "komentarze kommentit".split()
)
_MAX_JOIN = 3  # split words are rejoined up to 3 in a row
#: Every comment word holds one of these: words without any cannot join into one.
_STEMS = ("comm", "disqus", "komm", "koment", "comentar", "reacties", "bypostauthor")
STATE_BEFORE = frozenset("has no hide hidden show showing with without allow open toggle".split())
STATE_AFTER = frozenset(
    "open opened closed enabled disabled allowed hidden hide off on count counter number icon btn button "
    "toggle trigger link links bubble badge".split()
)
#: Joined words of lists and counters *about* comments: "Recent comments" widgets, "12 Comments" links.
ABOUT_COMMENTS = frozenset(
    "recentcomments latestcomments lastcomments topcomments popularcomments mostcommented mostdiscussed "
    "commentcount commentscount commentcounter commentslink commentlink nocomments commentsnumber".split()
)
#: Customer reviews and seller feedback: not comments here (see ``training.comments``).
REVIEW_WORDS = frozenset("review reviews reviewer reviewers feedback fdbk testimonial testimonials".split())
#: Path words of the element that holds a comment form.
FORM_WORDS = frozenset("form respond commentform replyform".split())

#: A block that only counts comments.
COUNTER = re.compile(
    r"^\W*(?:\d+|no|one)\s+(?:comments?|responses?|replies|reactions?|kommentare?|commentaires?|comentarios?|"
    r"commenti)\W*$",
    re.IGNORECASE,
)
_THREAD_TITLES = (r"comments?|responses?|replies|reader comments|user comments|discussion about this (?:post|article)|"
                  r"join the (?:discussion|conversation)|kommentare?|leserkommentare|diskussion|commentaires?|"
                  r"réactions?|comentarios?|commenti|reacties")
_FORM_TITLES = (r"leave a (?:reply|comment)|post a comment|add a comment|kommentieren|schreiben? sie einen kommentar|"
                r"schreibe einen kommentar|laisser un commentaire|deja un comentario|deixe um comentário|"
                r"lascia un commento")
#: The heading of a comment thread: "Comments", "12 Comments", "Kommentare (9)", "3 thoughts on ...", or its form's.
COMMENT_HEADING = re.compile(
    rf"^\W*(?:\d+\s+)?(?:{_THREAD_TITLES})\s*(?:\(\s*\d+\s*\)|\d+)?\W*$"
    rf"|^\W*(?:\d+|one|two|three)\s+(?:thoughts?|responses?|comments?|replies|kommentare?)\s+(?:on|to|zu|sur)\b"
    rf"|^\W*(?:{_FORM_TITLES})\b",
    re.IGNORECASE,
)
#: The heading of a comment form rather than of the comments.
FORM_HEADING = re.compile(rf"^\W*(?:{_FORM_TITLES})\b", re.IGNORECASE)
#: A comment item's reply or attribution line.
REPLY_LINE = re.compile(
    r"^\W*(?:reply|reply to .{1,60}|antworten|répondre|responder|rispondi|beantwoorden|"
    r".{1,60}\s(?:says|said|wrote|schreibt|schrieb|sagt|a écrit|dice|escribió)\s?:)\W*$",
    re.IGNORECASE,
)


def block_words(block: Block) -> list[str]:
    """The block's DOM words without the ``self_`` mark of its own element."""
    return [t[5:] if t.startswith("self_") else t for t in block.dom_tokens]


def comment_words(tokens: Sequence[str]) -> frozenset[str]:
    """The comment-thread words among DOM words, also when split, unless a state or control word is next to them."""
    return _comment_words(tuple(tokens))


@lru_cache(maxsize=8192)
def _comment_words(tokens: tuple[str, ...]) -> frozenset[str]:
    """Cached: the blocks of one element share their words. Most carry no stem of a comment word at all."""
    joined_all = "".join(tokens)
    if not any(stem in joined_all for stem in _STEMS):
        return frozenset()
    found = set()
    for i in range(len(tokens)):
        joined = ""
        for k in range(i, min(i + _MAX_JOIN, len(tokens))):
            joined += tokens[k]
            if joined in COMMENT_WORDS:
                before = tokens[i - 1] if i else ""
                after = tokens[k + 1] if k + 1 < len(tokens) else ""
                if before not in STATE_BEFORE and after not in STATE_AFTER:
                    found.add(joined)
    return frozenset(found)


def about_comments(block: Block) -> bool:
    """True for a counter ("12 Comments") or a link in a list about comments ("Recent comments").

    The list's words alone do not decide it: a thread may mark its newest posts
    ``recent-comments``, and its posts are long text, not short links.
    """
    if COUNTER.match(block.text):
        return True
    words = block_words(block)
    pairs = (a + b for a, b in zip(words, words[1:]))
    named = bool(ABOUT_COMMENTS.intersection(words)) or any(p in ABOUT_COMMENTS for p in pairs)
    return named and (block.link_share >= 0.5 or len(block.text) < 25)


def in_reviews(block: Block) -> bool:
    """True inside customer reviews or seller feedback: a review word on a container of the block.

    A review word on the block's own element only (``div.reviewText`` in a comment
    list) does not make a thread of reviews.
    """
    own = sum(1 for t in block.dom_tokens if t.startswith("self_") and t[5:] in REVIEW_WORDS)
    return sum(1 for t in block.dom_tokens if t in REVIEW_WORDS) > own


def _label_words(label: str) -> tuple[str, list[str]]:
    """The tag and the class/id words of one path label (``div.comment-form#respond``)."""
    tag = re.split(r"[.#]", label, maxsplit=1)[0]
    return tag, attribute_words(label[len(tag):])


def in_comment_form(block: Block) -> bool:
    """True for a block of a comment form: a ``<form>`` (or ``#respond``) inside the thread's element.

    A form that wraps the whole page (ASP.NET, Drupal) sits above the thread's
    element and does not count.
    """
    labels = (block.path or "").split(">")
    thread_at = None
    for k, label in enumerate(labels):
        tag, words = _label_words(label)
        joined = {a + b for a, b in zip(words, words[1:])}
        is_form = tag == "form" or bool(FORM_WORDS.intersection(words) or FORM_WORDS.intersection(joined))
        if is_form and (thread_at is not None or k >= len(labels) - 4):
            return True
        if thread_at is None and not is_form and comment_words(words):
            thread_at = k
    return False
