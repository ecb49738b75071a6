"""Input limits: what storyfilter accepts before it answers with an error or a shortened page.

Hostile or broken pages (a 50 MB upload, 100,000 nested ``<div>``, a million
tiny elements, one tag with a hundred thousand attributes) must cost bounded
time and memory. Each limit below says what happens when a page crosses it:

* ``max_bytes`` is a hard refusal: a longer page raises :class:`LimitError` (an
  :class:`InputError`) before anything is decoded or parsed. The only other refusal is
  markup the parser cannot be kept from blowing up on (see :mod:`classifier.guard`).
* The markup limits (``max_tags``, ``max_depth``, ``max_attributes``) are applied to
  the HTML *before* the parser sees it, because the parser's time and memory grow
  with them (lexbor's memory grows with the number of elements, and its time with
  nesting depth x elements and with attributes x attributes of one element).
  Markup past a limit is dropped, the text is kept where possible, and the cut is
  logged on the ``storyfilter`` logger (a warning for tags and depth; attributes,
  which carry no text, at INFO). The same pass bounds what no limit here names
  (options per ``<select>``, text foster-parented out of tables).
* The walk limits (``max_nodes``, ``max_blocks``, ``max_block_chars``) bound the
  work and the output after parsing; text past them is dropped from the end.

Real pages sit far below every default (on the 1,497 wcxb-dev pages: at most
5.3 MB, 21,646 ``<``, nesting 55 deep, 136 attributes on one element, a few
hundred blocks), so the defaults only ever bite on broken or hostile input.
Override them per model: ``load_model(limits=Limits(max_bytes=...))`` or
``StoryFilter(models, limits=...)``; ``segment_html``/``segment_text`` take a
``limits`` argument too.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Hard limits applied while decoding and segmenting one page (see the module docstring)."""

    #: Pages longer than this (bytes, or characters for ``str`` input) are refused with
    #: ``InputError``. 16 MiB is three times the largest wcxb page; a 50 MB page is refused
    #: at once instead of costing seconds and a gigabyte of memory.
    max_bytes: int = 16 * 1024 * 1024
    #: Tags (counted as ``<`` characters) handed to the parser; the page is cut before the
    #: next ``<`` past this. Bounds parser memory (about 200 bytes per element) and time:
    #: a page of 1,000,000 ``<i>x</i>`` is read up to its first 250,000 tags.
    max_tags: int = 250_000
    #: Elements nested deeper than this are flattened into their ancestor at this depth: the
    #: segmenter ignores their structure, and on pages with many tags their start and end
    #: tags are dropped before parsing (the parser's time grows with depth x elements).
    max_depth: int = 512
    #: Attributes kept on one tag, start or end tag; the rest are dropped before parsing
    #: (the parser checks each attribute against all earlier ones of the same tag, so
    #: 200,000 attributes would take minutes). Tags are read as the HTML tokenizer reads
    #: them, quoted values holding ``>`` included (see :mod:`classifier.guard`).
    max_attributes: int = 1024
    #: DOM nodes visited by the segmenter; the rest of the page is ignored.
    max_nodes: int = 2_000_000
    #: Blocks kept per page; blocks past this are dropped from the end of the page.
    max_blocks: int = 20_000
    #: A longer block is cut to this many characters (after whitespace is collapsed).
    max_block_chars: int = 100_000

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_tags", "max_depth", "max_attributes", "max_nodes",
                     "max_blocks", "max_block_chars"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive int, got {value!r}")


DEFAULT_LIMITS = Limits()


def collapse_whitespace(text: str, max_chars: int) -> str:
    """Collapse runs of whitespace to one space, strip, and cut to ``max_chars`` characters.

    Same result as ``" ".join(text.split())[:max_chars].rstrip()``, but a huge input (a
    50 MB line) is not split into millions of words first: only words up to the limit
    are read.
    """
    if len(text) <= 2 * max_chars:
        out = " ".join(text.split())
        return out if len(out) <= max_chars else out[:max_chars].rstrip()
    words: list[str] = []
    size = -1
    start = 0
    end = len(text)
    while start < end and size < max_chars:
        # Read the text in slices a bit longer than what is still missing; a word cut at
        # the slice end is re-read with the next slice.
        stop = min(end, start + 2 * (max_chars - size) + 64)
        chunk = text[start:stop]
        pieces = chunk.split()
        if stop < end and pieces and not chunk[-1].isspace():
            last = pieces.pop()
            stop -= len(last)
        for word in pieces:
            words.append(word)
            size += len(word) + 1
            if size >= max_chars:
                break
        if stop <= start:  # one word longer than the whole budget
            words.append(text[start:start + max_chars + 1].split()[0])
            break
        start = stop
    return " ".join(words)[:max_chars].rstrip()
