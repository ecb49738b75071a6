"""Bound what the HTML parser is given, in one linear pass, before it sees a page.

Why: lexbor (the parser) spends superlinear time or memory on some markup, and a
scraped page is untrusted. Measured on lexbor, each shape cheap to write:

* attributes of one tag, start or end tag (a duplicate check per attribute): quadratic;
* nesting (each block element looks down the stack of open elements): depth x elements;
* ``<option>`` elements of one ``<select>``: quadratic;
* text foster-parented out of a ``<table>`` and glued to the one text node before it,
  between comments or other tokens: quadratic time *and* memory (GBs from 2 MB);
* formatting elements (``<b>``, ``<font>``...) left open and re-opened by the parser
  for every later paragraph: elements x paragraphs, hundreds of MB from 10 KB.

So this module tokenizes the page as the HTML tokenizer does (quoted attribute values
may hold ``>``; comments, raw text and script escapes end where the parser ends them),
and models the tree builder just enough to count what the parser would build. Its
model may overcount depth (then markup is flattened sooner), never undercount.

An ordinary page costs one regex pass in C (:func:`_survey`): it finds tags with too
many attributes and counts what the gates below need. Only when a page has very many
tags, many options, tables on a large page or many formatting tags with attributes
does the slower per-tag model (:func:`_scan`) run. Where the parser's tree state
decides whether an element's content is markup or raw text (inside ``<svg>``, ``<math>``,
``<select>``, ``<frameset>``), the ``<`` of that content are escaped, so the parser and
this model read it the same way. The walk never reads those contents as text except
in the rare ``<xmp>``, ``<noembed>`` and ``<noframes>``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

from .errors import LimitError
from .limits import DEFAULT_LIMITS, Limits

logger = logging.getLogger("storyfilter")

_SMALL_PAGE = 4096  # characters; a page this short costs the parser little, whatever it holds
#: Above this many ``<`` the per-tag model runs: nesting costs lexbor about 1.7 ns x tags^2
#: (block elements: ``<div>``, ``<dl><dd>``, ``<li>``...), so the worst below it (8,000 nested
#: ``<dd>`` in ``<dl>``, 32 KB) costs about 0.11 s, inside 0.1 s + 2 s per MB; 12,000 cost 0.26 s.
#: Real pages: at most 21,646 (wcxb), median 1,884; 60 of 1,497 are above (the model
#: costs them about 25 ms each).
_SCAN_TAGS = 8_000
#: Options on a page above which the model runs and caps the options of each select.
_SCAN_OPTIONS = 1000
_MAX_OPTIONS = 1000  # per <select>: 1,000 cost lexbor about 4 ms; 40,000 cost 6 s
#: Text foster-parented out of a <table> costs lexbor up to about 0.26 bytes x its length x
#: the tokens between its pieces, and 0.2 ns x that product in a fresh process while the
#: memory stays small (up to 1 ns in a busy one); past about 200 MB the time jumps (1.4 ns:
#: 2.7 s for 400 KB of ``<?x>`` and text). With the page length and tag count as bounds, a
#: page over either limit below runs the model, which keeps those texts apart. (Real pages
#: with tables: 103 of 1,497 are over; the model costs them about 25 ms each.)
_FOSTER_MEMORY = 500_000_000  # length x tags: at most about 130 MB
_FOSTER_TIME = (100_000_000, 2000)  # length x tags over a + b x length: past 0.1 s + 2 s per MB at 1 ns

#: The parser keeps at most 3 alike (same name and attributes) active formatting elements
#: and re-opens them before text and most tags: (3 per name and attributes of the formatting
#: tags not closed at once) x tags above this runs the model, which counts them. (At 289,000,
#: 9.6 KB of unclosed <strike a0>... before <p>x cost 0.2 s and built 6 MB of markup.)
_SCAN_REOPEN = 100_000
#: Elements the parser may re-open on one page before it is refused (about 35 MB, 0.05 s
#: to parse, 0.15 s to segment; real pages: at most 102 on wcxb-dev). A small page gets
#: fewer (a free share plus one per two bytes), so its cost stays near 0.1 s + 2 s per MB.
_MAX_REOPENED = 100_000
_FREE_REOPENED = 20_000

#: What the guard holds any page to: segmenting it (guard, parse, walk) costs at most about
#: this many CPU seconds, plus this many per MB, on one core (bench/fuzz.py checks it).
#: Real pages cost a tenth of it (wcxb-dev: at most 0.2 s per MB).
BASE_SECONDS = 0.1
SECONDS_PER_MB = 2.0


def worst_case_seconds(size: int) -> float:
    """The most segmenting a page of ``size`` bytes (or characters) may cost: what a caller
    with a time budget compares with what is left before it starts the page."""
    return BASE_SECONDS + SECONDS_PER_MB * size / 1e6


_WS = "\t\n\f\r "
# One attribute as the HTML tokenizer reads it: separators, a name, and an optional value.
_ATTR = (rf"[{_WS}/]*+[^{_WS}/>][^{_WS}/=>]*+"
         rf"(?>[{_WS}]*+=[{_WS}]*+(?>\"[^\"]*+\"|'[^']*+'|[^{_WS}>]*+))?+")
_NAME = rf"[A-Za-z][^{_WS}/>]*+"
_END_NAME = rf"(?![^{_WS}/>])"  # the tag name ends here
_RAW = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext")
_FORMATTING = ("b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u")
_AMBIGUOUS = ("svg", "math", "select", "frameset")
# Start tags that end foreign content (<svg>, <math>) and go back to HTML rules; with the
# integration points and what changes tokenization, what a simple <svg> may not hold.
_BREAKOUT = ("b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li "
             "listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var font")
_NOT_IN_SIMPLE_SVG = "|".join(_BREAKOUT.split() + list(_RAW) + list(_AMBIGUOUS) + [
    "foreignobject", "desc", "annotation-xml", "mi", "mo", "mn", "ms", "mtext", "option", "template"])
_COMMENT = r"<!--(?>-*+>|(?:[^-]++|-(?!-!?>))*+(?:--!?>)?)"
_BOGUS = r"<!(?!--|\[CDATA\[)[^>]*+>?|<\?[^>]*+>?|</(?![A-Za-z])[^>]*+>?"
_LONE_LT = r"<(?![A-Za-z!?/])"


def _trie(words: list[str]) -> str:
    """A regex alternation of ``words`` factored by prefix, so a miss costs one or two tests."""
    heads: dict[str, list[str]] = {}
    for word in sorted(set(words)):
        heads.setdefault(word[0], []).append(word[1:])
    branches = []
    for head, rests in heads.items():
        ends = "" in rests
        inner = [r for r in rests if r]
        if not inner:
            branches.append(re.escape(head))
            continue
        sub = _trie(inner)
        if ends:
            sub = sub if sub.startswith("(?:") and sub.endswith(")") else f"(?:{sub})"
            sub += "?"
        branches.append(re.escape(head) + sub)
    return branches[0] if len(branches) == 1 and len(words) == 1 else "(?:" + "|".join(branches) + ")"


# The common form of an attribute: separators, a name, and ``=value`` right after it. Twice as
# fast for the regex engine as _ATTR; a tag in any other form (a="x"b, a = "x", =a) is not
# matched by the survey's loop and goes to the exact tokenizer (_Reader.tag).
_PLAIN_ATTR = rf"[{_WS}/]++[^{_WS}/>=]++(?:=(?:\"[^\"]*+\"|'[^']*+'|[^{_WS}>]++))?+"


def _tail(max_attributes: int) -> str:
    """The rest of a tag with at most ``max_attributes`` attributes, all in the common form."""
    return rf"(?:{_PLAIN_ATTR}){{0,{max_attributes}}}+[{_WS}/]*+(?:>|\Z)"


def _simple_svg(max_attributes: int) -> str:
    """An <svg> holding nothing that could leave foreign content or change tokenization."""
    tail = _tail(max_attributes)
    open_tail = rf"(?:{_PLAIN_ATTR}){{0,{max_attributes}}}+[{_WS}]*+(?<!/)>"  # not self-closed
    # (One alternative per name: back-references in possessive loops trip CPython 3.11's re.)
    text_only = "|".join(rf"<{t}{_END_NAME}{open_tail}[^<]*+</{t}[{_WS}]*+>" for t in ("style", "title", "desc"))
    return (rf"<svg{_END_NAME}{open_tail}(?:[^<]++|{_COMMENT}|{text_only}"
            rf"|</?(?!(?:{_NOT_IN_SIMPLE_SVG}){_END_NAME}){_NAME}{tail})*+</svg[{_WS}]*+>")


def _simple_select(max_attributes: int) -> str:
    """A <select> of at most a few hundred options and nothing else."""
    tail = _tail(max_attributes)
    return (rf"<select{_END_NAME}{tail}(?:[^<]++|{_COMMENT}|</?(?:option|optgroup){_END_NAME}{tail}"
            rf"|<hr{_END_NAME}{tail}){{0,2000}}+</select[{_WS}]*+>")


@lru_cache(maxsize=8)
def _survey_pattern(max_attributes: int, is_bytes: bool, ambiguous: bool) -> re.Pattern:
    """Ordinary tokens, consumed in C until one that needs a look (or the end of the page).

    Consumed here: text, comments, tags with at most ``max_attributes`` attributes, the
    raw text of <script>, <style>... (unless ``ambiguous``), formatting elements closed
    right after their text, a simple <svg> or <select>. Left for Python: the rest of
    the tags whose tree state or count matters (see _survey).
    """
    tail = _tail(max_attributes)
    formatting = _trie(list(_FORMATTING))
    names = _RAW + _AMBIGUOUS + ("option", "table")
    stops = rf"(?:{_trie(list(names))}{_END_NAME}|{formatting}[{_WS}/>])"
    firsts = "".join(sorted({name[0] for name in names + _FORMATTING}))
    start = rf"<(?!(?=[{firsts}]){stops}){_NAME}{tail}"  # (one class test for most names)
    end = rf"</{_NAME}{tail}"
    closed = "|".join(rf"<{f}{_END_NAME}{tail}[^<]*+</{f}[{_WS}]*+>" for f in _FORMATTING)
    special = [_simple_svg(max_attributes), _simple_select(max_attributes), closed]
    if not ambiguous:
        script = (rf"<script{_END_NAME}{tail}(?:[^<]++|<(?!/script[{_WS}/>]|!--))*+"
                  rf"(?=</script[{_WS}/>]|\Z)")
        special.append(script)
        special += [rf"<{r}{_END_NAME}{tail}(?:[^<]++|<(?!/{r}[{_WS}/>]))*+"
                    for r in _RAW if r not in ("script", "plaintext")]
    # An ordinary start tag costs the two lookaheads; the special ones are tried only behind them.
    specials = rf"(?=<{stops})(?:" + "|".join(special) + ")"
    alternatives = ["[^<]++", end, start, specials, _COMMENT, _BOGUS, _LONE_LT]
    pattern = "(?:" + "|".join(alternatives) + ")*+"
    return re.compile(pattern.encode() if is_bytes else pattern, re.IGNORECASE)


@lru_cache(maxsize=8)
def _patterns(is_bytes: bool) -> dict[str, re.Pattern]:
    def c(pattern: str, flags: int = 0) -> re.Pattern:
        return re.compile(pattern.encode() if is_bytes else pattern, flags)
    return {
        "tag": c(rf"<(/?)({_NAME})((?>{_ATTR})*+[{_WS}/]*+)(>?)"),
        "attr": c(_ATTR),
        "comment": c(_COMMENT),
        "bogus": c(_BOGUS),
        "script": c(rf"<!--(-*+>)?|-->|</script(?=[{_WS}/>])|<script(?=[{_WS}/>])", re.I),
        "non_ws": c(rf"[^{_WS}]"),
        "simple": c(f"{_simple_svg(DEFAULT_LIMITS.max_attributes)}|{_simple_select(DEFAULT_LIMITS.max_attributes)}",
                    re.I),
        **{name: c(rf"</{name}(?=[{_WS}/>])", re.I) for name in _RAW},
    }


_ESCAPE = None  # an edit that escapes the '<' of its span instead of replacing it


@dataclass
class _Edits:
    """Replacements of spans of the page (``_ESCAPE``: escape its ``<``), and why, for the log."""

    spans: list[tuple[int, int, str | None]] = field(default_factory=list)
    reasons: set[str] = field(default_factory=set)

    def add(self, start: int, end: int, text: str | None, reason: str) -> None:
        self.spans.append((start, end, text))
        self.reasons.add(reason)


@dataclass(slots=True)
class _Tag:
    """One start or end tag as the tokenizer reads it."""

    name: str  # lowercase
    end_tag: bool
    start: int
    end: int  # past the closing ``>`` (or the end of the page)
    self_closing: bool
    attrs_text: str | bytes  # the tag's text after its name


class _Reader:
    """The HTML tokenizer's view of a page (tags, comments, raw text) and the edits to make."""

    def __init__(self, html: str | bytes, limits: Limits) -> None:
        self.html = html
        self.is_bytes = isinstance(html, bytes)
        self.p = _patterns(self.is_bytes)
        self.limits = limits
        self.edits = _Edits()
        self.ambiguous = False  # seen a context where tree state decides what raw text is
        self.lt = b"<" if self.is_bytes else "<"
        self._names: dict[str | bytes, str] = {}

    def name(self, raw: str | bytes) -> str:
        name = self._names.get(raw)
        if name is None:
            name = raw.lower()
            if self.is_bytes:
                name = name.decode("latin-1")
            self._names[raw] = name
        return name

    def tag(self, pos: int) -> _Tag | None:
        """The tag at ``pos`` (a ``<``), its attributes past the limit cut; None if not a tag."""
        m = self.p["tag"].match(self.html, pos)
        if m is None:
            return None
        after_name, end = m.span(3)
        if end - after_name > 2 * self.limits.max_attributes:  # long enough to hold too many
            self._cap_attributes(after_name, end)
        text = m.group(3)
        return _Tag(self.name(m.group(2)), bool(m.group(1)), pos, m.end(), text[-1:] in ("/", b"/"), text)

    def _cap_attributes(self, start: int, end: int) -> None:
        attr = self.p["attr"].match
        pos = start
        for _ in range(self.limits.max_attributes):
            m = attr(self.html, pos)
            if m is None:
                return
            pos = m.end()
        if attr(self.html, pos) is not None:
            self.edits.add(pos, end, "", "attributes")

    def skip_non_tag(self, pos: int) -> int:
        """Past the comment, bogus comment or CDATA section at ``pos``; ``pos + 1`` for a lone ``<``."""
        html = self.html
        if html.startswith(b"<![CDATA[" if self.is_bytes else "<![CDATA[", pos) and self.ambiguous:
            # Text in <svg>/<math>, a bogus comment up to the first '>' elsewhere: escaped, it is
            # text either way.
            end = html.find(b"]]>" if self.is_bytes else "]]>", pos)
            end = len(html) if end < 0 else end + 3
            self.escape(pos + 1, end)
            return end
        if html.startswith(b"<![CDATA[" if self.is_bytes else "<![CDATA[", pos):
            end = html.find(b">" if self.is_bytes else ">", pos)  # in HTML content: a bogus comment
            return len(html) if end < 0 else end + 1
        for key in ("comment", "bogus"):
            m = self.p[key].match(html, pos)
            if m is not None:
                return m.end()
        return pos + 1

    def raw_end(self, name: str, pos: int) -> int:
        """Where the raw text of a ``name`` element that starts at ``pos`` ends (its end tag)."""
        if name == "plaintext":
            return len(self.html)
        if name != "script":
            m = self.p[name].search(self.html, pos)
            return len(self.html) if m is None else m.start()
        state = 0  # script data, escaped (after "<!--"), double escaped (then "<script")
        for m in self.p["script"].finditer(self.html, pos):
            token = m.group(0)[:3].lower()
            if token in ("<!-", b"<!-"):
                state = 0 if m.group(1) else (state or 1)
            elif token in ("-->", b"-->"):
                state = 0
            elif token in ("</s", b"</s"):
                if state < 2:
                    return m.start()
                state = 1
            elif state == 1:
                state = 2
        return len(self.html)

    def skip_raw(self, name: str, pos: int) -> int:
        """Past the raw text of a ``name`` element; escaped where tree state decides how it reads."""
        stop = self.raw_end(name, pos)
        if self.ambiguous:
            self.escape(pos, stop)
        return stop

    def escape(self, start: int, end: int) -> None:
        if self.html.find(self.lt, start, end) >= 0:
            self.edits.add(start, end, _ESCAPE, "escape")

    def apply(self) -> str | bytes:
        """The page with every edit made (a str), or the page itself when there is none."""
        if not self.edits.spans:
            return self.html
        html = self.html
        pieces = []
        done = 0
        for start, end, text in sorted(self.edits.spans, key=lambda s: (s[0], -s[1])):
            if start < done:
                continue  # inside an earlier edit
            pieces.append(html[done:start])
            if text is _ESCAPE:
                pieces.append(html[start:end].replace(self.lt, b"&lt;" if self.is_bytes else "&lt;"))
            elif text:
                pieces.append(text.encode() if self.is_bytes else text)
            done = end
        pieces.append(html[done:])
        out = (b"" if self.is_bytes else "").join(pieces)
        return out.decode("utf-8", "replace") if self.is_bytes else out


@dataclass
class _Survey:
    """What the gates need: options, where the first table starts, formatting tags not closed at once."""

    options: int = 0
    first_table: int = -1
    formatting: dict = field(default_factory=dict)  # (name, attributes) -> tags not closed at once

    def reopenable(self) -> int:
        """At most how many formatting elements the parser can hold active at once."""
        return sum(min(3, count) for count in self.formatting.values())


def _survey(reader: _Reader) -> _Survey:
    """One pass over the page: crowded tags cut, raw text skipped, counts for the gates."""
    html = reader.html
    survey = _Survey()
    limit = reader.limits.max_attributes
    match = _survey_pattern(limit, reader.is_bytes, False).match
    end = len(html)
    pos = 0
    while True:
        pos = match(html, pos).end()
        if pos >= end:
            return survey
        tag = reader.tag(pos)
        if tag is None:
            pos = reader.skip_non_tag(pos)
            continue
        pos = tag.end
        if tag.end_tag:
            continue
        name = tag.name
        if name in _RAW:
            pos = reader.skip_raw(name, pos)
        elif name in _AMBIGUOUS_SET:
            if not reader.ambiguous:
                reader.ambiguous = True
                match = _survey_pattern(limit, reader.is_bytes, True).match
        elif name == "option":
            survey.options += 1
        elif name == "table":
            if survey.first_table < 0:
                survey.first_table = tag.start
        elif name in _FORMATTING_SET:
            key = (name, tag.attrs_text)
            survey.formatting[key] = survey.formatting.get(key, 0) + 1


_FORMATTING_SET = frozenset(_FORMATTING)
_VOID = frozenset("area base basefont bgsound br col embed frame hr img image input keygen link meta param "
                  "source track wbr".split())
_NO_PUSH = _VOID | {"html", "head", "body"}  # html/head/body open once, at the bottom; later ones merge
_SPECIAL = frozenset(
    "address applet area article aside base basefont bgsound blockquote body br button caption center col "
    "colgroup dd details dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 "
    "h4 h5 h6 head header hgroup hr html iframe img input keygen li link listing main marquee menu meta nav "
    "noembed noframes noscript object ol p param plaintext pre script search section select source style "
    "summary table tbody td template textarea tfoot th thead title tr track ul wbr xmp "
    "mi mo mn ms mtext annotation-xml foreignobject desc".split())
_NONE: frozenset[str] = frozenset()
_SCOPE = frozenset("applet caption html table td th marquee object template "
                   "mi mo mn ms mtext annotation-xml foreignobject desc title".split())
_BUTTON_SCOPE = _SCOPE | {"button"}
_LIST_SCOPE = _SCOPE | {"ol", "ul"}
_TABLE_SCOPE = frozenset(("html", "table", "template"))
_CLOSES_P = frozenset("address article aside blockquote center details dialog dir div dl fieldset figcaption "
                      "figure footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 "
                      "h5 h6 pre listing form hr xmp plaintext".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_TABLE_CONTEXT = frozenset("table tbody thead tfoot tr colgroup".split())  # text here is foster-parented
_SECTIONS = ("tbody", "thead", "tfoot")
_CELLS = frozenset(("td", "th"))
_MARKERS = frozenset("td th caption applet marquee object template".split())
_BREAKOUT_SET = frozenset(_BREAKOUT.split())
# Start tags before which the parser does not re-open formatting elements (the spec's "in body").
_NO_REOPEN = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer header "
    "hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5 h6 pre listing form li dd dt plaintext "
    "table hr textarea iframe noembed param source track frameset body html head base basefont bgsound link meta "
    "noframes script style template title caption col colgroup frame tbody td tfoot th thead tr rb rtc rp rt".split())
_INTEGRATION = frozenset("foreignobject desc title mi mo mn ms mtext annotation-xml".split())
_AMBIGUOUS_SET = frozenset(_AMBIGUOUS)


class _Tree:
    """The parser's stack of open elements and active formatting elements, approximately.

    Every pop here is one the HTML tree builder makes too; where it might not, the
    element stays open (so depth is overcounted, never undercounted).
    """

    def __init__(self, reader: _Reader, max_depth: int) -> None:
        self.reader = reader
        self.max_depth = max_depth
        self.names: list[str] = []
        self.foreign: list[bool] = []
        self.entries: list[list | None] = []  # each open formatting element's active entry
        self.open: dict[str, int] = {}
        self.dropped: dict[str, int] = {}  # start tags cut, whose end tags are cut too
        self.select_options: list[int] = []  # options seen in each open <select>
        # Active formatting elements since the last marker: [name, key, open] or None (a marker).
        self.active: list[list | None] = []
        self.reopened = 0
        self.max_reopened = min(_MAX_REOPENED, _FREE_REOPENED + len(reader.html) // 2)

    # ----- the stack ----------------------------------------------------------------------
    def push(self, name: str, foreign: bool, entry: list | None = None) -> None:
        self.names.append(name)
        self.foreign.append(foreign)
        self.entries.append(entry)
        self.open[name] = self.open.get(name, 0) + 1
        if foreign:
            return
        if name == "select":
            self.select_options.append(0)
        elif name in _MARKERS:
            self.active.append(None)

    def pop_to(self, index: int) -> None:
        """Pop the elements from the top down to ``index``, included."""
        names = self.names
        while len(names) > index:
            name = names.pop()
            self.open[name] -= 1
            entry = self.entries.pop()
            if self.foreign.pop():
                continue
            if entry is not None:
                entry[2] = False
            elif name == "select":
                self.select_options.pop()
            elif name in _MARKERS:
                while self.active and self.active.pop() is not None:
                    pass

    def pop(self) -> None:
        self.pop_to(len(self.names) - 1)

    def find(self, name: str, boundaries: frozenset[str], stop_at_special: bool = False) -> int:
        """Index of the innermost open ``name`` in scope (no boundary above it), or -1."""
        if not self.open.get(name):
            return -1
        names = self.names
        for i in range(len(names) - 1, -1, -1):
            current = names[i]
            if current == name:
                return i
            if current in boundaries or (stop_at_special and current in _SPECIAL):
                return -1
        return -1

    @property
    def top(self) -> str:
        return self.names[-1] if self.names else "html"

    def in_foreign(self) -> bool:
        """Whether a start tag here would be read by the rules of <svg>/<math> content."""
        return bool(self.foreign) and self.foreign[-1] and self.names[-1] not in _INTEGRATION

    # ----- active formatting elements -----------------------------------------------------
    def reconstruct(self) -> None:
        """Re-open the active formatting elements no longer open, as the parser does before
        text and most start tags; refuse the page when that grows past ``_MAX_REOPENED``."""
        active = self.active
        if not active or active[-1] is None or active[-1][2]:
            return
        i = len(active) - 1
        while i > 0 and active[i - 1] is not None and not active[i - 1][2]:
            i -= 1
        self.reopened += len(active) - i
        if self.reopened > self.max_reopened:
            raise LimitError(f"page makes the parser re-open more than {self.max_reopened:,} formatting elements "
                             "(many unclosed <b>, <font>... before many paragraphs)")
        for entry in active[i:]:
            entry[2] = True
            self.push(entry[0], False, entry)

    def forget_formatting_above(self, index: int) -> None:
        """Count the formatting elements above ``index`` as closed, keep them on the stack: for a
        pop the parser may or may not make (both re-openings and depth then count high)."""
        for entry in self.entries[index + 1:]:
            if entry is not None:
                entry[2] = False

    def remove_at(self, index: int) -> None:
        """Take one element out of the stack, leaving those above it (``</form>`` does this)."""
        above = [(self.names[i], self.foreign[i], self.entries[i]) for i in range(index + 1, len(self.names))]
        self.pop_to(index)
        for name, foreign, entry in above:
            self.push(name, foreign, entry)
            if entry is not None:
                entry[2] = True

    def open_formatting(self, name: str, key: str | bytes) -> None:
        """Push a formatting element and add it to the active list (the parser keeps 3 alike)."""
        alike = 0
        for j in range(len(self.active) - 1, -1, -1):
            entry = self.active[j]
            if entry is None:
                break
            if entry[0] == name and entry[1] == key:
                alike += 1
                if alike == 3:
                    del self.active[j]
                    break
        entry = [name, key, True]
        self.active.append(entry)
        self.push(name, False, entry)

    def close_formatting(self, name: str) -> bool:
        """``</b>`` and friends, as the adoption agency does for depth; False if none is active."""
        for j in range(len(self.active) - 1, -1, -1):
            entry = self.active[j]
            if entry is None:
                return False
            if entry[0] == name:
                break
        else:
            return False
        if not entry[2]:
            del self.active[j]  # not open: only forgotten
            return True
        index = self.find(name, _SCOPE)
        if index < 0:
            return True  # open but not in scope: ignored
        if any(n in _SPECIAL for n in self.names[index + 1:]):
            return True  # the parser moves the block above it, and re-opens it inside: same depth
        del self.active[j]
        self.pop_to(index)
        return True


def _scan(reader: _Reader, limits: Limits) -> None:
    """The per-tag model: depth, options per select, foster-parented text, re-opened formatting."""
    html = reader.html
    tree = _Tree(reader, limits.max_depth)
    non_ws = reader.p["non_ws"].search
    find = html.find
    lt = reader.lt
    end = len(html)
    pos = 0
    after_token = True
    while pos < end:
        nxt = find(lt, pos)
        stop = end if nxt < 0 else nxt
        if stop > pos and not tree.in_foreign():  # text
            if tree.top not in _TABLE_CONTEXT:
                tree.reconstruct()
            elif non_ws(html, pos, stop) is not None:  # foster-parented (white space stays in the table)
                if after_token:
                    reader.edits.add(pos, pos, "<wbr>", "foster")  # keeps those texts apart
                tree.reconstruct()
        if nxt < 0:
            break
        tag = reader.tag(nxt)
        if tag is None:
            pos = reader.skip_non_tag(nxt)
            after_token = pos != nxt + 1  # a lone '<' is text
            continue
        pos = tag.end
        after_token = True
        if tag.end_tag:
            _end_tag(tree, tag)
        elif _start_tag(tree, tag):
            pos = reader.skip_raw(tag.name, pos)


def _start_tag(tree: _Tree, tag: _Tag) -> bool:
    """Apply a start tag to the model, or cut it; True when raw text follows it."""
    name = tag.name
    if tree.in_foreign():
        if name not in _BREAKOUT_SET:
            if not tag.self_closing:
                _push_or_cut(tree, tag, True)
            return False
        while tree.in_foreign():
            tree.pop()
    if name in _AMBIGUOUS_SET and not tree.reader.ambiguous:
        tree.reader.ambiguous = tree.reader.p["simple"].match(tree.reader.html, tag.start) is None
    if name not in _NO_REOPEN:
        tree.reconstruct()
    if name in _CLOSES_P:
        i = tree.find("p", _BUTTON_SCOPE)
        if i >= 0:
            tree.pop_to(i)
        if name in _HEADINGS and tree.top in _HEADINGS:
            tree.pop()
    elif name == "li" or name == "dd" or name == "dt":
        _close_list_item(tree, ("li",) if name == "li" else ("dd", "dt"))
        i = tree.find("p", _BUTTON_SCOPE)
        if i >= 0:
            tree.pop_to(i)
    elif name == "button":
        i = tree.find("button", _SCOPE)
        if i >= 0:
            tree.pop_to(i)
    elif name == "option" or name == "optgroup":
        if tree.top == "option":
            tree.pop()
        if name == "optgroup" and tree.top == "optgroup" and tree.select_options:
            tree.pop()  # only in a <select>: elsewhere (a <datalist>, the body) optgroups nest
        if tree.select_options:
            tree.select_options[-1] += 1
            if tree.select_options[-1] > _MAX_OPTIONS:
                _cut(tree, tag, "options")
                return False
    elif name in _TABLE_PARTS:
        _open_table_part(tree, name)
    elif name == "table":
        if tree.top in _TABLE_CONTEXT:  # a table in a table (not in a cell) closes it
            i = tree.find("table", _TABLE_SCOPE)
            if i >= 0:
                tree.pop_to(i)
        else:  # closes an open <p> unless the page is in quirks mode: take both
            i = tree.find("p", _BUTTON_SCOPE)
            if i >= 0:
                tree.forget_formatting_above(i)
    elif name == "select":
        i = tree.find("select", _NONE)
        if i >= 0 and all(n == "option" or n == "optgroup" for n in tree.names[i + 1:]):
            tree.pop_to(i)  # a <select> in a select closes it
            return False
    elif (name == "a" or name == "nobr") and tree.open.get(name):
        tree.close_formatting(name)
    if name in _NO_PUSH:
        return False
    if name in _FORMATTING_SET:
        if len(tree.names) >= tree.max_depth:
            _cut(tree, tag, "depth")
        else:
            tree.open_formatting(name, tag.attrs_text)
        return False
    foreign = name == "svg" or name == "math"
    if not _push_or_cut(tree, tag, foreign):
        return False
    if foreign:
        if tag.self_closing:
            tree.pop()
        return False
    return name in _RAW


_TABLE_PARTS = frozenset("td th tr tbody thead tfoot caption colgroup".split())
_TABLE_LEVELS = frozenset("table tbody thead tfoot tr td th caption template html".split())


def _open_table_part(tree: _Tree, name: str) -> None:
    """A cell, row, section, caption or column group: close what it closes, as the parser does.

    In a table the parser first closes an open cell, then clears the stack back to the
    row, section or table it goes in (elements foster-parented above them included), and
    implies the sections it needs. Outside a table the tag is ignored (here: pushed).
    """
    names = tree.names
    level = next((i for i in range(len(names) - 1, -1, -1) if names[i] in _TABLE_LEVELS), -1)
    if level < 0 or names[level] in ("template", "html"):
        return
    if names[level] in _CELLS or names[level] == "caption":
        if name == names[level] or name in _CELLS or name in ("tr", "tbody", "thead", "tfoot", "colgroup"):
            tree.pop_to(level)
            level = next((i for i in range(len(names) - 1, -1, -1) if names[i] in _TABLE_LEVELS), -1)
        else:
            return
    keep = ("tr",) if name in _CELLS else _SECTIONS if name == "tr" else ("table",)
    while level >= 0 and names[level] not in keep and names[level] != "table":
        tree.pop_to(level)  # a row or section that this part closes
        level = next((i for i in range(len(names) - 1, -1, -1) if names[i] in _TABLE_LEVELS), -1)
    if level < 0:
        return
    tree.pop_to(level + 1)  # what was foster-parented above it
    if (name == "tr" or name in _CELLS) and names[level] == "table":
        tree.push("tbody", False)
    if name in _CELLS and tree.top in _SECTIONS:
        tree.push("tr", False)


def _push_or_cut(tree: _Tree, tag: _Tag, foreign: bool) -> bool:
    if len(tree.names) >= tree.max_depth:
        _cut(tree, tag, "depth")
        return False
    tree.push(tag.name, foreign)
    return True


def _cut(tree: _Tree, tag: _Tag, reason: str) -> None:
    """Drop a start tag (its content stays, read as part of its parent) and, later, its end tag."""
    tree.reader.edits.add(tag.start, tag.end, "", reason)
    tree.dropped[tag.name] = tree.dropped.get(tag.name, 0) + 1


def _close_list_item(tree: _Tree, names: tuple[str, ...]) -> None:
    for i in range(len(tree.names) - 1, -1, -1):
        current = tree.names[i]
        if current in names:
            tree.pop_to(i)
            return
        if current in _SPECIAL and current not in ("address", "div", "p"):
            return


def _end_tag(tree: _Tree, tag: _Tag) -> None:
    """Apply an end tag to the model, or cut it when its start tag was cut."""
    name = tag.name
    if tree.dropped.get(name):
        tree.dropped[name] -= 1
        tree.reader.edits.add(tag.start, tag.end, "", "depth")
        return
    if name in _NO_PUSH:
        return  # </body> and </html> close nothing: what follows is read as part of the body
    names = tree.names
    if tree.foreign and tree.foreign[-1]:
        for i in range(len(names) - 1, -1, -1):
            if not tree.foreign[i]:
                break
            if names[i] == name:
                tree.pop_to(i)
                return
    if name in _FORMATTING_SET and tree.close_formatting(name):
        return
    if name in _HEADINGS:  # any heading end tag closes the innermost heading
        i = max((tree.find(h, _SCOPE) for h in _HEADINGS), default=-1)
        if i >= 0:
            tree.pop_to(i)
        return
    if not tree.open.get(name):
        return
    if tree.select_options and name not in ("select", "option", "optgroup") \
            and tree.find("select", _NONE) > tree.find(name, _NONE):
        return  # inside a select, other end tags are ignored
    if name in _TABLE_CONTEXT or name in _CELLS or name == "caption":
        i = tree.find(name, _TABLE_SCOPE)
    elif name == "form":
        i = tree.find(name, _SCOPE)
        if i >= 0:
            tree.remove_at(i)
        return
    elif name == "p":
        i = tree.find(name, _BUTTON_SCOPE)
    elif name == "li":
        i = tree.find(name, _LIST_SCOPE)
    elif name in _SPECIAL:
        i = tree.find(name, _SCOPE)
    else:
        i = tree.find(name, _NONE, stop_at_special=True)
    if i >= 0:
        tree.pop_to(i)


def guard_markup(html: str | bytes, limits: Limits = DEFAULT_LIMITS) -> str | bytes:
    """Bound the markup given to the parser (see the module docstring and :class:`Limits`).

    ``html`` is a str, or UTF-8 bytes. Returns ``html`` itself when nothing needs a
    change (the usual case); otherwise a changed copy (a str), and logs what changed
    on the ``storyfilter`` logger. Raises :class:`LimitError` for a page the parser
    cannot be kept from blowing up on.
    """
    if len(html) <= _SMALL_PAGE:
        return html
    is_bytes = isinstance(html, bytes)
    tags = html.count(b"<" if is_bytes else "<")
    if tags > limits.max_tags:
        lt = b"<" if is_bytes else "<"
        cut = next(islice(re.finditer(re.escape(lt), html), limits.max_tags, None)).start()
        logger.warning("page has %d tags; only the first %d are read (Limits.max_tags)", tags, limits.max_tags)
        html = html[:cut]
        tags = limits.max_tags
    reader = _Reader(html, limits)
    survey = _survey(reader)
    if _needs_model(html, tags, survey):
        reader = _Reader(html, limits)  # the model makes the survey's edits again
        _scan(reader, limits)
    _log(reader.edits.reasons, limits)
    out = reader.apply()
    if is_bytes and out is html:
        return html
    return out


def _needs_model(html: str | bytes, tags: int, survey: _Survey) -> bool:
    """Whether the page could cost the parser more than its budget without the per-tag model."""
    if tags > _SCAN_TAGS or survey.options > _SCAN_OPTIONS:
        return True
    if survey.first_table >= 0:  # foster-parented text can only follow the first table
        length = len(html) - survey.first_table
        size = length * html.count(b"<" if isinstance(html, bytes) else "<", survey.first_table)
        if size > _FOSTER_MEMORY or size > _FOSTER_TIME[0] + _FOSTER_TIME[1] * length:
            return True
    return survey.reopenable() * tags > _SCAN_REOPEN


_MESSAGES = {
    "depth": (logging.WARNING, "page nests %d+ elements deep; deeper tags are dropped (Limits.max_depth)",
              "max_depth"),
    "attributes": (logging.INFO, "a tag has more than %d attributes; the rest are dropped "
                   "(Limits.max_attributes)", "max_attributes"),
    "options": (logging.INFO, "a <select> has more than %d options; the rest are dropped", None),
    "foster": (logging.INFO, "text directly inside a <table> is kept apart from its neighbours", None),
    "escape": (logging.INFO, "markup inside raw text in <svg>/<math>/<select> is escaped", None),
}


def _log(reasons: set[str], limits: Limits) -> None:
    for reason in sorted(reasons):
        level, message, limit = _MESSAGES[reason]
        if limit is not None:
            logger.log(level, message, getattr(limits, limit))
        elif "%d" in message:
            logger.log(level, message, _MAX_OPTIONS)
        else:
            logger.log(level, message)
