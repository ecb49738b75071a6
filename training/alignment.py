"""Block labels from gold main text: which blocks of a page are part of the story.

Rule (documented in docs/training.md): text is compared as lowercase ``\\w+``
words. A block of three words or more is *story* when at least half of its word
trigrams occur in the gold text. A shorter block (a heading like "Method", a
byline) is *story* only when it equals a whole gold paragraph or line. Blocks
are labelled independently, so a sentence repeated in a sidebar is labelled
story too; the measure below (the word F1 of the "perfect" selection) says how
much such noise costs.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.blocks import Block

from .metrics import INVISIBLE_IN_WORDS

# Alignment has its own word rule (not the model's tokenizer): changing features
# must not silently change the training labels.
WORD = re.compile(r"\w+")

MIN_TRIGRAM_SHARE = 0.5


def _words(text: str) -> list[str]:
    return WORD.findall(text.translate(INVISIBLE_IN_WORDS).lower())


class GoldText:
    """The gold main text, indexed for fast block look-ups."""

    def __init__(self, main_text: str) -> None:
        words = _words(main_text)
        self.trigrams = {tuple(words[i:i + 3]) for i in range(len(words) - 2)}
        self.lines = {" ".join(_words(line)) for line in main_text.splitlines() if line.strip()}
        self.lines.discard("")

    def block_is_story(self, text: str) -> bool:
        words = _words(text)
        if len(words) >= 3:
            grams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
            hits = sum(1 for g in grams if g in self.trigrams)
            return hits >= MIN_TRIGRAM_SHARE * len(grams)
        return bool(words) and " ".join(words) in self.lines


def align_labels(blocks: Sequence[Block], main_text: str) -> list[int]:
    """1 for each block that is part of the gold main text, else 0."""
    gold = GoldText(main_text)
    return [int(gold.block_is_story(b.text)) for b in blocks]
