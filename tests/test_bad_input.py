"""Bad input gives a clear InputError or an empty/short result: never a traceback, hang or blow-up.

The hostile cases of the issue, each bounded by size rather than by a clock:
empty input, binary and non-UTF-8 bytes, malformed or truncated HTML, a page with
no text, an oversized page, nesting 100,000 deep, a million tiny elements.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import ArgumentError, InputError, Limits, StoryFilter, StoryFilterError
from classifier.api import detect_mode
from classifier.html_segmenter import guard_markup
from classifier.limits import DEFAULT_LIMITS, collapse_whitespace


@pytest.fixture(scope="module")
def sf() -> StoryFilter:
    # html_blocks/text_blocks never touch the model, so any placeholder will do.
    return StoryFilter({"html": object()})  # type: ignore[dict-item]


def both(sf: StoryFilter, page, **kw):
    return sf.html_blocks(page, **kw), sf.text_blocks(page, **kw)


# ----- empty, blank, no text --------------------------------------------------------------------
@pytest.mark.parametrize("page", ["", b"", "   \n\t ", b"\r\n\r\n", bytearray(), memoryview(b"")])
def test_empty_input_gives_no_blocks(sf, page):
    assert both(sf, page) == ([], [])


def test_page_with_no_text(sf):
    html = ("<!DOCTYPE html><html><head><title>T</title><script>var a = 1;</script><style>p{}</style></head>"
            "<body><img src='a.png'><div><span></span></div><svg><text>x</text></svg><br><hr></body></html>")
    assert sf.html_blocks(html) == []
    assert sf.html_blocks(html.encode()) == []


# ----- wrong types, oversize ---------------------------------------------------------------------
@pytest.mark.parametrize("page", [None, 42, 3.5, ["<p>x</p>"], {"html": "x"}, object()])
def test_wrong_types_are_input_errors(sf, page):
    for method in (sf.html_blocks, sf.text_blocks):
        with pytest.raises(InputError, match="must be str or bytes"):
            method(page)


def test_oversized_page_is_refused_before_parsing(sf):
    small = StoryFilter({"html": object()}, Limits(max_bytes=1000))  # type: ignore[dict-item]
    for page in ("x" * 1001, b"x" * 1001, bytearray(1001), memoryview(b"x" * 1001)):
        for method in (small.html_blocks, small.text_blocks):
            with pytest.raises(InputError, match="Limits.max_bytes"):
                method(page)
    assert small.text_blocks("x" * 1000)[0].text == "x" * 1000


def test_default_limit_refuses_a_page_over_16_mib(sf):
    page = b"<p>" + b"a" * DEFAULT_LIMITS.max_bytes
    with pytest.raises(InputError, match="16,777,2"):
        sf.html_blocks(page)
    with pytest.raises(InputError):
        sf.text_blocks(page.decode())


def test_input_errors_are_storyfilter_errors_and_value_errors(sf):
    with pytest.raises(StoryFilterError):
        sf.html_blocks(None)
    with pytest.raises(ValueError):
        sf.html_blocks(b"\x1f\x8b\x08\x00" + bytes(64))


# ----- binary and non-UTF-8 bytes ------------------------------------------------------------------
def test_binary_bytes_are_input_errors(sf):
    for data in (random.Random(5).randbytes(4096), b"\x00\x01\x02\x03\x04\x05" * 100, b"%PDF-1.4\n..."):
        for method in (sf.html_blocks, sf.text_blocks):
            with pytest.raises(InputError, match="not an HTML or text page"):
                method(data)


def test_binary_read_as_str_is_refused_in_both_modes_as_bytes_are(sf):
    garbage = random.Random(6).randbytes(4096)
    for method in (sf.html_blocks, sf.text_blocks):
        with pytest.raises(InputError) as as_bytes:
            method(garbage)
        for text in (garbage.decode("latin-1"), garbage.decode("utf-8", "surrogateescape")):
            with pytest.raises(InputError, match="not an HTML or text page") as as_str:
                method(text)
            assert str(as_str.value) == str(as_bytes.value)


def test_non_utf8_bytes_decode(sf):
    page = "<p>Привет, мир. Как дела?</p><p>Всё хорошо, спасибо большое.</p>"
    html, text = both(sf, page.encode("cp1251"), encoding="windows-1251")
    assert [b.text for b in html] == ["Привет, мир. Как дела?", "Всё хорошо, спасибо большое."]
    assert text[0].text == page
    assert [b.text for b in sf.html_blocks(page.encode("cp1251"))] == [b.text for b in html]


def test_undecodable_bytes_become_replacement_characters(sf):
    blocks = sf.html_blocks("<p>ok é</p>".encode() + b"<p>\xff\xfe\xfa bad</p>" + "<p>déjà vu</p>".encode())
    assert [b.text for b in blocks] == ["ok é", "\ufffd\ufffd\ufffd bad", "déjà vu"]


def test_bogus_encoding_argument_is_an_error_naming_it(sf):
    for label in ("rot13", "base64", "no-such-codec", "utf-7"):
        for method, page in ((sf.html_blocks, b"<p>hi</p>"), (sf.text_blocks, b"hi"), (sf.html_blocks, "<p>hi</p>")):
            with pytest.raises(ArgumentError, match=f"unknown encoding '{label}'"):
                method(page, encoding=label)
        with pytest.raises(ArgumentError, match=label):
            sf.filter(b"<p>hi</p>", encoding=label)
    assert [b.text for b in sf.html_blocks(b"<p>hi</p>", encoding="Windows-1252")] == ["hi"]


def test_nul_and_lone_surrogates_in_str(sf):
    assert [b.text for b in sf.html_blocks("<p>a\x00b</p><p>c\ud800d</p>")] == ["ab", "cd"]
    blocks = sf.text_blocks("a\x00b\nc\udcffd")
    assert [b.text for b in blocks] == ["a\ufffdb", "c\ufffdd"]
    for block in blocks:
        block.text.encode("utf-8")  # printable and JSON-safe


# ----- malformed and truncated HTML -------------------------------------------------------------
@pytest.mark.parametrize("html, expected", [
    ("<html><body><div class='a'><p>Hello <b>wor", ["Hello wor"]),
    ("<p>one<p>two<li>three<td>four", ["one", "two", "threefour"]),  # <td> outside a table is ignored
    ("</div></p></body><p>after stray end tags</p>", ["after stray end tags"]),
    ("<p>text</p><!-- unclosed comment <p>hidden</p>", ["text"]),
    ("<p>text</p><script>never closed <p>hidden</p>", ["text"]),
    ("<p>ok</p><p class='unclosed>text</p><p>next</p>", ["ok"]),  # the open quote runs to the end
    ("<<<>>><p <div>>>a</p>", ["<<<>>>", ">>a"]),
    ("<p>a &amp; b &lt;c&gt; &#169; &bogus; &#xZZ;</p>", ["a & b <c> © &bogus; &#xZZ;"]),
])
def test_malformed_html(sf, html, expected):
    assert [b.text for b in sf.html_blocks(html)] == expected


def test_truncated_bytes_in_the_middle_of_a_character(sf):
    data = "<p>Ein schöner Tag in München</p>".encode()
    cut = data[:data.index("ü".encode()) + 1]
    assert [b.text for b in sf.html_blocks(cut)] == ["Ein schöner Tag in M\ufffd"]


# ----- deep nesting ------------------------------------------------------------------------------------
@pytest.mark.parametrize("opening", ["<div>", "<b>", "<span>", "<ul><li>", "<table><tr><td>", "<p>", "<a>",
                                     "<section><font>", "<dl><dd>", "<blockquote>"])
def test_nesting_100000_deep(sf, opening):
    html = opening * 100_000 + "deep story text" + "</p>" * 10
    blocks = sf.html_blocks(html)
    if html.count("<") - 10 <= DEFAULT_LIMITS.max_tags:
        assert [b.text for b in blocks] == ["deep story text"]
        assert blocks[0].depth <= DEFAULT_LIMITS.max_depth + 1
    else:  # 300,000 tags: the text comes after the first max_tags tags and is not read
        assert blocks == []


def test_nesting_past_max_depth_is_removed_before_parsing():
    html = "<div>" * 100_000 + "x" + "</div>" * 100_000
    out = guard_markup(html)
    assert out.count("<div>") == DEFAULT_LIMITS.max_depth == out.count("</div>")


def test_deep_nesting_as_bytes_and_closed(sf):
    html = ("<div>" * 100_000 + "<p>story</p>" + "</div>" * 100_000 + "<p>after</p>").encode()
    assert [b.text for b in sf.html_blocks(html)] == ["story", "after"]


# ----- many elements ------------------------------------------------------------------------------------
def test_a_million_tiny_elements(sf):
    html = "<i>x</i>" * 1_000_000
    assert html.count("<") == 2_000_000
    assert guard_markup(html).count("<") == DEFAULT_LIMITS.max_tags  # what the parser gets
    blocks = sf.html_blocks(html)
    assert len(blocks) == 1
    # the <i> elements touch, so their letters join as a browser shows them
    assert blocks[0].text == "x" * min(DEFAULT_LIMITS.max_tags // 2, DEFAULT_LIMITS.max_block_chars)


def test_a_million_tiny_paragraphs_stop_at_max_blocks(sf):
    html = "<p>x</p>" * 1_000_000
    blocks = sf.html_blocks(html)
    assert len(blocks) == DEFAULT_LIMITS.max_blocks
    assert blocks[-1].index == DEFAULT_LIMITS.max_blocks - 1


def test_a_million_lines_of_text_stop_at_max_blocks(sf):
    blocks = sf.text_blocks("line\n\n" * 1_000_000)
    assert len(blocks) == DEFAULT_LIMITS.max_blocks
    assert blocks[1].extra["blank_before"] == 1


# ----- big pages, big blocks, many attributes ----------------------------------------------------------
def test_one_huge_paragraph_is_cut_to_max_block_chars(sf):
    word = "wörd "
    html = "<p>" + word * 3_000_000 + "</p><p>next</p>"  # 15 million characters, under max_bytes
    blocks = sf.html_blocks(html)
    assert [len(b.text) for b in blocks] == [DEFAULT_LIMITS.max_block_chars - 1, 4]
    text = sf.text_blocks(word * 3_000_000)
    assert len(text) == 1 and len(text[0].text) == DEFAULT_LIMITS.max_block_chars - 1


def test_an_element_with_200000_attributes(sf):
    html = "<p>before</p><div " + " ".join(f"a{i}" for i in range(200_000)) + ">inside</div><p>after</p>"
    assert [b.text for b in sf.html_blocks(html)] == ["before", "inside", "after"]
    assert [b.text for b in sf.html_blocks(html.encode())] == ["before", "inside", "after"]


def test_limits_are_overridable():
    strict = StoryFilter({"html": object()}, Limits(max_blocks=2, max_block_chars=5))  # type: ignore[dict-item]
    assert [b.text for b in strict.html_blocks("<p>first para</p><p>two</p><p>three</p>")] == ["first", "two"]
    assert [b.text for b in strict.text_blocks("aaaaaaa\nb\nc")] == ["aaaaa", "b"]


@pytest.mark.parametrize("field", ["max_bytes", "max_tags", "max_depth", "max_attributes", "max_nodes",
                                   "max_blocks", "max_block_chars"])
@pytest.mark.parametrize("value", [0, -1, 2.5, "10", True, None])
def test_limits_must_be_positive_ints(field, value):
    with pytest.raises(ValueError, match=field):
        Limits(**{field: value})


def test_detect_mode_on_hostile_input():
    assert detect_mode("<div>" * 100_000) == "html"
    assert detect_mode(b"\xff\xfe" + bytes(10)) == "text"  # a UTF-16 BOM before NULs: no tag in it
    assert detect_mode(random.Random(7).randbytes(70_000)) == "text"
    assert detect_mode(b"\xff\xfe" + "<p>x</p>".encode("utf-16-le")) == "html"  # the same BOM before a tag


# ----- collapse_whitespace ----------------------------------------------------------------------------
@settings(max_examples=500, deadline=None, database=None)
@given(st.text(alphabet="ab \t\n\u00a0\u3000", max_size=120), st.integers(1, 30))
def test_collapse_whitespace_equals_split_join_cut(text, max_chars):
    assert collapse_whitespace(text, max_chars) == " ".join(text.split())[:max_chars].rstrip()


def test_collapse_whitespace_reads_only_the_start_of_huge_text():
    text = "  " + "word " * 2_000_000 + "tail"
    assert collapse_whitespace(text, 12) == "word word wo"
    assert collapse_whitespace(" " * 5_000_000 + "x", 3) == "x"
    assert collapse_whitespace("y" * 1_000_000, 4) == "yyyy"
