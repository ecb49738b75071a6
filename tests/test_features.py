"""Features: the fast TF-IDF matches scikit-learn's, shape and context features are sane."""
from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.blocks import Block
from classifier.context import CONTEXT_NAMES, context_features
from classifier.features import SHAPE_NAMES, TokenTfidf, shape_features, word_tokens
from classifier.text_segmenter import segment_text

DOCS = [["the", "cat", "sat", "on", "the", "mat"], ["dogs", "the", "cat"], [], ["zz"], ["the", "the", "the"]]


def _bigram_analyzer(doc):
    return list(doc) + [a + " " + b for a, b in zip(doc, doc[1:])]


def test_token_tfidf_equals_sklearn_tfidf_vectorizer():
    ours = TokenTfidf(ngram_max=2, min_df=1, max_features=None).fit(DOCS)
    ref = TfidfVectorizer(analyzer=_bigram_analyzer, sublinear_tf=True).fit(DOCS)
    columns = [ref.vocabulary_[t] for t in ours.get_feature_names_out()]
    np.testing.assert_allclose(ours.transform(DOCS).toarray(), ref.transform(DOCS).toarray()[:, columns],
                               atol=1e-12)


def test_token_tfidf_unknown_tokens_and_empty_docs_give_zero_rows():
    vec = TokenTfidf(ngram_max=1, min_df=2, max_features=None).fit(DOCS)
    assert set(vec.vocabulary_) == {"the", "cat"}
    X = vec.transform([["unseen"], [], ["cat", "cat"]])
    assert X.shape == (3, 2)
    assert X[0].nnz == 0 and X[1].nnz == 0
    assert abs(np.linalg.norm(X[2].toarray()) - 1.0) < 1e-12


def test_word_tokens_lowercase_fold_digits_and_cap():
    assert word_tokens("The 2024 Budget, 7 items", 10) == ["the", "0000", "budget", "0", "items"]
    assert len(word_tokens("word " * 500, 50)) == 50


def test_shape_features_mark_a_run_of_teaser_lines_after_the_story():
    story = " ".join(["The council approved the plan after a long debate on Tuesday night."] * 3)
    text = "\n".join([story, story, "MORE STORIES", "Port strike enters its third week",
                      "Local team wins the cup in extra time", "Storm warning for the coast"])
    blocks = segment_text(text)
    toks = [word_tokens(b.text, 120) for b in blocks]
    features = shape_features(blocks, toks)
    assert features.shape == (6, len(SHAPE_NAMES))
    col = {name: i for i, name in enumerate(SHAPE_NAMES)}
    assert features[0, col["long_share_after"]] > 0 and features[5, col["long_share_after"]] == 0
    assert features[3, col["headline_run"]] > features[0, col["headline_run"]]
    assert features[0, col["ends_sentence"]] == 1 and features[3, col["ends_sentence"]] == 0


def test_context_features_see_neighbours_and_containers():
    blocks = [Block(index=i, text=f"b{i}", kind="paragraph", container=c) for i, c in enumerate([1, 1, 2, 2, 2])]
    z = np.array([3.0, 2.0, -1.0, -2.0, -3.0])
    ctx = context_features(blocks, z)
    col = {name: i for i, name in enumerate(CONTEXT_NAMES)}
    assert ctx.shape == (5, len(CONTEXT_NAMES))
    assert ctx[1, col["z_prev1"]] == 3.0 and ctx[1, col["z_next1"]] == -1.0
    assert ctx[0, col["container_mean"]] == 2.5 and ctx[4, col["container_max"]] == -1.0
    assert context_features([], np.zeros(0)).shape == (0, len(CONTEXT_NAMES))


def test_model_saved_with_fewer_shape_features_still_loads_and_scores(trained_model_dir):
    """A model from an earlier version (fewer shape features) reads only the columns it knows."""
    import json

    from classifier.artifacts import load_model_dir
    from classifier.model import classifier_from_state

    arrays, config, _ = load_model_dir(trained_model_dir / "html")
    full = classifier_from_state(arrays, config)
    names = config["shape_names"]
    dropped = names.index("leading_headline")
    n_text = len(config["text_vocabulary"]) + len(config.get("dom_vocabulary", []))
    old_arrays = dict(arrays)
    old_arrays["shape_mean"] = np.delete(arrays["shape_mean"], dropped)
    old_arrays["shape_scale"] = np.delete(arrays["shape_scale"], dropped)
    old_arrays["stage1_coef"] = np.delete(arrays["stage1_coef"], n_text + dropped)
    old_config = json.loads(json.dumps(config))
    old_config["shape_names"] = [n for n in names if n != "leading_headline"]
    old = classifier_from_state(old_arrays, old_config)
    page = segment_text("A headline\nThe first paragraph of the story is here and it is long enough.\nMore")
    assert old.shape_columns_.tolist() == [i for i in range(len(SHAPE_NAMES)) if SHAPE_NAMES[i] != "leading_headline"]
    old_scores = old.page_scores([page])[0]
    assert old_scores.shape == (3,)
    # The old model is the full one with that feature's weight at zero: the same scores, value for value.
    zeroed_arrays = dict(arrays)
    zeroed_arrays["stage1_coef"] = arrays["stage1_coef"].copy()
    zeroed_arrays["stage1_coef"][n_text + dropped] = 0.0
    zeroed = classifier_from_state(zeroed_arrays, config)
    np.testing.assert_allclose(old_scores, zeroed.page_scores([page])[0], rtol=0, atol=1e-12)
    assert not np.allclose(old_scores, 0.5)
