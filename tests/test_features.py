"""Features: the fast TF-IDF matches scikit-learn's, shape and context features are sane."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.blocks import Block
from classifier.context import CONTEXT_NAMES, SEQUENCE_DECAYS, SEQUENCE_NAMES, context_features, running_means
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


def _running_means_by_loop(values: list[float], decay: float, pad: float) -> tuple[list[float], list[float]]:
    """The untruncated definition: a decaying mean over all blocks before (after), the page's
    edge continuing as ``pad`` for ever."""
    def one_side(seq: list[float]) -> list[float]:
        out, state = [], pad
        for v in seq:
            out.append(state)
            state = decay * state + (1 - decay) * v
        return out
    return one_side(values), one_side(values[::-1])[::-1]


@pytest.mark.parametrize("decay", SEQUENCE_DECAYS)
def test_running_means_match_the_recurrence_they_stand_for(decay):
    rng = np.random.default_rng(7)
    for n in (1, 3, 40, 300):
        values = rng.normal(0, 3, n)
        before, after = running_means(values, decay, pad=-4.0)
        want_before, want_after = _running_means_by_loop(list(values), decay, -4.0)
        # the convolution stops where the weights fall below 1e-3 of the total
        assert np.allclose(before, want_before, atol=0.05) and np.allclose(after, want_after, atol=0.05)


def test_sequence_columns_see_a_run_of_short_blocks_after_the_story():
    texts = ["A long story paragraph " * 6] * 6 + ["Short headline"] * 6
    blocks = [Block(index=i, text=t, kind="paragraph") for i, t in enumerate(texts)]
    z = np.array([4.0] * 6 + [-1.0] * 6)
    col = {name: i for i, name in enumerate(CONTEXT_NAMES)}
    plain = context_features(blocks, z)
    assert not plain[:, [col[n] for n in SEQUENCE_NAMES]].any()  # only computed when asked for
    ctx = context_features(blocks, z, sequence=True)
    assert np.array_equal(ctx[:, :col[SEQUENCE_NAMES[0]]], plain[:, :col[SEQUENCE_NAMES[0]]])
    # the last story paragraph has story before it and short lines after it
    assert ctx[5, col["z_before50"]] > 3.0 and ctx[5, col["short_after50"]] > 0.9
    # a longer memory reaches past the page's edge (the logit pad, no short blocks)
    assert ctx[5, col["z_before95"]] < ctx[5, col["z_before80"]] < ctx[5, col["z_before50"]]
    assert ctx[6, col["z_before50"]] > 3.0 and ctx[6, col["short_before50"]] < 0.1
    assert np.isclose(ctx[11, col["z_after95"]], -4.0) and ctx[11, col["short_after95"]] == 0.0


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


# ----- every text-derived shape feature against a plain-Python reading of its definition ---------
REFERENCE_PAGE = "\n".join([
    "Breaking: Élan Vital wins the 2024 award!",
    "",
    "The council approved the plan after a long debate on Tuesday night; members voted 7-2. "
    "Mr. Grey said: \"It's done.\" The works start in May, and the road closes (for now) on the 3rd.",
    "it starts lower and has no end",
    "Home | News | Sport",
    "• Port strike enters its third week",
    "Home | News | Sport",
    "Short one.",
    "A second long paragraph follows here, long enough to count as a story paragraph by its length, "
    "with several clauses, some numbers like 12 and 345, and an ending?",
    "MORE STORIES",
    "Storm warning for the coast tonight",
    "ÅNGSTRÖM Ökonomie über Straße",
])


def _reference_rows(texts: list[str], tokens: list[list[str]]) -> dict[str, list[float]]:
    """The features whose definition reads only the texts, written the slow, obvious way."""
    n = len(texts)
    lengths = [len(t) for t in texts]
    median = sorted(lengths)[(n - 1) // 2] if n % 2 else (sorted(lengths)[n // 2 - 1] + sorted(lengths)[n // 2]) / 2
    is_long = [length >= 150 for length in lengths]
    total_long = max(sum(length for length, lng in zip(lengths, is_long) if lng), 1)
    ends = [t.rstrip("\"'”’").endswith((".", "!", "?", ":", "…", "。")) for t in texts]
    headline = [not e and 12 <= length <= 160 for e, length in zip(ends, lengths)]
    runs = [0] * n
    i = 0
    while i < n:
        j = i
        while j < n and headline[j]:
            j += 1
        for k in range(i, j):
            runs[k] = j - i
        i = max(j, i + 1)
    rows: dict[str, list[float]] = {name: [] for name in SHAPE_NAMES}
    for i, (text, toks) in enumerate(zip(texts, tokens)):
        chars, words = max(len(text), 1), len(toks)
        after = sum(lengths[j] for j in range(i + 1, n) if is_long[j])
        before = sum(lengths[j] for j in range(i) if is_long[j])
        trailing = after == 0 and not is_long[i]
        rows["log_chars"].append(math.log1p(len(text)))
        rows["log_words"].append(math.log1p(words))
        rows["punct_rate"].append(sum(c in ".,;:!?" for c in text) / chars)
        rows["upper_share"].append(len(re.findall("[A-ZÀ-ÖØ-Þ]", text)) / chars)
        rows["digit_share"].append(len(re.findall(r"\d", text)) / chars)
        rows["cap_word_share"].append(len(re.findall(r"\b[A-ZÀ-ÖØ-Þ]\w", text)) / max(words, 1))
        rows["mean_word_len"].append(sum(map(len, toks)) / words if words else 0.0)
        rows["log_sentences"].append(math.log1p(len(re.findall(r"[.!?][\"'”’)\]]?(\s|$)", text))))
        rows["position"].append(i / (n - 1))
        rows["position_sq"].append((i / (n - 1)) ** 2)
        rows["duplicate"].append(float(texts.count(text) > 1))
        rows["rel_len_page_max"].append(len(text) / max(lengths))
        rows["rel_len_page_median"].append(math.log1p(len(text)) - math.log1p(median))
        rows["prev_log_chars"].append(math.log1p(lengths[i - 1]) if i else 0.0)
        rows["next_log_chars"].append(math.log1p(lengths[i + 1]) if i < n - 1 else 0.0)
        rows["first"].append(float(i == 0))
        rows["last"].append(float(i == n - 1))
        rows["starts_lower"].append(float(text[:1].islower()))
        rows["has_pipe_or_bullet"].append(float(any(c in "|•»" for c in text)))
        rows["is_short"].append(float(words <= 3))
        rows["headline_like"].append(float(headline[i]))
        rows["headline_run"].append(math.log1p(runs[i]))
        rows["long_share_after"].append(after / total_long)
        rows["long_share_before"].append(before / total_long)
        rows["next_is_long"].append(float(i < n - 1 and is_long[i + 1]))
        rows["prev_is_long"].append(float(i > 0 and is_long[i - 1]))
        rows["after_last_long"].append(float(trailing))
        rows["trailing_headline"].append(float(trailing and headline[i]))
        rows["trailing_run"].append(math.log1p(runs[i]) if trailing else 0.0)
        rows["leading_headline"].append(float(before == 0 and not is_long[i] and headline[i]))
    return {name: values for name, values in rows.items() if values}


def test_text_shape_features_equal_their_definitions():
    blocks = segment_text(REFERENCE_PAGE)
    texts = [b.text for b in blocks]
    assert len(texts) == 11 and sum(len(t) >= 150 for t in texts) == 2
    tokens = [word_tokens(t, 120) for t in texts]
    features = shape_features(blocks, tokens)
    reference = _reference_rows(texts, tokens)
    assert len(reference) == 30
    for name, expected in reference.items():
        np.testing.assert_allclose(features[:, SHAPE_NAMES.index(name)], expected, rtol=0, atol=1e-12,
                                   err_msg=name)
    # text mode: each block is a line, no links, one blank line before the long paragraph
    assert features[:, SHAPE_NAMES.index("kind_line")].tolist() == [1.0] * 11
    assert features[:, SHAPE_NAMES.index("link_share")].tolist() == [0.0] * 11
    assert features[:, SHAPE_NAMES.index("blank_before")].tolist() == [0.0, 1.0] + [0.0] * 9
    assert features[:, SHAPE_NAMES.index("next_blank_before")].tolist() == [1.0] + [0.0] * 10
