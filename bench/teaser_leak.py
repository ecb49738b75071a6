"""Teaser leak of any system's text output, so extractors that return only text compare with storyfilter.

The teaser blocks of a page are the ones ``training.teasers.teaser_mask`` marks
(non-story blocks in a recommendation widget, by class/id words or a "Related" /
"More from" heading). A system's output is plain text, so a block counts as
leaked when its words are found in that text:

* both sides are normalised (``normalize_for_match``: NFKC, quotes, case) and cut
  into ``\\w+`` words;
* a block of 3 words or more is leaked when at least half of its word 3-grams
  occur in the output (so a headline kept with a changed word still counts, a
  block that only shares a phrase or two does not);
* a block of 1 or 2 words is leaked when those words occur in the output in a
  row (a chance match of a short label like "Sports" counts too; such blocks
  weigh little, see below);
* a block with no word at all (an arrow, a bullet) is left out of both sides.

The leak is weighted by characters: the share of teaser-block characters
(``len(block.text)``, the unit of ``training.teasers``) whose block is leaked.
The same rule is applied to storyfilter's ``story_text`` and to every peer's
output, so the rows compare; it is not storyfilter's block-exact training
measure, which knows which blocks were kept.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from training.metrics import normalize_for_match, shingles, tokenize_words

#: Word n-gram length of the match of a long block.
NGRAM = 3
#: A long block is leaked when at least this share of its n-grams is in the output.
LEAKED_SHARE = 0.5


def match_words(text: str) -> list[str]:
    """The normalised word sequence both sides are compared on."""
    return tokenize_words(normalize_for_match(text))


@dataclass(frozen=True)
class OutputText:
    """A system's output, prepared once per page for matching many blocks."""

    spaced: str  # " w1 w2 ... " for in-a-row matches of short blocks
    grams: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, text: str) -> "OutputText":
        words = match_words(text)
        return cls(" " + " ".join(words) + " ", frozenset(shingles(words, NGRAM)))


def block_leaked(block_text: str, output: OutputText) -> bool | None:
    """True when the block's text is found in the output; None for a block with no word (not counted)."""
    words = match_words(block_text)
    if not words:
        return None
    if len(words) < NGRAM:
        return " " + " ".join(words) + " " in output.spaced
    grams = shingles(words, NGRAM)
    found = sum(1 for g in grams if g in output.grams)
    return found >= LEAKED_SHARE * len(grams)


def teaser_chars_leaked(teaser_texts: Iterable[str], output_text: str) -> tuple[int, int]:
    """``(leaked, total)`` teaser characters of one page for one system's output."""
    output = OutputText.of(output_text)
    leaked = total = 0
    for text in teaser_texts:
        hit = block_leaked(text, output)
        if hit is None:
            continue
        total += len(text)
        leaked += len(text) if hit else 0
    return leaked, total
