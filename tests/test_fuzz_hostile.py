"""A seeded run of hostile pages: each is segmented, in both modes, or refused with InputError.

Any other exception is a bug. For HTML, what the parser is given is also checked: no
element deeper than the depth limit allows, no tag with more attributes than the limit.
The run is bounded by count and size (it takes seconds); ``bench/hostile.py`` times the
shapes themselves, in their own processes.
"""
from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from classifier import InputError, StoryFilter
from classifier.guard import _MAX_REOPENED, _SCAN_TAGS, guard_markup
from classifier.limits import DEFAULT_LIMITS
from hostile_pages import FAMILIES, hostile_pages

CASES = list(hostile_pages(seed=15, count=3 * len(FAMILIES)))


@pytest.fixture(scope="module")
def sf() -> StoryFilter:
    return StoryFilter({"html": object()})  # type: ignore[dict-item]  # segmenting needs no model


def _shape(html: str | bytes) -> tuple[int, int, int]:
    """Depth, most attributes on one element, and elements of the DOM the parser builds."""
    tree = LexborHTMLParser(html)
    deepest = most = elements = 0
    stack = [(tree.root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        most = max(most, len(node.attributes))
        elements += 1
        child = node.child
        while child is not None:
            stack.append((child, depth + 1))
            child = child.next
    return deepest, most, elements


@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{i}-{family}" for i, (family, _) in enumerate(CASES)])
def test_hostile_page_is_segmented_or_refused(sf, case):
    _, page = CASES[case]
    for mode in ("html", "text"):
        try:
            blocks = sf.blocks(page, mode)
        except InputError:
            continue
        assert [b.index for b in blocks] == list(range(len(blocks)))
        assert all(b.text and len(b.text) <= DEFAULT_LIMITS.max_block_chars for b in blocks)
    if isinstance(page, str):
        try:
            guarded = guard_markup(page)
        except InputError:
            return
        depth, attributes, elements = _shape(guarded)
        tags = guarded.count("<")
        if tags > _SCAN_TAGS:  # below, nesting costs the parser little whatever its depth
            assert depth <= DEFAULT_LIMITS.max_depth + 16
        assert attributes <= DEFAULT_LIMITS.max_attributes
        # Nodes: about one per tag and text, a few the parser implies, and what it re-opens.
        assert elements <= 3 * tags + 100 + _MAX_REOPENED


def test_the_generator_is_seeded():
    assert list(hostile_pages(seed=3, count=11)) == list(hostile_pages(seed=3, count=11))
    assert {family for family, _ in CASES} == set(FAMILIES)
