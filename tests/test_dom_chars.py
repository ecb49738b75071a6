"""Character n-grams of the DOM words (``dom_char_weight``): the grams, the fit, and the numpy
scorer and explanations agreeing with the estimator."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from classifier import dom_chars
from classifier.dom_chars import char_decision, distinct_char_docs, dom_char_grams, word_char_grams
from classifier.explain import explain_page
from classifier.model import BlockClassifier, classifier_to_state
from classifier.scorer import BlockScorer
from training.dataset import build_examples
from training.readers import read_pages_jsonl
from synthetic import split_by_site


@pytest.mark.parametrize("words", [("moreheadlines",), ("a", "ab", "abc", "abcd", "abcde"),
                                   ("related", "posts", "related"), ("weitere", "artikel", "más", "leído")])
def test_the_grams_are_scikit_learns_char_wb_grams(words):
    analyzer = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False).build_analyzer()
    assert Counter(dom_char_grams(words)) == Counter(analyzer(" ".join(words)))


def test_the_blocks_own_tag_and_element_words_give_no_grams():
    assert dom_char_grams(("tag_li", "self_card")) == ()
    assert dom_char_grams(("tag_li", "teaser")) == word_char_grams("teaser")
    assert " te" in word_char_grams("teaser") and "aser " in word_char_grams("teaser")


@pytest.fixture(scope="module")
def split(pages_jsonl):
    return split_by_site(build_examples(read_pages_jsonl(pages_jsonl), "html", progress=False), test_sites=2)


@pytest.fixture(scope="module")
def fitted(split):
    pages, labels, groups, _, _ = split
    return BlockClassifier(random_state=0, dom_char_weight=0.5).fit(pages, labels, groups=groups)


def test_off_by_default_and_fitted_when_weighed(split, fitted):
    pages, labels, groups, _, _ = split
    plain = BlockClassifier(random_state=0, second_stage=False).fit(pages, labels, groups=groups)
    assert not hasattr(plain, "dom_char_vectorizer_")
    assert "dom_char_idf" not in classifier_to_state(plain)[0]
    vocabulary = fitted.dom_char_vectorizer_.vocabulary_
    assert vocabulary and all(3 <= len(gram) <= 5 for gram in vocabulary)
    n_columns = len(fitted.text_vectorizer_.idf_) * 2 + len(fitted.dom_vectorizer_.idf_) + len(vocabulary) \
        + len(fitted.scaler_.mean_)
    assert len(fitted.stage1_coef_) == n_columns


def test_the_saved_scorer_and_the_explanations_give_the_estimators_numbers(split, fitted):
    _, _, _, test_pages, _ = split
    tokens = fitted._tokens(test_pages)
    reference = fitted._stage1_matrix(test_pages, tokens) @ fitted.stage1_coef_ + fitted.stage1_intercept_
    np.testing.assert_allclose(np.concatenate(fitted._stage1_logits(test_pages, tokens)), reference,
                               rtol=0, atol=1e-9)
    arrays, config = classifier_to_state(fitted)
    scorer = BlockScorer.from_state(arrays, config)
    np.testing.assert_allclose(scorer.predict_proba(test_pages), fitted.predict_proba(test_pages), rtol=0, atol=1e-9)
    page = test_pages[0]
    explained = explain_page(scorer, page)
    logits = scorer._stage1_logits([page], scorer._tokens([page]))[0]
    for e, z in zip(explained, logits):
        assert scorer.stage1_intercept_ + sum(t.contribution for t in e.terms) == pytest.approx(z, abs=1e-9)
    assert any(t.feature.startswith("~") for e in explained for t in e.terms)


def test_a_model_file_missing_the_gram_vocabulary_is_refused(fitted):
    arrays, config = classifier_to_state(fitted)
    del config["dom_char_vocabulary"]
    with pytest.raises((KeyError, ValueError)):
        BlockScorer.from_state(arrays, config)


def test_the_cached_decision_is_the_lookups_decision_and_follows_new_coefficients(split, fitted):
    _, _, _, test_pages, _ = split
    lookup = fitted.dom_char_vectorizer_
    distinct, _ = fitted._dom_tokens(test_pages)
    distinct = list(distinct) + [("tag_li", "self_card"), ("zzzqqq",)]  # no grams; no known grams
    coef = np.random.default_rng(0).normal(size=len(lookup.idf_))
    reference = lookup.decision(distinct_char_docs(distinct), coef)
    np.testing.assert_allclose(char_decision(lookup, distinct, coef), reference, rtol=0, atol=1e-12)
    np.testing.assert_allclose(char_decision(lookup, distinct[::-1], coef), reference[::-1], rtol=0, atol=1e-12)
    assert reference[-1] == 0.0 and reference[-2] == 0.0
    other = coef * -2.0  # same lookup, new weights: the kept decisions must not be reused
    np.testing.assert_allclose(char_decision(lookup, distinct, other), reference * -2.0, rtol=0, atol=1e-12)
    coef_in_place = other.copy()
    char_decision(lookup, distinct, coef_in_place)
    coef_in_place *= 0.5
    np.testing.assert_allclose(char_decision(lookup, distinct, coef_in_place), reference * -1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("tuples", [[()], [(), ("tag_p",)], [("zzzqqq", "zzzqqq"), ()]])
def test_tuples_without_known_grams_decide_zero(fitted, tuples):
    lookup = fitted.dom_char_vectorizer_
    coef = np.ones(len(lookup.idf_))
    assert char_decision(lookup, tuples, coef).tolist() == [0.0] * len(tuples)


@pytest.mark.parametrize("dense_slots_per_entry", [0, 1 << 40])
def test_both_ways_of_counting_grams_give_the_lookups_decision(split, fitted, monkeypatch, dense_slots_per_entry):
    """Pairs are counted by sorting or by one bincount, depending on the page: both are exact."""
    monkeypatch.setattr(dom_chars, "_DENSE_SLOTS_PER_ENTRY", dense_slots_per_entry)
    _, _, _, test_pages, _ = split
    lookup = fitted.dom_char_vectorizer_
    distinct, _ = fitted._dom_tokens(test_pages)
    # words repeated along a path and words sharing grams: counts above one
    distinct = [tuple(d) for d in distinct] + [tuple(distinct[0]) * 3, ("article", "article", "articles")]
    coef = np.random.default_rng(1).normal(size=len(lookup.idf_))
    reference = lookup.decision(distinct_char_docs(distinct), coef)
    got = dom_chars._decisions(lookup, distinct, coef, {})
    np.testing.assert_allclose(got, reference, rtol=0, atol=1e-12)
