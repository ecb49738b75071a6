"""The sequence stage: the numpy network scores as the PyTorch one it was copied from, learns
what only the order of the blocks tells, and refuses edited arrays."""
from __future__ import annotations

import numpy as np
import pytest

from classifier.recurrent import RECURRENT_ARRAYS, RecurrentStage
from classifier.scorer import RECURRENT_PREFIX
from extras import require

torch = require("torch", "sequence")

from classifier.recurrent_fit import MAX_TRAINING_BLOCKS, fit_network, fit_recurrent, to_numpy  # noqa: E402


def _pages(seed: int, n: int = 60, columns: int = 4) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pages whose label is a block's first column *two blocks earlier*: a model that sees one
    block at a time can only guess; one that reads the sequence can learn it."""
    rng = np.random.default_rng(seed)
    pages = [rng.normal(size=(int(length), columns)) for length in rng.integers(3, 80, size=n)]
    labels = [(np.concatenate([[0.0, 0.0], page[:-2, 0]]) > 0).astype(np.float64) for page in pages]
    return pages, labels


@pytest.fixture(scope="module")
def fitted():
    pages, labels = _pages(0)
    return fit_network(pages, labels, [np.ones(len(p)) for p in pages], hidden=12, epochs=40, seed=0)


def test_numpy_network_gives_pytorchs_logits(fitted):
    stage = to_numpy(fitted)
    rng = np.random.default_rng(1)
    for length in (1, 2, 17, 300):
        X = rng.normal(size=(length, 4)) * 3
        with torch.no_grad():
            expected = fitted(torch.from_numpy(X[None]), torch.tensor([length])).numpy()[0]
        np.testing.assert_allclose(stage.decision(X), expected, atol=1e-10)
    assert stage.decision(np.zeros((0, 4))).shape == (0,)


def test_the_network_learns_what_the_order_of_the_blocks_tells(fitted):
    stage = to_numpy(fitted)
    pages, labels = _pages(2)
    accuracy = np.mean(np.concatenate([(stage.decision(p) > 0) == (y > 0) for p, y in zip(pages, labels)]))
    assert accuracy > 0.85  # a block alone says nothing about its label: chance is about 0.5


def test_same_seed_same_network_and_weights_count():
    pages, labels = _pages(3, n=20)
    weights = [np.ones(len(p)) for p in pages]
    a = fit_recurrent(pages, labels, weights, hidden=4, epochs=2, seed=5)
    b = fit_recurrent(pages, labels, weights, hidden=4, epochs=2, seed=5)
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)
    # blocks that weigh nothing teach nothing: zero weights on every label but the first block's
    flipped = [1.0 - y for y in labels]
    silent = [np.zeros(len(p)) for p in pages]
    for w in silent:
        w[0] = 1.0
    c = fit_recurrent(pages, labels, silent, hidden=4, epochs=2, seed=5)
    d = fit_recurrent(pages, [np.concatenate([y[:1], f[1:]]) for y, f in zip(labels, flipped)], silent,
                      hidden=4, epochs=2, seed=5)
    for left, right in zip(c, d):
        np.testing.assert_allclose(left, right, atol=1e-12)


def test_pages_without_blocks_are_left_out_of_training():
    pages, labels = _pages(6, n=10)
    weights = [np.ones(len(p)) for p in pages]
    empty = np.zeros((0, 4))
    with_empty = fit_recurrent([empty] + pages + [empty], [np.zeros(0)] + labels + [np.zeros(0)],
                               [np.zeros(0)] + weights + [np.zeros(0)], hidden=4, epochs=1, seed=1)
    without = fit_recurrent(pages, labels, weights, hidden=4, epochs=1, seed=1)
    for left, right in zip(with_empty, without):
        np.testing.assert_array_equal(left, right)
    with pytest.raises(ValueError, match="at least one page"):
        fit_recurrent([empty], [np.zeros(0)], [np.zeros(0)])


def test_a_page_longer_than_a_training_window_is_learned_from_a_window():
    rng = np.random.default_rng(4)
    page = rng.normal(size=(MAX_TRAINING_BLOCKS + 50, 3))
    stage = fit_recurrent([page], [(page[:, 0] > 0).astype(float)], [np.ones(len(page))], hidden=2, epochs=1)
    assert np.isfinite(stage.decision(page)).all()


def _arrays(fitted) -> dict[str, np.ndarray]:
    return to_numpy(fitted).to_arrays(RECURRENT_PREFIX)


def test_saved_arrays_read_back(fitted):
    stage = RecurrentStage.from_arrays(_arrays(fitted), RECURRENT_PREFIX, 4)
    X = np.random.default_rng(5).normal(size=(9, 4))
    np.testing.assert_array_equal(stage.decision(X), to_numpy(fitted).decision(X))


@pytest.mark.parametrize("edit", ["missing", "short_bias", "wrong_columns", "hidden_mismatch", "nan", "inf"])
def test_edited_arrays_are_refused(fitted, edit):
    arrays = _arrays(fitted)
    columns = 4
    name = RECURRENT_PREFIX + RECURRENT_ARRAYS[3]  # forward_hidden
    if edit == "missing":
        del arrays[name]
    elif edit == "short_bias":
        arrays[RECURRENT_PREFIX + "dense_bias"] = arrays[RECURRENT_PREFIX + "dense_bias"][:-1]
    elif edit == "wrong_columns":
        columns = 5
    elif edit == "hidden_mismatch":
        arrays[name] = arrays[name][:, :-1]
    else:
        arrays[name] = arrays[name].copy()
        arrays[name][0, 0] = np.nan if edit == "nan" else np.inf
    with pytest.raises(ValueError, match="sequence stage"):
        RecurrentStage.from_arrays(arrays, RECURRENT_PREFIX, columns)
