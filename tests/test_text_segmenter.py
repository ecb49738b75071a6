"""Text segmentation: one block per non-empty line, blank lines before each block."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import text_segmenter
from classifier.limits import Limits
from classifier.text_segmenter import iter_lines, segment_text

PAGES = Path(__file__).resolve().parent / "pages"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))


def shape(text: str, **limits) -> list[tuple[str, int]]:
    blocks = segment_text(text, Limits(**limits) if limits else Limits())
    return [(b.text, b.extra["blank_before"]) for b in blocks]


def test_one_block_per_non_empty_line():
    assert shape("Headline\nFirst paragraph.\nSecond paragraph.") == [
        ("Headline", 0), ("First paragraph.", 0), ("Second paragraph.", 0)]


def test_blank_lines_are_counted_not_kept():
    text = "\n\nTitle\n\nPara one.\n\n\nPara two.\nPara three.\n \t \nLast.\n\n"
    assert shape(text) == [("Title", 2), ("Para one.", 1), ("Para two.", 2), ("Para three.", 0), ("Last.", 1)]


def test_whitespace_inside_a_line_is_collapsed():
    assert shape("  spaced\t\tout   words \u00a0 here  ") == [("spaced out words here", 0)]


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x85"])
def test_line_separators(sep):
    assert shape(sep.join(["a", "b", "", "c"])) == [("a", 0), ("b", 0), ("c", 1)]


def test_block_fields_in_text_mode():
    blocks = segment_text("one\ntwo")
    assert [b.index for b in blocks] == [0, 1]
    for block in blocks:
        assert block.kind == "line" and block.path is None and block.container == -1
        assert block.dom_tokens == () and block.link_chars == 0 and not block.in_article


def test_empty_and_blank_text():
    assert segment_text("") == []
    assert segment_text("\n\n   \n\t") == []


def test_max_blocks_and_max_block_chars():
    text = "\n".join(f"line {i} " + "x" * 40 for i in range(100))
    blocks = segment_text(text, Limits(max_blocks=5, max_block_chars=10))
    assert [b.text for b in blocks] == [f"line {i} xxx" for i in range(5)]


def test_a_huge_line_is_cut():
    text = "short\n" + "word " * 100_000 + "\nend"
    assert [len(b.text) for b in segment_text(text, Limits(max_block_chars=1000))] == [5, 999, 3]


def test_story_teasers_page():
    text = (PAGES / "story_teasers.txt").read_text(encoding="utf-8")
    blocks = segment_text(text)
    lines = [line for line in text.splitlines() if line.strip()]
    assert [b.text for b in blocks] == [" ".join(line.split()) for line in lines]
    by_text = {b.text[:40]: b.extra["blank_before"] for b in blocks}
    assert by_text["The council is legally responsible for ke"[:40]] == 0  # not separated from the line before
    assert by_text["More from the newsroom"] == 1
    for snippet in EXPECTED["story_teasers.txt"]["story_snippets"]:
        assert any(snippet in b.text for b in blocks)


def test_example_text_without_blank_lines():
    text = (EXAMPLES / "article.txt").read_text(encoding="utf-8")
    blocks = segment_text(text)
    assert all(b.extra["blank_before"] == 0 for b in blocks[:9])
    assert blocks[9].text == "RECOMMENDED FOR YOU"


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet="ab \t\n\r\u2028\x0b\x1c\x85", max_size=60))
def test_iter_lines_is_splitlines(text):
    assert list(iter_lines(text)) == text.splitlines()


@settings(max_examples=100, deadline=None, database=None)
@given(st.text(alphabet="ab \n\r\u2029", max_size=80))
def test_long_texts_are_read_lazily_with_the_same_result(text):
    eager = segment_text(text)
    saved = text_segmenter._LAZY_CHARS
    text_segmenter._LAZY_CHARS = 0
    try:
        assert segment_text(text) == eager
    finally:
        text_segmenter._LAZY_CHARS = saved
