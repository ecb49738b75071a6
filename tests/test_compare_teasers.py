"""The teaser-leak rule of bench/compare.py on hand-written teaser blocks and outputs."""
from __future__ import annotations

import pytest

from bench.teaser_leak import OutputText, block_leaked, teaser_chars_leaked

TEASERS = [
    "Council votes to rebuild the old harbour bridge next spring",  # 10 words
    "Five walks along the river you can do in an afternoon",  # 11 words
    "Weather",  # one word
]
TOTAL = sum(len(t) for t in TEASERS)
STORY = "The mayor opened the new library on Tuesday. Children queued for an hour to borrow books."


def test_keep_everything_leaks_all_and_empty_output_none() -> None:
    everything = STORY + "\n" + "\n".join(TEASERS) + "\nCopyright 2026"
    assert teaser_chars_leaked(TEASERS, everything) == (TOTAL, TOTAL)
    assert teaser_chars_leaked(TEASERS, "") == (0, TOTAL)
    assert teaser_chars_leaked(TEASERS, STORY) == (0, TOTAL)


def test_leak_is_weighted_by_block_characters() -> None:
    leaked, total = teaser_chars_leaked(TEASERS, STORY + "\n" + TEASERS[1])
    assert (leaked, total) == (len(TEASERS[1]), TOTAL)


def test_matching_ignores_case_quotes_spacing_and_punctuation() -> None:
    block = "‘Don’t miss’: the harbour bridge reopens — with a new cycle lane"
    output = "don't miss the HARBOUR bridge\n reopens, with a new   cycle lane."
    assert block_leaked(block, OutputText.of(output)) is True


def test_half_of_the_trigrams_is_enough_a_shared_phrase_is_not() -> None:
    block = "Council votes to rebuild the old harbour bridge next spring"  # 8 trigrams
    kept_first_half = "Council votes to rebuild the old harbour"  # 5 of 8
    shared_phrase = "Yesterday the old harbour was quiet."  # 1 of 8 ("the old harbour")
    assert block_leaked(block, OutputText.of(kept_first_half)) is True
    assert block_leaked(block, OutputText.of(shared_phrase)) is False
    # words all present but not in order: no trigram matches
    assert block_leaked(block, OutputText.of(" ".join(reversed(block.split())))) is False


def test_short_blocks_need_their_words_in_a_row() -> None:
    assert block_leaked("Weather", OutputText.of("Weather today: sunny")) is True
    assert block_leaked("Weather", OutputText.of("Weatherproof jackets")) is False  # whole words only
    assert block_leaked("Top stories", OutputText.of("stories at the top")) is False
    assert block_leaked("Top stories", OutputText.of("Our top stories today")) is True


@pytest.mark.parametrize("wordless", ["»", " — ", "", "..."])
def test_blocks_without_words_are_not_counted(wordless: str) -> None:
    assert block_leaked(wordless, OutputText.of("anything » — ...")) is None
    assert teaser_chars_leaked([wordless], "anything » — ...") == (0, 0)


def test_page_without_teasers_has_nothing_to_leak() -> None:
    assert teaser_chars_leaked([], STORY) == (0, 0)
