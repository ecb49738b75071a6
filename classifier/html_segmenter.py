"""HTML to ordered blocks, in one iterative walk over a lexbor DOM (selectolax).

A block is the text between two block-level boundaries: entering or leaving a
block-level element (``p``, ``div``, ``li``, ``h2``, ``td``...) or a ``<br>``.
Inline elements (``a``, ``span``, ``b``...) stay inside the block; their link
text is counted for the link share. The walk keeps an explicit stack instead of
recursing, so a page nested 100,000 deep costs time, not the Python stack.
"""
from __future__ import annotations

import re
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser

from .blocks import Block
from .limits import DEFAULT_LIMITS, Limits

BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu "
    "nav ol p pre section summary table tbody td tfoot th thead tr ul caption option "
    "li label".split()
)
SKIP_TAGS = frozenset(
    "script style noscript template svg math iframe object embed canvas head select "
    "textarea video audio picture source track map area meta link title base".split()
)
_KIND = {"p": "paragraph", "h1": "heading", "h2": "heading", "h3": "heading", "h4": "heading",
         "h5": "heading", "h6": "heading", "li": "list_item", "dd": "list_item",
         "dt": "list_item", "td": "table_cell", "th": "table_cell", "pre": "preformatted",
         "blockquote": "quote", "figcaption": "caption", "caption": "caption",
         "summary": "block", "label": "label", "option": "label", "legend": "label"}
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_LISTS = frozenset("ul ol li dl menu".split())
_ARTICLE = frozenset("article main".split())
_WORD_SPLIT = re.compile(r"[^a-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_COUNTED = _HEADINGS | _LISTS | _ARTICLE | frozenset(("table", "a"))
_EXTRA_ATTRS = ("role", "itemprop", "aria-label", "data-component", "data-testid")
_TOKEN_DEPTH = 8  # how many enclosing elements lend their class/id words to a block
_PATH_DEPTH = 12  # how many enclosing elements the printed path shows


def attribute_words(value: str | None) -> list[str]:
    """Split a class or id value into lowercase words: ``relatedPosts_box-2`` -> related, posts, box."""
    if not value:
        return []
    value = _CAMEL.sub(" ", value).lower()
    return [w for w in _WORD_SPLIT.split(value) if 1 < len(w) < 25]


class _Frame:
    """One open element on the walk's stack; its label and tokens are worked out only when needed."""

    __slots__ = ("node", "tag", "is_block", "serial", "flat", "article", "_desc")

    def __init__(self, node, tag: str, is_block: bool, serial: int, flat: bool) -> None:
        self.node = node
        self.tag = tag
        self.is_block = is_block
        self.serial = serial
        self.flat = flat
        self.article = False
        self._desc: tuple[str, tuple[str, ...]] | None = None

    def describe(self) -> tuple[str, tuple[str, ...]]:
        """The path label (``div.main#content``) and the feature tokens of this element."""
        if self._desc is None:
            self._desc = ("", ()) if self.flat else _describe(self.node.attributes, self.tag)
        return self._desc


@lru_cache(maxsize=8192)
def _describe_cached(tag: str, cls: str, ident: str, extra: str) -> tuple[str, tuple[str, ...]]:
    label = tag
    words: list[str] = []
    if cls:
        first = cls.split()
        if first:
            label += "." + first[0]
        words += attribute_words(cls)
    if ident:
        first = ident.split()
        if first:
            label += "#" + first[0]
        words += attribute_words(ident)
    if extra:
        words += attribute_words(extra)
    return label, tuple(words)


def _describe(attrs: dict, tag: str) -> tuple[str, tuple[str, ...]]:
    if not attrs:
        return tag, ()
    extra = " ".join(attrs.get(name) or "" for name in _EXTRA_ATTRS if name in attrs)
    label, words = _describe_cached(tag, attrs.get("class") or "", attrs.get("id") or "", extra)
    if "hidden" in attrs or attrs.get("aria-hidden") == "true" or (
            "none" in (attrs.get("style") or "") and "display" in attrs["style"]):
        words = words + ("hidden",)
    return label, words


def segment_html(html: str | bytes, limits: Limits = DEFAULT_LIMITS) -> list[Block]:
    """Cut an HTML document into blocks in reading order."""
    tree = LexborHTMLParser(html)
    start = tree.body or tree.root
    if start is None:
        return []
    return _walk(start, limits)


def _walk(start, limits: Limits) -> list[Block]:
    blocks: list[Block] = []
    parts: list[str] = []
    link_chars = 0
    stack: list[_Frame] = []
    heading = in_list = in_table = in_article = in_link = 0
    serial = 0
    visited = 0
    max_blocks = limits.max_blocks
    max_chars = limits.max_block_chars
    max_depth = limits.max_depth
    block_tags = BLOCK_TAGS
    skip_tags = SKIP_TAGS

    def flush() -> None:
        nonlocal link_chars
        if not parts:
            return
        text = " ".join(" ".join(parts).split())
        parts.clear()
        chars = link_chars
        link_chars = 0
        if not text or len(blocks) >= max_blocks:
            return
        if len(text) > max_chars:
            text = text[:max_chars]
        owner_i = len(stack) - 1
        while owner_i > 0 and not stack[owner_i].is_block:
            owner_i -= 1
        owner = stack[owner_i]
        tokens: list[str] = []
        labels: list[str] = []
        for frame in stack[-_PATH_DEPTH:]:
            if not frame.flat:
                label, words = frame.describe()
                labels.append(label)
        for frame in stack[-_TOKEN_DEPTH:]:
            tokens.extend(frame.describe()[1])
        tokens.append("tag_" + owner.tag)
        tokens.extend(["self_" + t for t in owner.describe()[1]])
        container = stack[owner_i - 1].serial if owner_i > 0 else -1
        blocks.append(Block(
            index=len(blocks), text=text, kind=_KIND.get(owner.tag, "block"),
            path=">".join(labels), dom_tokens=tuple(tokens), container=container,
            link_chars=chars, depth=len(stack), heading=heading > 0, in_list=in_list > 0,
            in_table=in_table > 0, in_article=in_article > 0,
        ))

    stack.append(_Frame(start, start.tag or "body", True, 0, False))
    cur = start.child
    while True:
        if cur is None:
            if len(stack) <= 1:
                break
            frame = stack[-1]
            tag = frame.tag
            if frame.is_block:
                flush()
            if tag in _COUNTED:
                if tag in _HEADINGS:
                    heading -= 1
                elif tag in _LISTS:
                    in_list -= 1
                elif tag == "table":
                    in_table -= 1
                elif tag == "a":
                    in_link -= 1
            if frame.article:
                in_article -= 1
            stack.pop()
            cur = frame.node.next
            continue
        visited += 1
        if visited > limits.max_nodes:
            break
        tag = cur.tag
        if tag == "-text":
            text = cur.text_content
            if text and not text.isspace():
                parts.append(text)
                if in_link:
                    link_chars += len(text.strip())
            cur = cur.next
            continue
        if tag is None or tag[0] == "-" or tag in skip_tags:
            cur = cur.next
            continue
        child = cur.child
        if child is None or tag == "br" or tag == "hr":
            if tag in block_tags or tag == "br" or tag == "hr":
                flush()
            cur = cur.next
            continue
        serial += 1
        flat = len(stack) >= max_depth
        is_block = tag in block_tags and not flat
        if is_block:
            flush()
        frame = _Frame(cur, tag, is_block, serial, flat)
        stack.append(frame)
        if tag in _COUNTED:
            if tag in _HEADINGS:
                heading += 1
            elif tag in _LISTS:
                in_list += 1
            elif tag == "table":
                in_table += 1
            elif tag == "a":
                in_link += 1
            if tag in _ARTICLE:
                frame.article = True
        elif not flat and tag in ("div", "section") and "articlebody" in frame.describe()[1]:
            frame.article = True
        if frame.article:
            in_article += 1
        cur = child
    flush()
    return blocks
