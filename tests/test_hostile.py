"""Markup the parser spends superlinear time or memory on is bounded before it is parsed.

Each known shape (H1-H4, M1, S1, C1; docs/fuzzing.md) and its neighbours, at sizes where the
unguarded parser takes seconds and the guarded one milliseconds. The checks are
on what the parser is given or builds (depth, attributes, options, text nodes), not
on a clock: a regression shows as a failed assertion, or as a test that hangs.
"""
from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from classifier import ArgumentError, InputError, LimitError, Limits, StoryFilter
from classifier.guard import _MAX_OPTIONS, guard_markup
from classifier.limits import DEFAULT_LIMITS
from classifier.text_segmenter import segment_text

MAX_DEPTH = DEFAULT_LIMITS.max_depth


@pytest.fixture(scope="module")
def sf() -> StoryFilter:
    return StoryFilter({"html": object()})  # type: ignore[dict-item]  # segmenting needs no model


def parsed(html: str | bytes) -> LexborHTMLParser:
    return LexborHTMLParser(guard_markup(html))


def dom_depth(tree: LexborHTMLParser) -> int:
    deepest = 0
    stack = [(tree.root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        child = node.child
        while child is not None:
            stack.append((child, depth + 1))
            child = child.next
    return deepest


def most_attributes(tree: LexborHTMLParser) -> int:
    return max(len(node.attributes) for node in tree.root.traverse())


# ----- H1, H2: attributes of one tag -----------------------------------------------------------------
ATTRIBUTE_SHAPES = {
    "quoted '>' (H1)": lambda n: "<div " + " ".join(f'a{i}=">"' for i in range(n)) + ">in</div>",
    "single-quoted '>'": lambda n: "<div " + " ".join(f"a{i}='>'" for i in range(n)) + ">in</div>",
    "'>' now and then": lambda n: "<div " + " ".join(f"a{i}" + ('=">"' if i % 300 == 0 else "")
                                                    for i in range(n)) + ">in</div>",
    "no separators": lambda n: "<div " + "".join(f'a{i}=">"' for i in range(n)) + ">in</div>",
    "slash separators": lambda n: "<div " + "/".join(f"a{i}" for i in range(n)) + ">in</div>",
    "'<' and '>' in values": lambda n: "<div " + " ".join(f'a{i}="<b>"' for i in range(n)) + ">in</div>",
    "'<' in names": lambda n: "<div " + " ".join(f"a<{i}" for i in range(n)) + ">in</div>",
    "end tag (H2)": lambda n: "<div>in</div " + " ".join(f"a{i}" for i in range(n)) + ">",
    "end tag, quoted '>'": lambda n: "<div>in</div " + " ".join(f'a{i}=">"' for i in range(n)) + ">",
    "after a script with tags in it": lambda n: ("<script>if (a<b && c>d) x = '<p class=\"'</script>"
                                                 + "<div " + " ".join(f'a{i}=">"' for i in range(n)) + ">in</div>"),
}


@pytest.mark.parametrize("shape", ATTRIBUTE_SHAPES)
def test_attributes_past_the_limit_are_dropped(sf, shape):
    html = "<p>before</p>" + ATTRIBUTE_SHAPES[shape](40_000) + "<p>after</p>"
    out = guard_markup(html)
    assert len(out) < len(html) // 4
    tree = LexborHTMLParser(out)
    assert most_attributes(tree) <= DEFAULT_LIMITS.max_attributes
    assert [b.text for b in sf.html_blocks(html)] == ["before", "in", "after"]
    assert [b.text for b in sf.html_blocks(html.encode())] == ["before", "in", "after"]


def test_many_attributes_under_the_limit_are_kept():
    html = "<p>x</p>" * 600 + "<div " + " ".join(f'a{i}=">"' for i in range(1000)) + ">in</div>"
    assert guard_markup(html) is html


def test_quoted_values_hide_no_tag_from_the_guard():
    # The '>' inside the quotes does not end the tag, so '<div a1 ...' is one crowded tag.
    html = "<p>x</p>" * 600 + "<i title='>'><div " + " ".join(f"a{i}" for i in range(5000)) + ">y</div></i>"
    assert most_attributes(parsed(html)) <= DEFAULT_LIMITS.max_attributes


# ----- H3 and other nesting ---------------------------------------------------------------------------
NESTING_SHAPES = {
    "noscript (H3)": "<noscript>" + "<div>" * 30_000,
    "self-closed div": "<div/>" * 30_000,
    "span closing across a div": "<span><div></span>" * 20_000,
    "formatting closing across a div": "<b><div></b>" * 20_000,
    "after </body>": "<div></body>" * 20_000,
    "svg left by a <p>": "<svg><p>" + "<div>" * 30_000,
    "style in svg after a breakout": "<svg><p><style><b c='</style>" + "<div>" * 30_000 + "'",
    "cdata in svg": "<svg><![CDATA[ > ]]>" + "<div>" * 30_000,
    "list items": "<ul><li>" * 15_000,
    "table cells": "<table><tr><td>" * 12_000,
    "script escapes": "<script><!--<script></script>'" + "</script>" + "<div>" * 30_000,
    "abrupt comment": "<!-->" + "<div>" * 30_000 + "-->",
}


@pytest.mark.parametrize("shape", NESTING_SHAPES)
def test_nesting_is_capped(shape):
    html = NESTING_SHAPES[shape] + "<p>deep text</p>"
    assert dom_depth(parsed(html)) <= MAX_DEPTH + 8


def test_noscript_content_is_still_read(sf):
    html = "<body><noscript>" + "<div>" * 30_000 + "<p>inside noscript</p>"
    assert [b.text for b in sf.html_blocks(html)] == ["inside noscript"]


def test_a_flat_page_with_many_tags_keeps_its_structure(sf):
    html = "<div>" + "<p>a <b>bold</b> <a href=x>link</a></p><ul><li>c<li>d</ul>" * 3000 + "</div>"
    assert guard_markup(html) == html
    assert len(sf.html_blocks(html)) == 9000


# ----- H4: options of a select ------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [
    "<select>" + "<option>x" * 20_000,
    "<select>" + "<option>x</option>" * 20_000 + "</select>",
    "<select>" + "<optgroup label=g><option>x" * 10_000,
    "<SELECT>" + "<OPTION>x" * 20_000,
    "<table><tr><td><select>" + "<option>x" * 20_000,
], ids=["option", "option closed", "optgroup", "capitals", "in a table"])
def test_options_per_select_are_capped(shape):
    tree = parsed(shape + "<p>after</p>")
    for select in tree.css("select"):
        assert len(select.css("option")) <= _MAX_OPTIONS


def test_a_page_of_ordinary_selects_is_untouched():
    html = ("<form><select name=c>" + "".join(f"<option value={i}>Country {i}</option>" for i in range(250))
            + "</select></form>") * 8
    assert guard_markup(html) is html


# ----- M1: text foster-parented out of a table -----------------------------------------------------------
@pytest.mark.parametrize("shape", [
    "<table>" + "<!---->x" * 40_000 + "</table>",
    "<table>" + "x<input type=hidden>" * 40_000 + "</table>",
    "<table>" + "x<tr class=a>" * 40_000 + "</table>",
    "<table>" + ("<!---->" + "x" * 80) * 4_000 + "</table>",
    "<table>" + "x <style>a</style>" * 30_000 + "</table>",
    "<table><tr><td>a</td>" + "x<!---->" * 40_000 + "</table>",
], ids=["comments (M1)", "hidden inputs", "rows", "longer texts", "styles", "after a cell"])
def test_foster_parented_texts_stay_apart(sf, shape):
    tree = parsed(shape)
    longest = max((len(node.text_content or "") for node in tree.root.traverse(include_text=True)
                   if node.tag == "-text"), default=0)
    assert longest <= 100
    assert sf.html_blocks(shape)  # the text is still read


def test_text_inside_cells_is_untouched():
    html = "<table>" + "<tr><td>cell <!-- c --> text</td><td>more</td></tr>" * 3000 + "</table>"
    assert guard_markup(html) is html


# ----- re-opened formatting elements ----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [
    "<p>" + "".join(f"<b a{i}>" for i in range(700)) + "<p>x" * 1_300,
    "<p>" + "".join(f"<font size={i}>" for i in range(700)) + "<div>x</div>" * 1_300,
    "<p>" + "<b><i><u><s><em><tt><big><code><font><small><strong><strike><nobr>" * 3 + "<p>x" * 20_000,
], ids=["b", "font before divs", "all formatting names"])
def test_a_page_that_makes_the_parser_reopen_formatting_without_end_is_refused(sf, shape):
    with pytest.raises(LimitError, match="re-open"):
        sf.html_blocks(shape)
    with pytest.raises(LimitError):
        sf.html_blocks(shape.encode())


def test_ordinary_unclosed_formatting_is_fine(sf):
    html = "<p><b>bold start" + "<p>paragraph <i>it</i> text</p>" * 3000
    assert len(sf.html_blocks(html)) == 3001


# ----- tokenizer details the guard must share with the parser ------------------------------------------
@pytest.mark.parametrize("html", [
    "<p>x</p>" * 600 + "<script>var s = '<div " + "a " * 3000 + ">';</script><p>y</p>",
    "<p>x</p>" * 600 + "<!-- <div " + "a " * 3000 + "> --><p>y</p>",
    "<p>x</p>" * 600 + "<textarea><div " + "a " * 3000 + "></textarea><p>y</p>",
    "<p>x</p>" * 600 + "<svg><path d='M0 0'/><title>t</title></svg><script>a<b</script><p>y</p>",
], ids=["script", "comment", "textarea", "svg then script"])
def test_tag_lookalikes_in_raw_text_and_comments_are_left_alone(html):
    assert guard_markup(html) is html
    assert guard_markup(html.encode()) == html.encode()


def test_raw_text_in_an_ambiguous_context_is_escaped_not_lost(sf):
    # After content whose tree state the guard does not follow, '<' in raw text is escaped: read
    # as text either way. <xmp> shows the escape (its text is not decoded); the walk skips the rest.
    html = ("<p>x</p>" * 600 + "<svg><foreignObject><div></div></foreignObject></svg>"
            "<xmp>a <b> c</xmp><textarea>d <e> f</textarea><p>after</p>")
    out = guard_markup(html)
    assert "a &lt;b> c" in out and "d &lt;e> f" in out
    assert [b.text for b in sf.html_blocks(html)][-2:] == ["a &lt;b> c", "after"]
    textarea = LexborHTMLParser(out).css_first("textarea")
    assert textarea.text() == "d <e> f"


# ----- S1: text mode ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("blank", ["\n", "\r\n", " \t\n", "\u2028", "\r", " \u3000\x0c"])
def test_millions_of_blank_lines_are_skipped_in_one_step(blank):
    text = "first\n" + blank * 2_000_000 + "word"
    blocks = segment_text(text)
    assert [b.text for b in blocks] == ["first", "word"]
    expected = len(("first\n" + blank * 2_000_000 + "word").splitlines()) - 2
    assert blocks[1].extra["blank_before"] == expected


def test_blank_lines_count_the_same_lazily(monkeypatch):
    from classifier import text_segmenter

    text = ("a\n" + "\n" * 300 + " \r\n" * 300 + "b\r\r\nc" + "\u2029" * 500 + "  \n") * 5
    eager = segment_text(text)
    monkeypatch.setattr(text_segmenter, "_LAZY_CHARS", 0)
    assert segment_text(text) == eager


# ----- C1: thresholds ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("threshold", [10**400, -10**400, float("nan"), float("inf"), -0.01, 1.5, True, "0.5",
                                       None.__class__, [0.5]])
def test_bad_thresholds_get_the_packages_error(threshold):
    from classifier.arguments import check_threshold

    with pytest.raises(ArgumentError, match="threshold"):
        check_threshold(threshold)


def test_threshold_error_is_a_value_error_and_a_storyfilter_error():
    from classifier import StoryFilterError

    assert issubclass(ArgumentError, ValueError) and issubclass(ArgumentError, StoryFilterError)
    assert issubclass(LimitError, InputError)


def test_oversized_page_is_a_limit_error(sf):
    small = StoryFilter({"html": object()}, Limits(max_bytes=100))  # type: ignore[dict-item]
    with pytest.raises(LimitError, match="max_bytes"):
        small.html_blocks("x" * 101)
