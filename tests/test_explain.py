"""Per-block explanations: the stage-1 terms add up to the model's own stage-1 logit."""
from __future__ import annotations

import numpy as np
import pytest

from classifier.explain import explain_page


@pytest.fixture(scope="module", params=["html", "text"])
def page(request, loaded_model, unseen_pages):
    mode = request.param
    model = loaded_model.model_for(mode)
    if mode == "html":
        blocks = loaded_model.html_blocks(unseen_pages[0].html)
    else:
        blocks = loaded_model.text_blocks(unseen_pages[1].main_text + "\nRead more\nShare this story")
    return model.classifier, blocks


def test_terms_and_intercept_sum_to_the_stage1_logit(page):
    clf, blocks = page
    explanations = explain_page(clf, blocks)
    assert len(explanations) == len(blocks) > 3
    tokens = clf._tokens([blocks])
    expected = clf._stage1_logits([blocks], tokens)[0]
    for e, z in zip(explanations, expected):
        total = e.intercept + sum(t.contribution for t in e.terms)
        assert abs(total - z) < 1e-6
        assert abs(e.stage1_logit - z) < 1e-6


def test_final_logit_is_the_score_and_context_shift_is_reported(page):
    clf, blocks = page
    explanations = explain_page(clf, blocks)
    scores = clf.page_scores([blocks])[0]
    for e, p in zip(explanations, scores):
        assert abs(1 / (1 + np.exp(-e.final_logit)) - p) < 1e-9
        assert e.context_shift == pytest.approx(e.final_logit - e.stage1_logit)
    assert any(abs(e.context_shift) > 1e-3 for e in explanations)  # the context stage does move scores


def test_top_terms_are_readable_and_ordered(page):
    clf, blocks = page
    e = max(explain_page(clf, blocks), key=lambda x: len(x.terms))
    up, down = e.up(3), e.down(3)
    assert up and down
    assert [t.contribution for t in up] == sorted((t.contribution for t in up), reverse=True)
    assert [t.contribution for t in down] == sorted(t.contribution for t in down)
    vocabulary = clf.text_vectorizer_.vocabulary_
    for t in e.terms:
        if t.kind == "text":
            assert t.feature in vocabulary  # the readable gram, not a hash
    grams = {t.feature for t in e.terms if t.kind == "text"}
    assert any(" " in g for g in grams) or clf.text_ngram_max == 1  # bigrams come back as "a b"
    for t in e.up(3, ("text",)) + e.down(3, ("text",)):
        assert t.kind == "text"
    d = e.to_dict(3)
    shown = sum(t["contribution"] for t in d["up"] + d["down"])
    assert d["intercept"] + shown + d["rest"] == pytest.approx(d["stage1_logit"], abs=1e-5)


def test_empty_page_has_no_explanations(loaded_model):
    assert explain_page(loaded_model.model_for("html").classifier, []) == []
