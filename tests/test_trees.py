"""The boosted context stage: numpy trees equal scikit-learn's, survive a save and load, and
a model file whose trees were edited to point anywhere is refused."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from classifier.model import BlockClassifier, classifier_from_state, classifier_to_state
from classifier.scorer import TREES_PREFIX, BlockScorer
from classifier.trees import TreeEnsemble, trees_from_boosting
from training.dataset import build_examples
from training.readers import read_pages_jsonl


def test_numpy_trees_give_scikit_learns_raw_scores():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4000, 9))
    y = ((X[:, 0] * X[:, 1] > 0) ^ (X[:, 2] > 1)).astype(int)  # interactions a line cannot draw
    estimator = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=15, max_depth=6,
                                               early_stopping=False, random_state=0).fit(X, y)
    trees = trees_from_boosting(estimator)
    X_new = rng.normal(size=(1500, 9))
    assert len(trees.roots) == 40
    assert 1 <= trees.depth <= 6
    np.testing.assert_allclose(trees.decision(X_new), estimator.decision_function(X_new), atol=1e-9)
    assert trees.decision(np.zeros((0, 9))).shape == (0,)


@pytest.fixture(scope="module")
def examples(pages_jsonl):
    return build_examples(read_pages_jsonl(pages_jsonl), "html", progress=False)


@pytest.fixture(scope="module")
def boosted(examples):
    return BlockClassifier(random_state=0, stage2_trees=25).fit(examples.pages, examples.labels,
                                                                groups=examples.groups)


def test_a_boosted_model_scores_the_same_after_save_and_load(boosted, examples):
    arrays, config = classifier_to_state(boosted)
    assert {TREES_PREFIX + "feature", TREES_PREFIX + "value"} <= set(arrays)
    loaded = BlockScorer.from_state(arrays, config)
    refit = classifier_from_state(arrays, config)
    expected = boosted.predict_proba(examples.pages)[:, 1]
    np.testing.assert_allclose(loaded.predict_proba(examples.pages)[:, 1], expected, atol=1e-12)
    np.testing.assert_allclose(refit.predict_proba(examples.pages)[:, 1], expected, atol=1e-12)
    # the trees decide: the linear context stage alone gives other scores
    linear = BlockScorer.from_state(arrays, {**config, "params": {**config["params"], "stage2_trees": 0}})
    assert np.abs(linear.predict_proba(examples.pages)[:, 1] - expected).max() > 1e-3


def test_inner_scores_of_a_boosted_model_come_from_trees_that_did_not_see_the_page(boosted):
    assert len(boosted.inner_scores_) > 0
    inner = np.concatenate(boosted.inner_scores_)
    assert np.all((inner >= 0) & (inner <= 1))


@pytest.mark.parametrize("edit", ["feature_out_of_range", "child_out_of_range", "short_threshold", "missing",
                                  "depth_not_whole", "nan_value", "nan_threshold"])
def test_edited_tree_arrays_are_refused(boosted, edit):
    arrays, config = classifier_to_state(boosted)
    arrays = dict(arrays)
    if edit == "feature_out_of_range":
        arrays[TREES_PREFIX + "feature"] = arrays[TREES_PREFIX + "feature"] + 10_000
    elif edit == "child_out_of_range":
        arrays[TREES_PREFIX + "left"] = arrays[TREES_PREFIX + "left"] * 0 - 1
    elif edit == "short_threshold":
        arrays[TREES_PREFIX + "threshold"] = arrays[TREES_PREFIX + "threshold"][:-1]
    elif edit == "missing":
        del arrays[TREES_PREFIX + "roots"]
    elif edit in ("nan_value", "nan_threshold"):
        name = TREES_PREFIX + edit.removeprefix("nan_")
        arrays[name] = arrays[name].copy()
        arrays[name][0] = np.nan
    else:
        arrays[TREES_PREFIX + "meta"] = np.array([0.0, 2.5])
    with pytest.raises(ValueError):
        BlockScorer.from_state(arrays, config)


def test_a_model_without_trees_has_none_after_a_refit_without_them(examples, boosted):
    arrays, config = classifier_to_state(boosted)
    model = classifier_from_state(arrays, config)
    model.set_params(stage2_trees=0).fit(examples.pages, examples.labels, groups=examples.groups)
    assert not hasattr(model, "stage2_trees_")
    assert TREES_PREFIX + "feature" not in classifier_to_state(model)[0]


def test_tree_ensemble_walks_every_row_to_a_leaf():
    # one stump: feature 1 <= 0.5 goes to a leaf worth -1, else to a leaf worth +2
    trees = TreeEnsemble(feature=np.array([1, 0, 0]), threshold=np.array([0.5, np.inf, np.inf]),
                         left=np.array([1, 1, 2]), right=np.array([2, 1, 2]), value=np.array([0.0, -1.0, 2.0]),
                         roots=np.array([0]), baseline=0.25, depth=1)
    X = np.array([[9.0, 0.0], [9.0, 0.5], [-9.0, 0.6]])
    np.testing.assert_allclose(trees.decision(X), [-0.75, -0.75, 2.25])
