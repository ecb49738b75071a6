from __future__ import annotations

import dataclasses

import pytest

from training.metrics import (
    PageScore,
    block_counts,
    block_prf,
    normalize_for_match,
    prf_from_counts,
    score_page,
    shingle_prf,
    shingles,
    snippet_hits,
    tokenize_words,
    word_prf,
)


def approx3(values: tuple[float, float, float]):
    return pytest.approx(values)


# --- tokenize_words -------------------------------------------------------


def test_tokenize_lowercases_and_splits_on_non_word():
    assert tokenize_words("Hello, World! It's 2024.") == ["hello", "world", "it", "s", "2024"]


def test_tokenize_is_unicode_aware():
    assert tokenize_words("Größe ÉTÉ naïve_x") == ["größe", "été", "naïve_x"]


def test_tokenize_drops_invisible_characters_inside_words():
    assert tokenize_words("news\u00adpaper word\u2060joiner\ufeff") == ["newspaper", "wordjoiner"]
    assert word_prf("Assistance program", "Assis\u00adtance pro\u00adgram") == (1.0, 1.0, 1.0)


def test_tokenize_empty():
    assert tokenize_words("") == []
    assert tokenize_words("  ... !! ") == []


# --- word_prf -------------------------------------------------------------


def test_word_prf_partial_overlap():
    assert word_prf("a b c", "a b d") == approx3((2 / 3, 2 / 3, 2 / 3))


def test_word_prf_asymmetric():
    # 2 of 4 predicted words are right, both gold words found
    p, r, f = word_prf("a b x y", "a b")
    assert (p, r) == (pytest.approx(0.5), pytest.approx(1.0))
    assert f == pytest.approx(2 / 3)


def test_word_prf_is_a_multiset():
    # "a" is predicted three times but appears once in gold: counts once
    assert word_prf("a a a", "a b") == approx3((1 / 3, 1 / 2, 0.4))
    assert word_prf("a b", "a a a") == approx3((1 / 2, 1 / 3, 0.4))


def test_word_prf_ignores_case_and_punctuation():
    assert word_prf("The CAT, sat.", "the cat sat") == (1.0, 1.0, 1.0)


def test_word_prf_no_overlap():
    assert word_prf("a b", "c d") == (0.0, 0.0, 0.0)


def test_word_prf_empty_conventions():
    assert word_prf("", "") == (1.0, 1.0, 1.0)
    assert word_prf("!!", "  ") == (1.0, 1.0, 1.0)
    assert word_prf("", "a b") == (0.0, 0.0, 0.0)
    assert word_prf("a b", "") == (0.0, 0.0, 0.0)


# --- shingles ---------------------------------------------------------------


def test_shingles_windows():
    assert shingles(["a", "b", "c", "d", "e"], 4) == [("a", "b", "c", "d"), ("b", "c", "d", "e")]


def test_shingles_short_text_gives_one_shingle():
    assert shingles(["a", "b"], 4) == [("a", "b")]
    assert shingles([], 4) == []


def test_shingles_rejects_bad_n():
    with pytest.raises(ValueError):
        shingles(["a"], 0)


def test_shingle_prf_exact_values():
    # predicted has 2 shingles (abcd, bcde), gold has 3 (abcd, bcde, cdef)
    assert shingle_prf("a b c d e", "a b c d e f") == approx3((1.0, 2 / 3, 0.8))


def test_shingle_prf_punishes_reordering_that_word_prf_ignores():
    pred, gold = "d c b a e", "a b c d e"
    assert word_prf(pred, gold) == (1.0, 1.0, 1.0)
    assert shingle_prf(pred, gold) == (0.0, 0.0, 0.0)


def test_shingle_prf_custom_n():
    # bigrams: pred {ab, bc}, gold {ab, bd}
    assert shingle_prf("a b c", "a b d", n=2) == approx3((0.5, 0.5, 0.5))


def test_shingle_prf_short_texts():
    assert shingle_prf("a b", "A, b!") == (1.0, 1.0, 1.0)
    assert shingle_prf("a b", "a b c d e") == (0.0, 0.0, 0.0)
    assert shingle_prf("", "") == (1.0, 1.0, 1.0)
    assert shingle_prf("", "a b c d") == (0.0, 0.0, 0.0)


# --- snippets ---------------------------------------------------------------


def test_normalize_for_match():
    text = "  \u201cIt\u2019s\u201d \u2014 Fine\u00a0\n\n\tNOW\u2026 "
    assert normalize_for_match(text) == "\"it's\" - fine now..."


def test_normalize_for_match_compatibility_forms():
    # acute accent used as apostrophe, double prime as quote, small em dash,
    # soft hyphen and zero-width space inside a word
    assert normalize_for_match("Don\u00b4t \u2033x\u2033 a\ufe58b ne\u00adws\u200broom") == "don't \"x\" a-b newsroom"


def test_snippet_hits_counts_found_and_total():
    predicted = "The mayor opened the bridge.\n\nTraffic resumed at noon."
    assert snippet_hits(predicted, ["mayor opened", "resumed at noon", "weather was cold"]) == (2, 3)


def test_snippet_hits_curly_quotes_and_dashes():
    predicted = "She said \u201cwe\u2019ll see\u201d \u2013 then left."
    assert snippet_hits(predicted, ['said "we\'ll see" - then']) == (1, 1)
    # and the other way round: typographic snippet, ASCII text
    assert snippet_hits('He said "it\'s done" - ok', ["\u201cit\u2019s done\u201d \u2014 ok"]) == (1, 1)


def test_snippet_hits_whitespace_and_case():
    predicted = "Line one\nends here.\n\nLine   two."
    assert snippet_hits(predicted, ["ONE ENDS   here", "here. line two"]) == (2, 2)


def test_snippet_hits_requires_contiguous_text():
    assert snippet_hits("alpha beta gamma", ["alpha gamma"]) == (0, 1)


def test_snippet_hits_ignores_empty_snippets():
    assert snippet_hits("some text", ["", "   \n", "some"]) == (1, 1)
    assert snippet_hits("some text", []) == (0, 0)
    assert snippet_hits("", ["x"]) == (0, 1)


# --- blocks -----------------------------------------------------------------


def test_block_counts():
    y_true = [1, 1, 0, 0, 1]
    y_pred = [1, 0, 1, 0, 1]
    assert block_counts(y_true, y_pred) == (2, 1, 1)


def test_block_prf_values():
    assert block_prf([1, 1, 0, 0, 1], [1, 0, 1, 0, 1]) == approx3((2 / 3, 2 / 3, 2 / 3))
    assert block_prf([1, 1, 1, 1], [1, 0, 0, 0]) == approx3((1.0, 0.25, 0.4))


def test_block_prf_zero_division_is_zero():
    assert block_prf([0, 0], [0, 0]) == (0.0, 0.0, 0.0)
    assert block_prf([], []) == (0.0, 0.0, 0.0)
    assert prf_from_counts(0, 0, 3) == (0.0, 0.0, 0.0)


def test_block_counts_length_mismatch():
    with pytest.raises(ValueError):
        block_counts([1, 0], [1])


# --- score_page -------------------------------------------------------------


def test_score_page_all_fields():
    score = score_page(
        "p1",
        "article",
        predicted_text="The council voted.\n\nRead more: top ten gadgets",
        gold_text="The council voted. The vote was close.",
        with_snippets=["council voted", "the vote was close"],
        without_snippets=["top ten gadgets", ""],
        y_true=[1, 1, 0],
        y_pred=[1, 0, 1],
        teaser_chars_total=30,
        teaser_chars_kept=15,
    )
    assert isinstance(score, PageScore)
    assert (score.page_id, score.page_type) == ("p1", "article")
    # pred words: the council voted read more top ten gadgets (8); gold 7 words.
    # overlap: the, council, voted -> 3
    assert score.word_precision == pytest.approx(3 / 8)
    assert score.word_recall == pytest.approx(3 / 7)
    assert score.word_f1 == pytest.approx(2 * 3 / (8 + 7))
    assert score.shingle_f1 == pytest.approx(shingle_prf(
        "The council voted.\n\nRead more: top ten gadgets", "The council voted. The vote was close."
    )[2])
    assert (score.with_found, score.with_total) == (1, 2)
    assert (score.without_found, score.without_total) == (1, 1)
    assert (score.block_tp, score.block_fp, score.block_fn) == (1, 1, 1)
    assert (score.teaser_chars_total, score.teaser_chars_kept) == (30, 15)
    assert score.has_blocks


def test_score_page_without_blocks():
    score = score_page("p2", "forum", "a b c", "a b d", [], [])
    assert score.block_tp is None and score.block_fp is None and score.block_fn is None
    assert not score.has_blocks
    assert score.word_f1 == pytest.approx(2 / 3)
    assert (score.with_total, score.without_total) == (0, 0)
    assert (score.teaser_chars_total, score.teaser_chars_kept) == (0, 0)


def test_score_page_agrees_with_single_measures():
    pred, gold = "one two three four five six", "zero one two three four five"
    score = score_page("p", "t", pred, gold, [], [])
    assert (score.word_precision, score.word_recall, score.word_f1) == word_prf(pred, gold)
    assert score.shingle_f1 == shingle_prf(pred, gold)[2]


def test_score_page_validation():
    with pytest.raises(ValueError):
        score_page("p", "t", "a", "a", [], [], y_true=[1])
    with pytest.raises(ValueError):
        score_page("p", "t", "a", "a", [], [], teaser_chars_total=5, teaser_chars_kept=6)


def test_page_score_is_frozen():
    score = score_page("p", "t", "a", "a", [], [])
    with pytest.raises(dataclasses.FrozenInstanceError):
        score.word_f1 = 0.0  # type: ignore[misc]
