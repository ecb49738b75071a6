"""BlockClassifier: scikit-learn conventions, shapes and reproducibility (how well it learns: test_model_quality.py)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from classifier.context import LOCAL_REGION_NAMES, SEQUENCE_NAMES
from classifier.features import SHAPE_NAMES
from classifier.model import BlockClassifier, classifier_from_state, classifier_to_state
from classifier.scorer import BlockScorer
from training.dataset import build_examples
from training.readers import read_pages_jsonl
from synthetic import split_by_site


@pytest.fixture(scope="module")
def examples(pages_jsonl):
    return build_examples(read_pages_jsonl(pages_jsonl), "html", progress=False)


@pytest.fixture(scope="module")
def split(examples):
    """Train on sites 0-5, test on sites 6-7 (no template shared)."""
    return split_by_site(examples, test_sites=2)


@pytest.fixture(scope="module")
def fitted(split):
    pages, labels, groups, _, _ = split
    return BlockClassifier(random_state=0).fit(pages, labels, groups=groups)


def test_predict_proba_shape_and_range(fitted, split):
    _, _, _, test_pages, _ = split
    proba = fitted.predict_proba(test_pages)
    n_blocks = sum(len(p) for p in test_pages)
    assert proba.shape == (n_blocks, 2)
    assert np.all((proba >= 0.0) & (proba <= 1.0))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    pred = fitted.predict(test_pages)
    assert pred.shape == (n_blocks,) and set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, (proba[:, 1] >= 0.5).astype(int))
    assert list(fitted.classes_) == [0, 1]


def test_page_scores_one_array_per_page(fitted, split):
    _, _, _, test_pages, _ = split
    pages = [test_pages[0], [], test_pages[1]]
    scores = fitted.page_scores(pages)
    assert [len(s) for s in scores] == [len(p) for p in pages]
    # a page's scores do not depend on the pages scored with it
    np.testing.assert_allclose(scores[0], fitted.page_scores([test_pages[0]])[0])
    np.testing.assert_allclose(np.concatenate([scores[0], scores[2]]),
                               fitted.predict_proba([test_pages[0], test_pages[1]])[:, 1])


@pytest.mark.parametrize("second_stage", [True, False])
def test_same_seed_same_model(split, second_stage):
    pages, labels, groups, test_pages, _ = split
    a = BlockClassifier(random_state=3, second_stage=second_stage).fit(pages, labels, groups=groups)
    b = BlockClassifier(random_state=3, second_stage=second_stage).fit(pages, labels, groups=groups)
    arrays_a, config_a = classifier_to_state(a)
    arrays_b, config_b = classifier_to_state(b)
    assert config_a == config_b
    assert arrays_a.keys() == arrays_b.keys()
    for key in arrays_a:
        np.testing.assert_array_equal(arrays_a[key], arrays_b[key], err_msg=key)
    np.testing.assert_array_equal(a.predict_proba(test_pages), b.predict_proba(test_pages))


def test_params_follow_sklearn_conventions(split):
    model = BlockClassifier(C=0.3, use_dom=False)
    params = model.get_params()
    assert params["C"] == 0.3 and params["use_dom"] is False
    assert model.set_params(C=2.0, second_stage=False) is model
    assert model.get_params()["C"] == 2.0 and model.get_params()["second_stage"] is False
    with pytest.raises(ValueError):
        model.set_params(no_such_param=1)
    # an unfitted clone with the same parameters; fitting one does not touch the other
    pages, labels, groups, test_pages, _ = split
    fitted = clone(model).fit(pages, labels, groups=groups)
    twin = clone(fitted)
    assert twin.get_params() == fitted.get_params()
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(twin))
    assert fitted.predict_proba(test_pages).shape[1] == 2


def test_changing_a_parameter_changes_the_model(split):
    pages, labels, groups, test_pages, _ = split
    a = BlockClassifier(C=1.0, second_stage=False).fit(pages, labels, groups=groups)
    b = BlockClassifier(C=0.01, second_stage=False).fit(pages, labels, groups=groups)
    assert not np.allclose(a.predict_proba(test_pages), b.predict_proba(test_pages))


def test_labels_of_one_class_are_an_error(split):
    pages = split[0]
    with pytest.raises(ValueError, match="both"):
        BlockClassifier().fit(pages, [[1] * len(p) for p in pages])
    with pytest.raises(ValueError, match="both"):
        BlockClassifier().fit(pages, [[0] * len(p) for p in pages])


def test_labels_must_match_blocks(split):
    pages, labels = split[0], split[1]
    with pytest.raises(ValueError):
        BlockClassifier().fit(pages, labels[:-1])
    with pytest.raises(ValueError):
        BlockClassifier().fit(pages, [list(y)[:-1] for y in labels])


def test_text_mode_model_without_dom(examples):
    text = build_examples(examples.sources, "text", progress=False)
    model = BlockClassifier(use_dom=False).fit(text.pages, text.labels, groups=text.groups)
    proba = model.predict_proba(text.pages[:2])
    assert proba.shape == (len(text.pages[0]) + len(text.pages[1]), 2)
    assert all(b.path is None for b in text.pages[0])


def test_min_sites_keep_only_words_seen_on_that_many_sites(split):
    pages, labels, groups, _, _ = split
    model = BlockClassifier(random_state=0, dom_min_sites=3, text_min_sites=2).fit(pages, labels, groups=groups)
    sites_of: dict[str, set] = {}
    for page, group in zip(pages, groups):
        for block in page:
            for token in block.dom_tokens:
                sites_of.setdefault(token, set()).add(group)
    assert model.dom_vectorizer_.vocabulary_
    assert all(len(sites_of[t]) >= 3 for t in model.dom_vectorizer_.vocabulary_)
    everything = BlockClassifier(random_state=0).fit(pages, labels, groups=groups)
    assert set(model.dom_vectorizer_.vocabulary_) < set(everything.dom_vectorizer_.vocabulary_)
    assert len(model.text_vectorizer_.vocabulary_) <= len(everything.text_vectorizer_.vocabulary_)


def test_page_weight_power_weighs_every_page_the_same(split):
    assert BlockClassifier()._block_weights(split[0]) is None  # default: every block counts once
    model = BlockClassifier(page_weight_power=1.0)
    sizes = [3, 1, 6]
    weights = model._block_weights([[None] * n for n in sizes])
    np.testing.assert_allclose(weights.mean(), 1.0)
    per_page = np.add.reduceat(weights, [0, 3, 4])
    np.testing.assert_allclose(per_page, per_page[0])  # power 1: each page's blocks sum to the same
    half = BlockClassifier(page_weight_power=0.5)._block_weights([[None] * n for n in sizes])
    np.testing.assert_allclose(half[4] / half[0], (6 / 3) ** -0.5)


def test_teaser_weight_multiplies_the_marked_blocks():
    pages = [[None] * 3, [None] * 2]
    teasers = [[False, True, False], [True, False]]
    assert BlockClassifier()._block_weights(pages, teasers) is None  # weight 1: nothing to weigh
    assert BlockClassifier(teaser_weight=3.0)._block_weights(pages) is None  # no flags given
    weights = BlockClassifier(teaser_weight=3.0)._block_weights(pages, teasers)
    np.testing.assert_allclose(weights.mean(), 1.0)
    np.testing.assert_allclose(weights / weights[0], [1, 3, 1, 3, 1])
    both = BlockClassifier(teaser_weight=2.0, page_weight_power=1.0)._block_weights(pages, teasers)
    np.testing.assert_allclose(both / both[0], [1, 2, 1, 3, 1.5])  # 1/3 per block on page 1, 1/2 on page 2


def _teaser_flags(labels) -> list[list[bool]]:
    """Every third clutter block of each page flagged as a teaser."""
    return [[not y and i % 3 == 0 for i, y in enumerate(page)] for page in labels]


def test_teaser_weight_changes_the_fit_and_checks_its_input(split):
    pages, labels, groups, test_pages, _ = split
    teasers = _teaser_flags(labels)
    plain = BlockClassifier(random_state=0).fit(pages, labels, groups=groups)
    same = BlockClassifier(random_state=0).fit(pages, labels, groups=groups, teasers=teasers)
    np.testing.assert_allclose(plain.predict_proba(test_pages), same.predict_proba(test_pages))
    weighted = BlockClassifier(random_state=0, teaser_weight=4.0).fit(pages, labels, groups=groups, teasers=teasers)
    assert not np.allclose(plain.stage1_coef_, weighted.stage1_coef_)
    assert not np.allclose(plain.stage2_coef_, weighted.stage2_coef_)
    with pytest.raises(ValueError, match="one flag per block"):
        BlockClassifier(teaser_weight=4.0).fit(pages, labels, groups=groups, teasers=teasers[:-1])
    with pytest.raises(ValueError, match="teaser_weight must be positive"):
        BlockClassifier(teaser_weight=0.0).fit(pages, labels, groups=groups, teasers=teasers)


def test_fit_pages_gives_the_teaser_flags_to_a_model_that_weighs_them(examples):
    from training.folds import fit_pages
    assert any(any(page) for page in examples.teasers)  # the synthetic pages have teaser widgets
    pages = list(range(len(examples.pages) - 4))
    model = fit_pages(lambda: BlockClassifier(random_state=0, teaser_weight=4.0), examples, pages)
    direct = BlockClassifier(random_state=0, teaser_weight=4.0).fit(
        [examples.pages[i] for i in pages], [examples.labels[i] for i in pages],
        groups=[examples.groups[i] for i in pages], teasers=[examples.teasers[i] for i in pages])
    unflagged = BlockClassifier(random_state=0, teaser_weight=4.0).fit(
        [examples.pages[i] for i in pages], [examples.labels[i] for i in pages],
        groups=[examples.groups[i] for i in pages])
    np.testing.assert_array_equal(model.stage1_coef_, direct.stage1_coef_)
    assert not np.allclose(model.stage1_coef_, unflagged.stage1_coef_)


@pytest.mark.parametrize("trees", [0, 5])
def test_page_weight_power_changes_the_fit(split, trees):
    pages, labels, groups, test_pages, _ = split
    plain = BlockClassifier(random_state=0, stage2_trees=trees).fit(pages, labels, groups=groups)
    weighted = BlockClassifier(random_state=0, stage2_trees=trees, page_weight_power=1.0).fit(
        pages, labels, groups=groups)
    assert not np.allclose(plain.stage1_coef_, weighted.stage1_coef_)
    assert not np.allclose(plain.stage2_coef_, weighted.stage2_coef_)
    proba = weighted.predict_proba(test_pages)[:, 1]
    assert np.all((proba >= 0) & (proba <= 1)) and not np.allclose(proba, plain.predict_proba(test_pages)[:, 1])


@pytest.mark.parametrize("param, names", [("local_region", LOCAL_REGION_NAMES),
                                           ("sequence_context", SEQUENCE_NAMES)])
def test_optional_context_columns_only_when_asked_and_scores_survive_saving(split, param, names):
    """``local_region=True`` adds the three local-region context columns, ``sequence_context=True``
    the running means along the page; the saved model reads them back and scores as the fitted
    one does. Without the option the columns are left out."""
    pages, labels, groups, test_pages, _ = split
    extended = BlockClassifier(random_state=0, **{param: True}).fit(pages, labels, groups=groups)
    arrays, config = classifier_to_state(extended)
    assert set(names) <= set(config["context_names"])
    again = classifier_from_state(arrays, config)
    np.testing.assert_allclose(again.predict_proba(test_pages), extended.predict_proba(test_pages), atol=1e-12)
    plain = BlockClassifier(random_state=0).fit(pages, labels, groups=groups)
    assert not set(names) & set(classifier_to_state(plain)[1]["context_names"])
    assert not np.allclose(plain.predict_proba(test_pages), extended.predict_proba(test_pages))


def test_topic_similarity_by_page_counts_is_saved_and_scored_with_the_model(split):
    """``topic_page_idf`` (on by default) weighs the topic-similarity words by their rarity on the
    page: the scores differ from the corpus-idf model's, the saved model scores as the fitted one,
    and a model saved before the parameter existed keeps the corpus idf it was trained with."""
    pages, labels, groups, test_pages, _ = split
    local = BlockClassifier(random_state=0).fit(pages, labels, groups=groups)
    arrays, config = classifier_to_state(local)
    assert config["params"]["topic_page_idf"] is True
    again = BlockScorer.from_state(arrays, config)
    np.testing.assert_allclose(again.predict_proba(test_pages), local.predict_proba(test_pages), atol=1e-12)
    corpus = BlockClassifier(random_state=0, topic_page_idf=False).fit(pages, labels, groups=groups)
    assert not np.allclose(corpus.predict_proba(test_pages), local.predict_proba(test_pages))
    arrays, config = classifier_to_state(corpus)
    del config["params"]["topic_page_idf"]  # as a model saved before the parameter existed
    for older in (BlockScorer.from_state(arrays, config), classifier_from_state(arrays, config)):
        assert older.topic_page_idf is False
        np.testing.assert_allclose(older.predict_proba(test_pages), corpus.predict_proba(test_pages), atol=1e-12)


def test_sequence_stage_scores_pages_and_survives_saving(split):
    """``stage2_gru=N`` puts a bidirectional GRU of N units over each page's context rows: its
    scores differ from the linear stage's, a page's scores do not depend on the pages scored
    with it, and the saved model (plain arrays, numpy only) scores as the fitted one does."""
    pages, labels, groups, test_pages, _ = split
    recurrent = BlockClassifier(random_state=0, stage2_gru=8, stage2_gru_epochs=2).fit(pages, labels, groups=groups)
    plain = BlockClassifier(random_state=0).fit(pages, labels, groups=groups)
    proba = recurrent.predict_proba(test_pages)[:, 1]
    assert np.all((proba >= 0) & (proba <= 1))
    assert not np.allclose(proba, plain.predict_proba(test_pages)[:, 1])
    assert len(recurrent.inner_scores_) == len(pages)
    np.testing.assert_allclose(recurrent.page_scores([test_pages[1]])[0],
                               recurrent.page_scores([test_pages[0], test_pages[1]])[1], atol=1e-12)
    arrays, config = classifier_to_state(recurrent)
    assert any(name.startswith("stage2_gru_") for name in arrays)
    again = classifier_from_state(arrays, config)
    np.testing.assert_allclose(again.predict_proba(test_pages), recurrent.predict_proba(test_pages), atol=1e-12)
    with pytest.raises(ValueError, match="stage2_gru"):
        BlockClassifier(stage2_gru=8, stage2_trees=5).fit(pages, labels, groups=groups)


def test_drop_features_leaves_the_named_columns_out_of_both_stages(split):
    """``drop_features`` (comma-separated names) trains without those shape and context
    features; the saved model records and reads the rest. Unknown names are an error."""
    pages, labels, groups, test_pages, _ = split
    dropped = BlockClassifier(random_state=0, drop_features="has_heading, topic_similarity").fit(
        pages, labels, groups=groups)
    arrays, config = classifier_to_state(dropped)
    assert "has_heading" not in config["shape_names"] and "topic_similarity" not in config["context_names"]
    assert len(arrays["shape_mean"]) == len(config["shape_names"]) == len(SHAPE_NAMES) - 1
    again = classifier_from_state(arrays, config)
    np.testing.assert_allclose(again.predict_proba(test_pages), dropped.predict_proba(test_pages), atol=1e-12)
    with pytest.raises(ValueError, match="no_such_feature"):
        BlockClassifier(random_state=0, drop_features="no_such_feature").fit(pages, labels, groups=groups)
