"""Array tokenising, gram hashes, the gram table and the vectorised character counts
agree with their plain (regex, dict) definitions."""
from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.features import _text_counts
from classifier.gramtable import GramTable
from classifier.tfidf import TokenTfidf
from classifier.tokens import gram_hashes, tokenize_blocks, word_tokens

# Letters, digits (also non-ASCII ones), punctuation, spaces, a capital that lowercases
# to two characters, an astral character, NUL.
ALPHABET = st.sampled_from(list("abcXYZ019 ,.!?\"')]\n\t_-éÀÞß٣²İ😀\x00|•»…:"))
TEXTS = st.lists(st.text(ALPHABET, max_size=60), max_size=8)


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(min_value=1, max_value=12))
def test_tokenize_blocks_equals_word_tokens_of_each_text(texts, cap):
    assert tokenize_blocks(texts, cap).docs() == [word_tokens(t, cap) for t in texts]


def test_word_tokens_fold_digit_runs_and_cap():
    assert word_tokens("The 2024 Budget, 7 items in covid19", 10) == ["the", "0000", "budget", "0", "items", "in",
                                                                       "covid00"]
    assert word_tokens("123456789", 5) == ["0000"]
    assert len(word_tokens("word " * 500, 50)) == 50


def test_hashes_depend_on_the_token_not_its_place():
    tokens = tokenize_blocks(["alpha beta", "gamma alpha", "beta"], 10)
    hashes = dict(zip(tokens.strings(), tokens.hashes().tolist()))
    again = tokenize_blocks(["x " * 1000 + "beta alpha gamma"], 10_000)
    assert {t: h for t, h in zip(again.strings(), again.hashes().tolist()) if t != "x"} == hashes
    assert len(set(hashes.values())) == 3 and 0 not in hashes.values()


def test_gram_hashes_match_the_hashes_of_tokens_and_bigrams():
    tokens = tokenize_blocks(["one two three", "two three"], 10)
    pairs, rows = tokens.bigram_hashes()
    assert rows.tolist() == [0, 0, 1]
    expected = gram_hashes(["one two", "two three", "two three"])
    assert pairs.tolist() == expected.tolist()
    assert gram_hashes(["one", "three"]).tolist() == tokens.hashes()[[0, 2]].tolist()


def test_gram_table_finds_every_key_and_nothing_else():
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(1, 2**63, size=5000, dtype=np.int64).astype(np.uint64))
    # crowd one slot: keys that share their top bits probe past each other
    crowded = (np.uint64(7) << np.uint64(60)) + np.arange(1, 40, dtype=np.uint64)
    keys = np.unique(np.concatenate((keys, crowded)))
    table = GramTable(keys, np.arange(len(keys)))
    assert table.lookup(keys).tolist() == list(range(len(keys)))
    others = np.setdiff1d(rng.integers(1, 2**63, size=5000, dtype=np.int64).astype(np.uint64), keys)
    assert (table.lookup(others) == -1).all()
    assert GramTable(np.zeros(0, dtype=np.uint64), np.zeros(0)).lookup(keys[:3]).tolist() == [-1, -1, -1]


def test_tfidf_fit_names_the_grams_it_keeps():
    docs = [["the", "cat", "sat"], ["the", "cat"], ["a", "dog"]]
    vec = TokenTfidf(ngram_max=2, min_df=2, max_features=None).fit(docs)
    assert set(vec.vocabulary_) == {"the", "cat", "the cat"}
    assert vec.transform(docs).shape == (3, 3)


@pytest.mark.parametrize("whole_tokens", [True, False])
def test_tfidf_can_keep_only_grams_seen_in_several_groups(whole_tokens):
    """A word of one site (its class names, its slogan) is dropped however often that site uses it."""
    shared = ("related", "links")
    one_site = ("kopfzeile",)
    docs = [shared + one_site] * 5 + [shared] * 2 + [("related",)]
    groups = ["a"] * 5 + ["b", "b", "c"]
    fit_docs = docs if whole_tokens else tokenize_blocks([" ".join(d) for d in docs], 120)
    plain = TokenTfidf(min_df=2, max_features=None).fit(fit_docs)
    assert set(plain.vocabulary_) == {"related", "links", "kopfzeile"}
    assert set(TokenTfidf(min_df=2, max_features=None, min_groups=2).fit(fit_docs, groups=groups).vocabulary_) \
        == {"related", "links"}
    assert set(TokenTfidf(min_df=2, max_features=None, min_groups=3).fit(fit_docs, groups=groups).vocabulary_) \
        == {"related"}
    # document frequencies (idf) still count documents, not groups
    kept = TokenTfidf(min_df=2, max_features=None, min_groups=2).fit(fit_docs, groups=groups)
    assert np.allclose(kept.idf_, [plain.idf_[plain.vocabulary_[t]] for t in sorted(kept.vocabulary_)])
    with pytest.raises(ValueError, match="one group per document"):
        TokenTfidf(min_groups=2).fit(fit_docs, groups=groups[:-1])


_COUNTS = [re.compile(r"[.,;:!?]"), re.compile(r"[A-ZÀ-ÖØ-Þ]"), re.compile(r"\d"), re.compile(r"\b[A-ZÀ-ÖØ-Þ]\w"),
           re.compile(r"[.!?][\"'”’)\]]?(\s|$)"), re.compile(r"[|•»]")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(ALPHABET, min_size=0, max_size=60), min_size=1, max_size=8))
def test_character_counts_equal_the_regular_expressions(texts):
    counts = _text_counts(texts)
    for i, text in enumerate(texts):
        expected = [len(p.findall(text)) for p in _COUNTS] + [float(text[:1].islower())]
        assert counts[i].tolist() == expected, text


def test_a_pickled_model_scores_the_same_in_a_process_with_other_string_hashes(tmp_path):
    """The DOM table is keyed by Python's per-process string hashes; pickling must not carry it."""
    from classifier import load_model

    model = load_model()
    page = (Path(__file__).parent / "pages" / "recommended.html").read_bytes()
    expected = [b.score for b in model.filter_html(page).blocks]
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    (tmp_path / "page.html").write_bytes(page)
    script = ("import pickle, sys, json; m = pickle.load(open(sys.argv[1], 'rb')); "
              "print(json.dumps([b.score for b in m.filter_html(open(sys.argv[2], 'rb').read()).blocks]))")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "model.pkl"), str(tmp_path / "page.html")],
                         capture_output=True, text=True, env=env, timeout=120, check=True)
    assert json.loads(out.stdout) == expected
