"""HTML to ordered blocks, in one iterative walk over a lexbor DOM (selectolax).

A block is the text between two block-level boundaries: entering or leaving a
block-level element (``p``, ``div``, ``li``, ``h2``, ``td``...) or a ``<br>``.
Inline elements (``a``, ``span``, ``b``...) stay inside the block and add no space
of their own: a block's text is its text nodes as written, joined as they stand
("H<sub>2</sub>O" is "H2O", a drop cap joins its word, "<a>x</a>, y" keeps its comma
on the word), with runs of whitespace (thin and no-break spaces too) collapsed and soft
hyphens dropped. One exception: two sibling inline elements that touch with no text
between them ("<a>Home</a><a>News</a>", "<span>2026</span><span>1h 54m</span>") are
items a style sheet lays out apart, so a space separates them, except before punctuation,
between CJK characters, at <sub>/<sup> and between two formatting tags
("un<b>believ</b><i>able</i>" is one word). Link text is counted for the link share.
The walk keeps an explicit stack instead of recursing, so a deep page costs time, not
the Python stack.

Before parsing, :func:`guard_markup` (:mod:`classifier.guard`) bounds what the parser is
given, in one linear pass: tags, nesting, attributes per tag and the other markup the
parser spends superlinear time or memory on (see :mod:`classifier.limits`).
"""
from __future__ import annotations

import logging
import re

from selectolax.lexbor import LexborHTMLParser

from .blocks import Block, Shape
from .decoding import decode_for_parser
from .guard import guard_markup
from .limits import DEFAULT_LIMITS, Limits, collapse_whitespace

logger = logging.getLogger("storyfilter")

BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu "
    "nav ol p pre section summary table tbody td tfoot th thead tr ul caption option "
    "li label".split()
)
SKIP_TAGS = frozenset(
    "script style template svg math iframe object embed canvas head select "
    "textarea video audio picture source track map area meta link title base".split()
)
_KIND = {"p": "paragraph", "h1": "heading", "h2": "heading", "h3": "heading", "h4": "heading",
         "h5": "heading", "h6": "heading", "li": "list_item", "dd": "list_item",
         "dt": "list_item", "td": "table_cell", "th": "table_cell", "pre": "preformatted",
         "blockquote": "quote", "figcaption": "caption", "caption": "caption",
         "summary": "block", "label": "label", "option": "label", "legend": "label"}
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_SOFT_HYPHEN = "\u00ad"
# Put between two sibling inline elements that touch (no text between them): menu links,
# metadata chips and tags that a style sheet lays out apart. It becomes a space unless
# punctuation or whitespace already stands there or both sides are CJK (see _joined).
# The parser drops NUL from text, so the mark cannot come from the page.
_GAP = "\x00"
_CJK = "[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"
_GAP_GLUE = re.compile("\x00+(?=[\\s,.;:!?)\\]}%\u00bb\u201d\u2019'\u3001\u3002\uff0c\uff0e]|$)"
                       "|(?:^|(?<=[\\s(\\[{\u00ab\u201c\u2018]))\x00+"
                       f"|(?<={_CJK})\x00+(?={_CJK})")
_GAP_RUN = re.compile("\x00+")
_NO_GAP_TAGS = frozenset(("sub", "sup", "wbr"))
_FORMATTING_TAGS = frozenset("b i em strong u s mark small big font abbr dfn ins del tt".split())
_LIST_TAGS = frozenset("ul ol menu dir".split())
_CELL_TAGS = frozenset(("td", "th"))
_OWN_ID = -2  # in a shared Shape: "the id of the element the block is cut in"
_SHAPE_TAGS = _HEADINGS | _LIST_TAGS | frozenset("li table tr td th thead pre".split())
_LISTS = frozenset("ul ol li dl menu".split())
_ARTICLE = frozenset("article main".split())
_MAIN_WORDS = frozenset(("main_content", "articlebody"))
# Tags whose name is a feature word of their own (their content is read, but the model
# should know where it sits: <noscript> holds whole forum threads on some sites).
_TAG_WORDS = {"noscript": ("noscript",), "nav": ("nav",), "footer": ("footer",), "header": ("header",),
              "aside": ("aside",), "form": ("form",), "button": ("button",)}
_WORD_SPLIT = re.compile(r"[^a-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# In lowercase ASCII, a word is a whole run of 2 to 24 letters.
_ASCII_LOWER_WORD = re.compile(r"(?<![a-z])[a-z]{2,24}(?![a-z])")
_EXTRA_ATTRS = ("role", "itemprop", "aria-label", "data-component", "data-testid")
_EXTRA_SET = frozenset(_EXTRA_ATTRS)
# Attributes besides class and id that can change an element's description.
_DESC_ATTRS = _EXTRA_SET | frozenset(("hidden", "aria-hidden", "style"))
_TOKEN_DEPTH = 8  # how many enclosing elements lend their class/id words to a block
_PATH_DEPTH = 12  # how many enclosing elements the printed path shows
# The caches below are plain dicts, emptied when full: cheaper than an LRU, and a page
# mostly repeats values it has itself used, or that all pages use.
_VALUE_CACHE_SIZE = 8192
_SUFFIX_CACHE_SIZE = 16384


def attribute_words(value: str | None) -> list[str]:
    """Split a class or id value into lowercase words: ``relatedPosts_box-2`` -> related, posts, box."""
    if not value:
        return []
    if value.isascii():  # the same words as below, with no Python work per word
        if not value.islower():  # capitals (or no letters): cut before each aB, then lowercase
            value = _CAMEL.sub(" ", value).lower()
        return _ASCII_LOWER_WORD.findall(value)
    value = _CAMEL.sub(" ", value).lower()
    return [w for w in _WORD_SPLIT.split(value) if 1 < len(w) < 25]


_value_cache: dict[str, tuple[str | None, tuple[str, ...]]] = {}


def _value_words(value: str) -> tuple[str | None, tuple[str, ...]]:
    """The first space-separated token of an attribute value (for the path) and its words."""
    known = _value_cache.get(value)
    if known is None:
        if len(_value_cache) >= _VALUE_CACHE_SIZE:
            _value_cache.clear()
        first = value.split(None, 1)
        known = _value_cache[value] = (first[0] if first else None), tuple(attribute_words(value))
    return known


_NO_DESC: tuple[str, tuple[str, ...]] = ("", ())


def _describe(attrs: dict, tag: str) -> tuple[str, tuple[str, ...]]:
    """The path label (``div.main#content``) and the feature words of an element."""
    if not attrs:
        return tag, _TAG_WORDS.get(tag, ())
    get = attrs.get
    label = tag
    words: tuple[str, ...] = _TAG_WORDS.get(tag, ())
    value = get("class")
    if value:
        first, words = _value_words(value)
        if first:
            label += "." + first
    value = get("id")
    if value:
        first, more = _value_words(value)
        if first:
            label += "#" + first
        words += more
    if _DESC_ATTRS.isdisjoint(attrs):  # the usual case: nothing below applies
        return label, words
    if not _EXTRA_SET.isdisjoint(attrs):
        words += _value_words(" ".join(get(name) or "" for name in _EXTRA_ATTRS if name in attrs))[1]
    if get("role") == "main" or get("itemprop") == "articleBody":
        words += ("main_content",)
    if "hidden" in attrs or get("aria-hidden") == "true":
        words += ("hidden",)
    else:
        value = get("style")
        if value and "none" in value and "display" in value:
            words += ("hidden",)
    return label, words


_suffix_cache: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}


def _owner_suffix(tag: str, words: tuple[str, ...]) -> tuple[str, ...]:
    """The dom_tokens a block takes from its own block element: ``tag_p``, ``self_lead``..."""
    key = (tag, words)
    suffix = _suffix_cache.get(key)
    if suffix is None:
        if len(_suffix_cache) >= _SUFFIX_CACHE_SIZE:
            _suffix_cache.clear()
        suffix = _suffix_cache[key] = ("tag_" + tag,) + tuple(["self_" + word for word in words])
    return suffix


def segment_html(html: str | bytes, limits: Limits = DEFAULT_LIMITS, *,
                 encoding: str | None = None, structure: bool = False) -> list[Block]:
    """Cut an HTML document into blocks in reading order.

    ``bytes`` are decoded first (see :mod:`classifier.decoding`; ``encoding`` is the
    transport charset, if known); UTF-8 bytes go to the parser as they are, which
    saves a copy. The markup is bounded by :func:`guard_markup` before it is parsed.
    Raises :class:`InputError` for binary bytes. ``structure=True`` also works out what
    rendering needs: each block's full ``Block.shape`` (heading level, list, table, <pre>),
    ``Block.raw`` and ``Block.links``. Scoring does not need them and gets only the tag
    in ``shape``, which keeps the walk as fast as before.
    """
    return segment_tree(parse_html(html, limits, encoding=encoding), limits, structure=structure)


def parse_html(html: str | bytes, limits: Limits = DEFAULT_LIMITS, *,
               encoding: str | None = None) -> LexborHTMLParser:
    """Decode (if bytes), bound (:func:`guard_markup`) and parse a page: the one tree that
    both the blocks and the page's metadata are read from."""
    if isinstance(html, (bytes, bytearray, memoryview)):
        html, _ = decode_for_parser(html, encoding)
    return LexborHTMLParser(guard_markup(html, limits))


def segment_tree(tree: LexborHTMLParser, limits: Limits = DEFAULT_LIMITS, *,
                 structure: bool = False) -> list[Block]:
    """The blocks of an already parsed page (:func:`parse_html`), in reading order."""
    start = tree.body or tree.root
    if start is None:
        return []
    return _walk(start, limits, structure)


# ----- the walk ----------------------------------------------------------------------------
# What an element means to the walk, as bits of one int per tag name (see _tag_code). The
# _IN_* bits are inherited: an open element's flags are its parent's plus its own, so the
# flags of the innermost one say whether the walk is inside a heading, a link...
_IN_HEADING, _IN_LIST, _IN_TABLE, _IN_LINK, _IN_ARTICLE = 1, 2, 4, 8, 16
_IN_PRE = 512
_IN_ARTICLE_LINK = 1024  # inside an <a> whose href looks like another article's (see _article_href)
_INHERITED = _IN_HEADING | _IN_LIST | _IN_TABLE | _IN_LINK | _IN_ARTICLE | _IN_PRE | _IN_ARTICLE_LINK
_SHAPED = _IN_HEADING | _IN_LIST | _IN_TABLE | _IN_PRE  # a block inside these gets a worked-out Shape
_BLOCK = 32  # a block-level element: entering or leaving it ends the current block
_BREAK = 64  # <br>, <hr>: ends the current block; what it holds is not read
_SKIP = 128  # not read at all: comments, <script>, <svg>...
_MAYBE_MAIN = 256  # <div>, <section>: marks an article when its words say so

# The tag id of a text node (lexbor's LXB_TAG__TEXT). ``node.tag_id`` is an int; ``node.tag``
# decodes a new str for every element, so the walk maps ids to tags itself.
_TEXT_ID = LexborHTMLParser("<p>x</p>").body.first_child.first_child.tag_id


# A link to a story rather than a section: a path segment of four or more words (a slug),
# a long numeric id or a dated path. Teaser cards link to other stories; menus link to
# sections. Language-neutral; string counts, not a backtracking pattern, as a page may
# hold thousands of links.
_DATED_PATH = re.compile(r"/(?:19|20)\d\d/[01]?\d(?:/|$)")
_LONG_ID = re.compile(r"[0-9]{5}")
_NOT_PAGE_SCHEMES = ("javascript:", "mailto:", "tel:", "data:")


def _article_href(href: str | None) -> bool:
    """Whether a link's target looks like an article (what a teaser card links to)."""
    if not href or href[:11].lower().startswith(_NOT_PAGE_SCHEMES):
        return False
    target = href.split("#", 1)[0]
    if "//" in target[:12]:  # absolute: the host is not part of the path
        rest = target.split("//", 1)[1]
        slash = rest.find("/")
        target = rest[slash:] if slash >= 0 else ""
    path = target.split("?", 1)[0]
    if path.count("-") + path.count("_") >= 3 \
            and any(segment.count("-") + segment.count("_") >= 3 for segment in path.split("/")):
        return True
    return _DATED_PATH.search(path) is not None or _LONG_ID.search(target) is not None


def _tag_code(tag: str | None) -> int:
    """The bits above for a tag name (None for a node that is not an element)."""
    if tag is None or tag[0] == "-" or tag in SKIP_TAGS:
        return _SKIP
    code = 0
    if tag in BLOCK_TAGS:
        code |= _BLOCK
    if tag == "br" or tag == "hr":
        code |= _BREAK
    if tag in _HEADINGS:
        code |= _IN_HEADING
    elif tag in _LISTS:
        code |= _IN_LIST
    elif tag == "table":
        code |= _IN_TABLE
    elif tag == "a":
        code |= _IN_LINK
    elif tag == "pre":
        code |= _IN_PRE
    if tag in _ARTICLE:
        code |= _IN_ARTICLE
    elif tag == "div" or tag == "section":
        code |= _MAYBE_MAIN
    return code


# One open element on the walk's stack is a list (cheaper to make than an object):
#   [node, tag, is_block, serial, flags, desc, window, context, memo]
# ``serial`` numbers the entered elements (the container id of the blocks of its children);
# ``flags`` see _tag_code; ``desc`` the element's (path label, feature words), worked out
# when first needed; ``window`` see _window; ``context`` the Block fields shared by all
# blocks cut while this element is the innermost open one (see _block_context); ``memo``
# what the element's last child with a context needed (see _block_context). The elements
# below an open element do not change while it is open, so each of these is worked out once.
_EMPTY_WINDOW: tuple = ((), (), (), "")


def _window(stack: list[list]) -> tuple:
    """``(labels, words, flat words, path)`` of the innermost open element.

    ``labels`` and ``words`` are the path labels and feature words of the last _PATH_DEPTH
    and _TOKEN_DEPTH open elements, ``flat`` the words in one tuple, ``path`` the labels
    joined. Each open element's window is built from its parent's, so an element is
    described once however many blocks it holds.
    """
    i = len(stack) - 1
    while i >= 0 and stack[i][6] is None:
        i -= 1
    window = stack[i][6] if i >= 0 else _EMPTY_WINDOW
    for frame in stack[i + 1:]:
        desc = frame[5]
        if desc is None:
            desc = frame[5] = _describe(frame[0].attributes, frame[1])
        window = frame[6] = _extend_window(window, desc)
    return window


def _extend_window(window: tuple, desc: tuple[str, tuple[str, ...]]) -> tuple:
    """The window of an element described by ``desc`` whose parent has ``window``."""
    labels, words, flat, path = window
    label, own = desc
    if len(labels) >= _PATH_DEPTH:
        oldest = labels[0]
        labels = labels[1:] + (label,)
        if oldest:  # it leads the path: drop "oldest>"
            path = path[len(oldest) + 1:]
    else:
        labels += (label,)
    if label:
        path = f"{path}>{label}" if path else label
    if len(words) >= _TOKEN_DEPTH:
        flat = flat[len(words[0]):] + own
        words = words[1:] + (own,)
    else:
        flat += own
        words += (own,)
    return labels, words, flat, path


def _block_context(stack: list[list], structure: bool) -> tuple:
    """The Block fields of a block cut with this stack, except index, text and link_chars:
    ``(kind, path, dom_tokens, container, depth, heading, in_list, in_table, in_article, ancestors,
    shape)``.

    Siblings with the same tag, description, blockness and flags (the paragraphs of a
    story, the items of a menu) get the same fields, so each takes them from its parent's
    memo of the previous such sibling.
    """
    top = stack[-1]
    desc = top[5]
    if desc is None:
        desc = top[5] = _describe(top[0].attributes, top[1])
    parent = stack[-2] if len(stack) > 1 else None
    if parent is not None:
        memo = parent[8]
        if memo is not None and memo[0] == top[1] and memo[1] == top[2] and memo[2] == top[4] and memo[3] == desc:
            top[6] = memo[4]
            return memo[5]
    window = top[6] or _window(stack)
    owner_i = len(stack) - 1
    while owner_i > 0 and not stack[owner_i][2]:
        owner_i -= 1
    owner = stack[owner_i]  # the nearest block element; _window described it
    tag = owner[1]
    flags = top[4]
    context = (_KIND.get(tag, "block"), window[3], window[2] + _owner_suffix(tag, owner[5][1]),
               stack[owner_i - 1][3] if owner_i > 0 else -1, len(stack), (flags & _IN_HEADING) != 0,
               (flags & _IN_LIST) != 0, (flags & _IN_TABLE) != 0, (flags & _IN_ARTICLE) != 0,
               tuple([frame[3] for frame in stack[:owner_i]]),
               _shape(stack, tag) if structure and flags & _SHAPED else _plain_shape(tag))
    if parent is not None:
        parent[8] = (top[1], top[2], flags, desc, window, context)
    return context


_plain_shapes: dict[str, Shape] = {}


def _plain_shape(tag: str) -> Shape:
    """The Shape of a block outside headings, lists, tables and <pre>: its tag alone."""
    shape = _plain_shapes.get(tag)
    if shape is None:
        shape = _plain_shapes[tag] = Shape(tag)
    return shape


def _shape(stack: list[list], owner_tag: str) -> Shape:
    """The structure around the innermost open element: heading level, list, table, <pre>.

    The shape is shared by siblings (see _block_context), so the innermost element's own id
    is left as _OWN_ID, and _cut_block puts in the id of the element the block is cut in.
    """
    level = list_depth = 0
    ordered = header = pre = False
    item = row = cell = -1
    top = stack[-1]
    for frame in stack:
        tag = frame[1]
        if tag not in _SHAPE_TAGS:
            continue
        if tag in _HEADINGS:
            level = int(tag[1])
        elif tag in _LIST_TAGS:
            list_depth += 1
            ordered = tag == "ol"
        elif tag == "li":
            item = frame[3] if frame is not top else _OWN_ID
        elif tag == "table":
            row = cell = -1
            header = False
        elif tag == "tr":
            row = frame[3] if frame is not top else _OWN_ID
        elif tag in _CELL_TAGS:
            cell = frame[3] if frame is not top else _OWN_ID
            header = header or tag == "th"
        elif tag == "thead":
            header = True
        elif tag == "pre":
            pre = True
    return Shape(owner_tag, level, list_depth, ordered, item, row, cell, header, pre)


def _own_ids(shape: Shape, own: int) -> Shape:
    """``shape`` with _OWN_ID replaced by ``own``, the id of the element a block is cut in."""
    if shape.item == _OWN_ID or shape.row == _OWN_ID or shape.cell == _OWN_ID:
        shape = shape._replace(**{name: own for name in ("item", "row", "cell") if getattr(shape, name) == _OWN_ID})
    return shape


def _cut_block(blocks: list[Block], parts: list[str], full: bool, link_chars: int, stack: list[list],
               max_chars: int, links: list | None, article_link_chars: int = 0) -> None:
    """Turn the collected text into a block and empty ``parts`` (and ``links``).

    ``parts`` holds the block's text nodes as written (whitespace-only ones only after a
    text with a non-space character), so the block is never empty; they are joined with
    nothing between them, as a browser shows inline elements.
    """
    raw = None
    if full:  # already collapsed and cut by the compaction in _walk
        text = parts[0]
    else:
        text = _joined(parts)
        joined = text
        text = " ".join(text.split()) if len(text) <= max_chars else collapse_whitespace(text, max_chars)
    parts.clear()
    top = stack[-1]
    context = top[7]
    if context is None:
        context = top[7] = _block_context(stack, links is not None)
    kind, path, tokens, container, depth, heading, in_list, in_table, in_article, ancestors, shape = context
    if not text:  # only soft hyphens
        if links:
            links.clear()
        return
    if shape.pre or shape.list_depth or shape.row != -1:  # the own-id fields are -1 elsewhere
        shape = _own_ids(shape, top[3])
    if shape.pre and not full:
        raw = joined.strip("\n").rstrip()
    block = Block(len(blocks), text, kind, path, tokens, container, link_chars, depth,
                  heading, in_list, in_table, in_article, ancestors=ancestors, shape=shape, raw=raw,
                  article_link_chars=article_link_chars)
    if links:  # a list only when the walk records structure
        block.links = _block_links(links)
        links.clear()
    blocks.append(block)


def _joined(parts: list[str]) -> str:
    """The collected texts as one string: soft hyphens dropped, gap marks resolved."""
    text = "".join(parts)
    if _SOFT_HYPHEN in text:
        text = text.replace(_SOFT_HYPHEN, "")
    if _GAP in text:
        text = _GAP_RUN.sub(" ", _GAP_GLUE.sub("", text))
    return text


def _block_links(links: list) -> tuple[tuple[str, str], ...]:
    """``(text, href)`` per link from the walk's ``(link element id, href, text node)`` triples."""
    grouped: dict[int, list] = {}
    for serial, href, text in links:
        known = grouped.get(serial)
        if known is None:
            grouped[serial] = [href, text]
        else:
            known[1] += text
    out = []
    for href, text in grouped.values():
        anchor = " ".join(text.replace(_SOFT_HYPHEN, "").split())
        if anchor and href:
            out.append((anchor, href))
    return tuple(out)


def _touches_inline_sibling(node, tag: str) -> bool:
    """Whether ``node``'s previous sibling is an element, with no text between them.

    Two formatting tags that touch ("un<b>believ</b><i>able</i>") are one word.
    """
    prev = node.prev
    if prev is None or prev.tag_id == _TEXT_ID:
        return False
    return not (tag in _FORMATTING_TAGS and prev.tag in _FORMATTING_TAGS)


def _link_of(stack: list[list]) -> tuple[int, str]:
    """The id and href of the innermost open <a>."""
    for i in range(len(stack) - 1, 0, -1):
        frame = stack[i]
        if frame[1] == "a":
            return frame[3], (frame[0].attrs.get("href") or "").strip()
    return -1, ""


def _walk(start, limits: Limits, structure: bool = False) -> list[Block]:
    """The blocks under ``start``, in one pass over the DOM with an explicit stack."""
    blocks: list[Block] = []
    parts: list[str] = []  # the texts of the block being collected
    # (link element id, href, text) of the block's link texts; None: structure not recorded
    links: list | None = [] if structure else None
    parts_len = 0
    full = False  # the current block already holds max_block_chars characters
    link_chars = 0
    article_link_chars = 0
    flags = 0  # of the innermost open element
    serial = 0
    nodes_left = limits.max_nodes
    max_blocks = limits.max_blocks
    max_chars = limits.max_block_chars
    max_depth = limits.max_depth
    compact_at = 4 * max_chars
    text_id = _TEXT_ID
    # tag id -> (tag, _tag_code). Per page: lexbor numbers unknown tags per document. (An
    # <svg> child can share an id with an HTML tag of another case, clipPath and clippath,
    # but the walk never enters <svg> or <math>.)
    codes: dict[int, tuple[str | None, int]] = {}
    stack: list[list] = [[start, start.tag or "body", True, 0, 0, None, None, None, None]]
    cur = start.first_child
    while True:
        if cur is None:  # the innermost open element ends
            if len(stack) <= 1:
                break
            frame = stack[-1]
            if parts and frame[2]:
                _cut_block(blocks, parts, full, link_chars, stack, max_chars, links, article_link_chars)
                if len(blocks) >= max_blocks:
                    return blocks
                parts_len = link_chars = article_link_chars = 0
                full = False
            stack.pop()
            flags = stack[-1][4]
            cur = frame[0].next
            continue
        nodes_left -= 1
        if nodes_left < 0:
            break
        tag_id = cur.tag_id
        if tag_id == text_id:
            text = None if cur.is_empty_text_node else cur.text_content
            if text is None or text.isspace():  # whitespace only (thin spaces too): a space between inline elements
                if parts and not full:
                    text = cur.text_content if flags & _IN_PRE else " "
                    parts.append(text)
                    parts_len += len(text)
            elif text:
                if flags & _IN_LINK:
                    in_link = len(text.strip())
                    link_chars += in_link
                    if flags & _IN_ARTICLE_LINK:
                        article_link_chars += in_link
                    if links is not None and not full:
                        links.append((*_link_of(stack), text))
                if not full:
                    parts.append(text)
                    parts_len += len(text)
                    if parts_len > compact_at:  # a huge block: keep only what it may hold
                        kept = collapse_whitespace(_joined(parts), max_chars)
                        parts[:] = [kept]
                        parts_len = len(kept)
                        full = parts_len >= max_chars
            cur = cur.next
            continue
        known = codes.get(tag_id)
        if known is None:
            tag = cur.tag
            known = codes[tag_id] = (tag, _tag_code(tag))
        tag, code = known
        child = None if code & (_SKIP | _BREAK) else cur.first_child
        if child is None:  # skipped, a <br>/<hr>, or empty: a break or an empty block element ends the block
            if parts and (code & _BREAK or code & (_BLOCK | _SKIP) == _BLOCK):
                _cut_block(blocks, parts, full, link_chars, stack, max_chars, links, article_link_chars)
                if len(blocks) >= max_blocks:
                    return blocks
                parts_len = link_chars = article_link_chars = 0
                full = False
            cur = cur.next
            continue
        serial += 1
        flags |= code & _INHERITED
        if code & _IN_LINK and _article_href(cur.attributes.get("href")):
            flags |= _IN_ARTICLE_LINK
        if len(stack) >= max_depth:  # too deep: the element is read as part of its parent
            frame = [cur, tag, False, serial, flags, _NO_DESC, None, None, None]
        else:
            is_block = (code & _BLOCK) != 0
            if is_block and parts:
                _cut_block(blocks, parts, full, link_chars, stack, max_chars, links, article_link_chars)
                if len(blocks) >= max_blocks:
                    return blocks
                parts_len = link_chars = article_link_chars = 0
                full = False
            if (parts and not is_block and not flags & _IN_PRE and tag not in _NO_GAP_TAGS
                    and _touches_inline_sibling(cur, tag)):
                parts.append(_GAP)
            frame = [cur, tag, is_block, serial, flags, None, None, None, None]
            if code & _MAYBE_MAIN:
                desc = frame[5] = _describe(cur.attributes, tag)
                if not _MAIN_WORDS.isdisjoint(desc[1]):
                    flags |= _IN_ARTICLE
                    frame[4] = flags
        stack.append(frame)
        cur = child
    if parts:
        _cut_block(blocks, parts, full, link_chars, stack, max_chars, links, article_link_chars)
    return blocks
