"""Properties of segmenting and decoding that hold for any input (Hypothesis).

What no page may break, whatever it holds: the public entry points raise nothing but
the package's errors; a block never holds text the page does not have, and blocks keep
the page's order; decoding bytes never raises.
"""
from __future__ import annotations

import html as html_lib
import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier import StoryFilter
from classifier.decoding import decode_bytes, decode_for_parser
from classifier.errors import InputError, StoryFilterError
from classifier.limits import Limits, collapse_whitespace

FRAGMENTS = ["<p>", "</p>", "<div class='a b'>", "</div>", "<br>", "<a href=x>", "</a>", "<li>", "<ul>", "</ul>",
             "<table><tr><td>", "</td>", "<script>", "</script>", "<!--", "-->", "<svg>", "</svg>", "<math>", "<b>",
             "</b>", "<select>", "<option>", "<![CDATA[", "]]>", "<xmp>", "<noscript>", "</noscript>", "<template>",
             "<noembed>", "<datalist>", "<optgroup>", "<!DOCTYPE html>", "<?php ?>", "<h2>", "<pre>", "<title>",
             "words ", "more text ", "&amp;", "&lt;", "&nbsp;", "<", ">", "'", '"', "=", "\u2028", "é", "<x-y z>",
             "<font color=red>", "</body>", "<frameset>", "\n\n", "\t"]
MARKUP = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)
PAGES = st.one_of(MARKUP, st.text(max_size=300), st.binary(max_size=400), MARKUP.map(str.encode))
SETTINGS = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SF = StoryFilter({"html": object()})  # type: ignore[dict-item]  # segmenting needs no model
SMALL = StoryFilter({"html": object()},  # type: ignore[dict-item]
                    limits=Limits(max_depth=4, max_attributes=2, max_block_chars=20))


def _is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(char in it for char in needle)


def _visible(chars: str) -> str:
    return "".join(chars.split())


def _either_reading(page: str) -> str:
    """The page with each character reference followed by its decoded text: raw text
    (``<xmp>``, ``<script>``) keeps references as written, elsewhere they are decoded."""
    return re.sub(r"&[#\w]+;?", lambda m: html_lib.unescape(m.group()) + m.group(), page)


@SETTINGS
@given(page=PAGES, mode=st.sampled_from(["html", "text"]), small=st.booleans())
def test_segmenting_raises_only_the_packages_errors(page, mode, small):
    try:
        blocks = (SMALL if small else SF).blocks(page, mode)
    except StoryFilterError:
        return
    assert [b.index for b in blocks] == list(range(len(blocks)))
    for block in blocks:
        assert block.text and block.text == block.text.strip()


@SETTINGS
@given(page=MARKUP)
def test_html_blocks_hold_only_the_pages_characters_in_order(page):
    """Non-space characters of the blocks, in order, are a subsequence of the page's.

    Except around tables: HTML parsing moves text that sits in a table but outside its
    cells to before the table ("foster parenting"), as browsers do, so there the blocks
    hold only the page's characters, in any order."""
    try:
        blocks = SF.blocks(page, "html")
    except InputError:
        return
    kept, source = _visible("".join(b.text for b in blocks)), _visible(_either_reading(page))
    if "<table" in page:
        assert not Counter(kept) - Counter(source)
    else:
        assert _is_subsequence(kept, source)


def test_text_a_table_holds_outside_its_cells_comes_before_the_table():
    blocks = SF.blocks("<table><tr><td>words </td>]]>", "html")
    assert "".join(b.text for b in blocks).replace(" ", "") == "]]>words"


@SETTINGS
@given(text=st.text(alphabet=st.sampled_from("ab é\t\n\r\u2028\u00a0-."), max_size=200), cut=st.integers(1, 40))
def test_text_blocks_are_the_pages_lines_in_order(text, cut):
    """Each block is a whitespace-collapsed line of the page, cut; blocks come in the page's order."""
    model = StoryFilter({"text": object()}, limits=Limits(max_block_chars=cut))  # type: ignore[dict-item]
    blocks = model.blocks(text, "text")
    lines = [collapse_whitespace(line, cut) for line in text.splitlines()]
    assert [b.text for b in blocks] == [line for line in lines if line]
    collapsed = " ".join(text.split())
    position = 0
    for block in blocks:
        position = collapsed.find(block.text, position)
        assert position >= 0
        position += len(block.text)


@SETTINGS
@given(data=st.binary(max_size=600), declared=st.sampled_from([None, "utf-8", "windows-1252", "utf-16", "gbk"]))
def test_decoding_bytes_raises_only_input_errors(data, declared):
    """With binary refused (the default), bytes either decode to text or raise InputError."""
    for decode in (decode_bytes, decode_for_parser):
        try:
            out, codec = decode(data, declared)
        except InputError:
            continue
        assert isinstance(out, (str, bytes)) and codec
