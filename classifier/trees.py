"""Boosted trees as flat numpy arrays: the non-linear context stage scores with numpy only.

Training fits scikit-learn's ``HistGradientBoostingClassifier``; :func:`trees_from_boosting`
copies its trees into five arrays (feature, threshold, left, right, value per node, all trees
end to end) that a model file stores like any other weights. Scoring walks every block down
every tree at once: one gather per tree level, so a page of a few hundred blocks through
fifty trees costs a few dozen numpy calls, not a Python loop per node.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

#: Array names in a model file, after the ``stage2_trees_`` prefix.
TREE_ARRAYS = ("feature", "threshold", "left", "right", "value", "roots", "meta")


class TreeEnsemble(NamedTuple):
    """Trees laid end to end. A leaf points to itself on both sides and tests feature 0
    against +inf, so walking ``depth`` steps from every root lands every row on a leaf."""

    feature: np.ndarray  # int64 per node: the column tested
    threshold: np.ndarray  # float64 per node: go left when the value is <= this
    left: np.ndarray  # int64 per node: absolute index of the left child
    right: np.ndarray  # int64 per node
    value: np.ndarray  # float64 per node: the leaf's contribution (0 inside the tree)
    roots: np.ndarray  # int64 per tree
    baseline: float  # the raw score before any tree
    depth: int  # the deepest leaf's depth

    def decision(self, X: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds) of the rows of ``X``."""
        if len(X) == 0 or len(self.roots) == 0:
            return np.full(len(X), self.baseline)
        return self.leaf_values(X).sum(axis=1) + self.baseline

    def leaf_values(self, X: np.ndarray) -> np.ndarray:
        """Each row's leaf value in every tree: ``(len(X), len(roots))``, trees in stored order."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        if len(X) == 0 or len(self.roots) == 0:
            return np.zeros((len(X), len(self.roots)))
        children = self._children()  # node n's right child at 2n, its left at 2n + 1
        node = np.broadcast_to(self.roots, (len(X), len(self.roots))).copy()
        offsets = (np.arange(len(X)) * X.shape[1])[:, None]
        flat = X.ravel()
        for _ in range(self.depth):
            go_left = flat[offsets + self.feature[node]] <= self.threshold[node]
            node = children[2 * node + go_left]
        return self.value[node]

    def _children(self) -> np.ndarray:
        """Both children of every node in one array, so a step is one gather, not two and a where."""
        children = np.empty(2 * len(self.left), dtype=np.int64)
        children[0::2] = self.right
        children[1::2] = self.left
        return children

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}feature": self.feature, f"{prefix}threshold": self.threshold,
                f"{prefix}left": self.left, f"{prefix}right": self.right, f"{prefix}value": self.value,
                f"{prefix}roots": self.roots, f"{prefix}meta": np.array([self.baseline, float(self.depth)])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str, n_columns: int) -> "TreeEnsemble":
        """The ensemble stored under ``prefix``; ValueError if the arrays do not form one."""
        try:
            feature, threshold, left, right, value, roots, meta = (np.asarray(arrays[prefix + name])
                                                                   for name in TREE_ARRAYS)
        except KeyError as missing:
            raise ValueError(f"the model's trees lack {missing}") from None
        n = len(feature)
        if not (len(threshold) == len(left) == len(right) == len(value) == n) or len(meta) != 2:
            raise ValueError("the model's tree arrays differ in length")
        ints = [np.asarray(a, dtype=np.int64) for a in (feature, left, right, roots)]
        if n and (ints[0].min() < 0 or ints[0].max() >= n_columns):
            raise ValueError("a tree tests a feature the model does not have")
        if any(len(a) and (a.min() < 0 or a.max() >= n) for a in ints[1:]):
            raise ValueError("a tree points outside its nodes")
        if np.isnan(np.asarray(threshold, dtype=np.float64)).any() or \
                not np.isfinite(np.asarray(value, dtype=np.float64)).all():
            raise ValueError("the model's trees hold NaN or infinite values")
        depth = float(meta[1])
        if not (0 <= depth <= 64 and depth == int(depth)) or not np.isfinite(meta[0]):
            raise ValueError("the model's tree depth or baseline is not valid")
        return cls(ints[0], np.asarray(threshold, dtype=np.float64), ints[1], ints[2],
                   np.asarray(value, dtype=np.float64), ints[3], float(meta[0]), int(depth))


def trees_from_boosting(estimator: Any) -> TreeEnsemble:
    """The trees of a fitted binary ``HistGradientBoostingClassifier`` (numeric features only)."""
    return _ensemble([predictor for (predictor,) in estimator._predictors],
                     float(np.ravel(estimator._baseline_prediction)[0]))


def class_trees_from_boosting(estimator: Any) -> tuple[TreeEnsemble, np.ndarray]:
    """The trees of a fitted multiclass ``HistGradientBoostingClassifier`` and its raw score
    per class before any tree. Trees are stored iteration by iteration, one per class in
    ``classes_`` order, so ``leaf_values(X).reshape(len(X), -1, n_classes).sum(axis=1)`` plus
    the baselines is the estimator's raw score per class."""
    return (_ensemble([predictor for per_class in estimator._predictors for predictor in per_class], 0.0),
            np.ravel(estimator._baseline_prediction).astype(np.float64))


def _ensemble(predictors: list, baseline: float) -> TreeEnsemble:
    """Trees of scikit-learn's ``TreePredictor`` objects laid end to end."""
    features, thresholds, lefts, rights, values, roots = [], [], [], [], [], []
    start, depth = 0, 0
    for predictor in predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        own = np.arange(len(nodes))
        features.append(np.where(leaf, 0, nodes["feature_idx"]).astype(np.int64))
        thresholds.append(np.where(leaf, np.inf, nodes["num_threshold"]).astype(np.float64))
        lefts.append(np.where(leaf, own, nodes["left"]).astype(np.int64) + start)
        rights.append(np.where(leaf, own, nodes["right"]).astype(np.int64) + start)
        values.append(np.where(leaf, nodes["value"], 0.0).astype(np.float64))
        roots.append(start)
        depth = max(depth, int(nodes["depth"].max()))
        start += len(nodes)
    if not roots:
        empty = np.zeros(0, dtype=np.int64)
        return TreeEnsemble(empty, np.zeros(0), empty, empty, np.zeros(0), empty, baseline, 0)
    return TreeEnsemble(np.concatenate(features), np.concatenate(thresholds), np.concatenate(lefts),
                        np.concatenate(rights), np.concatenate(values), np.array(roots, dtype=np.int64),
                        baseline, depth)
