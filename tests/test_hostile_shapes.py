"""The minimal hostile pages (docs/fuzzing.md), at the sizes that once cost seconds or
gigabytes, through the whole pipeline with the shipped models: each completes or is
refused with LimitError, and what the parser builds from it stays bounded.

H1 crowded start tag, H2 crowded end tag, H3 nesting the depth cap once skipped,
H4 options, M1 text foster-parented out of a table between other tokens, S1 blank
lines in text mode, C1 a threshold past float range; each with neighbours that reach
the same parser cost another way (at a quarter of the size: still seconds unguarded).
Time and memory per shape are measured by ``bench/hostile.py`` (results in
bench/results/hostile.json), not asserted here.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
from selectolax.lexbor import LexborHTMLParser

from classifier import ArgumentError, FilterResult, LimitError, load_model
from classifier.guard import _MAX_OPTIONS, guard_markup
from classifier.limits import DEFAULT_LIMITS

MAX_DEPTH = DEFAULT_LIMITS.max_depth


@pytest.fixture(scope="module")
def sf():
    return load_model()


def _attrs(n: int, value: str = '=">"', sep: str = " ") -> str:
    return sep.join(f"a{i}{value}" for i in range(n))


SHAPES: dict[str, Callable[[], str]] = {
    # H1 and neighbours: one start tag, very many attributes.
    "H1 quoted '>'": lambda: "<div " + _attrs(139_000) + ">",
    "H1 single-quoted": lambda: "<div " + _attrs(25_000, "='>'") + ">in</div>",
    "H1 on a void tag": lambda: "<p>x</p><img " + _attrs(25_000, "") + ">",
    "H1 slash separators": lambda: "<div " + _attrs(25_000, "", "/") + ">in</div>",
    "H1 in svg": lambda: "<svg><g " + _attrs(25_000) + "></g></svg>",
    # H2 and neighbours: an end tag with attributes.
    "H2 end tag": lambda: "<div>x</div " + _attrs(245_000, "") + ">",
    "H2 end tag, quoted": lambda: "<div>x</div " + _attrs(25_000) + ">",
    "H2 many crowded end tags": lambda: ("<p>x</p " + _attrs(2_000, "") + ">") * 40,
    # H3 and neighbours: nesting inside elements whose content may or may not be markup.
    "H3 noscript": lambda: "<noscript>" + "<div>" * 80_000,
    "H3 noembed": lambda: "<noembed>" + "<div>" * 20_000,
    "H3 template": lambda: "<template>" + "<div>" * 20_000,
    "H3 noframes": lambda: "<noframes>" + "<div>" * 20_000,
    "H3 nested noscript": lambda: "<noscript><div>" * 10_000,
    "H3 template in template": lambda: "<template><div>" * 10_000,
    "H3 svg foreignObject": lambda: "<svg><foreignObject>" + "<div>" * 20_000,
    "H3 math annotation-xml": lambda: "<math><annotation-xml encoding='text/html'>" + "<div>" * 20_000,
    # H4 and neighbours: options and option groups.
    "H4 select": lambda: "<select>" + "<option>x" * 80_000,
    "H4 nested select/option": lambda: "<select><option>x<select><option>y" * 10_000,
    "H4 datalist": lambda: "<datalist>" + "<option>x" * 20_000,
    "H4 datalist optgroups": lambda: "<datalist>" + "<optgroup><option>x" * 10_000,
    "H4 optgroups in select": lambda: "<select>" + "<optgroup label=g><option>x" * 10_000,
    "H4 optgroups outside select": lambda: "<optgroup>" * 20_000,
    "H4 options outside select": lambda: "<div>" + "<option>x" * 20_000,
    # M1 and neighbours: text foster-parented out of a table, glued across other tokens.
    "M1 comments": lambda: "<table>" + "<!---->x" * 234_000 + "</table>",
    "M1 CDATA": lambda: "<table>" + "<![CDATA[c]]>x" * 30_000 + "</table>",
    "M1 processing instructions": lambda: "<table>" + "<?php echo 1 ?>x" * 25_000 + "</table>",
    "M1 doctypes": lambda: "<table>" + "<!DOCTYPE html>x" * 25_000 + "</table>",
    "M1 bogus comments": lambda: "<table>" + "<!x>x" * 50_000 + "</table>",
    "M1 empty end tags": lambda: "<table>" + "</>x" * 50_000 + "</table>",
    "M1 longer texts": lambda: "<table><tbody>" + ("<?x>" + "x" * 80) * 6_000 + "</table>",
}


def _bounded(html: str) -> None:
    """What the parser is given has bounded depth, attributes, options per select and glued text."""
    tree = LexborHTMLParser(guard_markup(html))
    if "<template" in html:  # template contents are a separate fragment: serialized, they nest like any element
        tree = LexborHTMLParser(tree.html.replace("<template", "<x-template").replace("</template", "</x-template"))
    deepest = most_attributes = longest_text = 0
    stack = [(tree.root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if node.tag == "-text":
            longest_text = max(longest_text, len(node.text_content or ""))
        else:
            most_attributes = max(most_attributes, len(node.attributes))
        child = node.child
        while child is not None:
            stack.append((child, depth + 1))
            child = child.next
    assert deepest <= MAX_DEPTH + 8
    assert most_attributes <= DEFAULT_LIMITS.max_attributes
    assert all(len(select.css("option")) <= _MAX_OPTIONS for select in tree.css("select"))
    if html.startswith("<table>") or html.startswith("<table><tbody>"):
        assert longest_text <= 100  # foster-parented pieces kept apart, not glued into one node


@pytest.mark.parametrize("shape", SHAPES)
def test_shape_completes_or_is_refused(sf, shape):
    html = SHAPES[shape]()
    for page in (html, html.encode()):
        try:
            result = sf.filter(page, mode="html")
        except LimitError:
            continue
        assert isinstance(result, FilterResult)
    try:
        _bounded(html)
    except LimitError:
        pass


@pytest.mark.parametrize("blank", ["\n", "\r\n", " \n", "\u2028", "\t\r", "\x0b", "\u3000\n"])
def test_s1_blank_lines_complete_or_are_refused(sf, blank):
    text = "first\n" + blank * (16_000_000 // len(blank)) + "word"
    try:
        result = sf.filter(text, mode="text")
    except LimitError as err:
        assert "max_bytes" in str(err)
        result = sf.filter(text[: DEFAULT_LIMITS.max_bytes - 5] + "word", mode="text")
    assert [b.text for b in result.blocks] == ["first", "word"]


@pytest.mark.parametrize("threshold", [10**400, -(10**400), 2**1024, float("nan"), float("-inf"), "0.5", b"0.5",
                                       1.0000001, complex(0.5, 0)])
def test_c1_threshold_is_an_argument_error(sf, threshold):
    with pytest.raises(ArgumentError, match="threshold"):
        sf.filter_html("<p>x</p>", threshold=threshold)
    with pytest.raises(ArgumentError, match="threshold"):
        sf.filter_text("x", threshold=threshold)
