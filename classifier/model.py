"""The block classifier: a linear model over block features, then a linear model over context.

Follows scikit-learn's estimator conventions (parameters in ``__init__``, learned
state ending in ``_``) with one twist: a sample is a block, but blocks only make
sense inside their page, so ``X`` is a sequence of pages (each a list of
:class:`Block`) and ``y`` the matching per-page label arrays. ``predict_proba``
returns the usual ``(n_blocks, 2)`` array, pages concatenated in order.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from .blocks import Block
from .context import context_features
from .features import TokenTfidf, shape_features, word_tokens

Page = Sequence[Block]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


class BlockClassifier(ClassifierMixin, BaseEstimator):
    """P(story) for every block of a page: TF-IDF + shape features, then a context stage."""

    def __init__(self, use_dom: bool = True, text_ngram_max: int = 2, text_max_features: int = 150_000,
                 dom_max_features: int = 20_000, min_df: int = 3, max_tokens: int = 120,
                 C: float = 1.0, text_weight: float = 1.0, dom_weight: float = 1.0,
                 second_stage: bool = True, stage2_C: float = 1.0, stage2_folds: int = 3,
                 class_weight: str | None = None, random_state: int = 0) -> None:
        self.use_dom = use_dom
        self.text_ngram_max = text_ngram_max
        self.text_max_features = text_max_features
        self.dom_max_features = dom_max_features
        self.min_df = min_df
        self.max_tokens = max_tokens
        self.C = C
        self.text_weight = text_weight
        self.dom_weight = dom_weight
        self.second_stage = second_stage
        self.stage2_C = stage2_C
        self.stage2_folds = stage2_folds
        self.class_weight = class_weight
        self.random_state = random_state

    # ----- features -------------------------------------------------------------
    def _tokens(self, pages: Sequence[Page]) -> list[list[list[str]]]:
        cap = self.max_tokens
        return [[word_tokens(b.text, cap) for b in page] for page in pages]

    def _stage1_matrix(self, pages: Sequence[Page], tokens: list[list[list[str]]]) -> sp.csr_matrix:
        flat_tokens = [t for page in tokens for t in page]
        parts = [self.text_vectorizer_.transform(flat_tokens) * self.text_weight]
        if self.use_dom:
            dom = [list(b.dom_tokens) for page in pages for b in page]
            parts.append(self.dom_vectorizer_.transform(dom) * self.dom_weight)
        shapes = [shape_features(page, toks) for page, toks in zip(pages, tokens)]
        dense = np.vstack(shapes) if shapes else np.zeros((0, self.scaler_.n_features_in_))
        parts.append(sp.csr_matrix(self.scaler_.transform(dense)))
        return sp.hstack(parts, format="csr")

    def _fit_stage1(self, pages: Sequence[Page], tokens, y: np.ndarray) -> LogisticRegression:
        flat_tokens = [t for page in tokens for t in page]
        self.text_vectorizer_ = TokenTfidf(ngram_max=self.text_ngram_max, min_df=self.min_df,
                                           max_features=self.text_max_features).fit(flat_tokens)
        if self.use_dom:
            dom = [list(b.dom_tokens) for page in pages for b in page]
            self.dom_vectorizer_ = TokenTfidf(ngram_max=1, min_df=self.min_df,
                                              max_features=self.dom_max_features).fit(dom)
        shapes = np.vstack([shape_features(page, toks) for page, toks in zip(pages, tokens)])
        self.scaler_ = StandardScaler().fit(shapes)
        X = self._stage1_matrix(pages, tokens)
        model = LogisticRegression(C=self.C, max_iter=2000, solver="liblinear",
                                   class_weight=self.class_weight, random_state=self.random_state)
        return model.fit(X, y)

    # ----- fit / predict ----------------------------------------------------------
    def fit(self, X: Sequence[Page], y: Sequence[Sequence[int]], groups: Sequence | None = None
            ) -> "BlockClassifier":
        """Fit on pages of blocks; ``groups`` (e.g. site per page) keeps the stage-2 folds honest."""
        pages = list(X)
        labels = [np.asarray(v, dtype=np.int64) for v in y]
        if len(pages) != len(labels) or any(len(p) != len(v) for p, v in zip(pages, labels)):
            raise ValueError("X and y must hold the same pages with one label per block")
        flat_y = np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64)
        if len(np.unique(flat_y)) < 2:
            raise ValueError("training data needs both story and boilerplate blocks")
        self.classes_ = np.array([0, 1])
        tokens = self._tokens(pages)
        if self.second_stage:
            oof = self._out_of_fold_logits(pages, tokens, labels, groups)
        model = self._fit_stage1(pages, tokens, flat_y)
        self.stage1_coef_ = model.coef_.ravel().copy()
        self.stage1_intercept_ = float(model.intercept_[0])
        if self.second_stage:
            ctx = np.vstack([context_features(p, z) for p, z in zip(pages, oof)])
            self.context_scaler_ = StandardScaler().fit(ctx)
            stage2 = LogisticRegression(C=self.stage2_C, max_iter=2000, random_state=self.random_state,
                                        class_weight=self.class_weight)
            stage2.fit(self.context_scaler_.transform(ctx), flat_y)
            self.stage2_coef_ = stage2.coef_.ravel().copy()
            self.stage2_intercept_ = float(stage2.intercept_[0])
        self.n_features_in_ = len(self.stage1_coef_)
        return self

    def _out_of_fold_logits(self, pages, tokens, labels, groups) -> list[np.ndarray]:
        """Stage-1 logits for every training page from a model that did not see its group."""
        n = len(pages)
        group_ids = np.asarray(groups if groups is not None else np.arange(n))
        folds = min(self.stage2_folds, len(np.unique(group_ids)))
        out: list[np.ndarray] = [np.zeros(len(p)) for p in pages]
        if folds < 2:
            return out
        for train_idx, test_idx in GroupKFold(n_splits=folds).split(np.zeros(n), groups=group_ids):
            sub = BlockClassifier(**{**self.get_params(), "second_stage": False})
            sub_pages = [pages[i] for i in train_idx]
            sub_tokens = [tokens[i] for i in train_idx]
            sub_y = np.concatenate([labels[i] for i in train_idx])
            model = sub._fit_stage1(sub_pages, sub_tokens, sub_y)
            sub.stage1_coef_ = model.coef_.ravel()
            sub.stage1_intercept_ = float(model.intercept_[0])
            test_pages = [pages[i] for i in test_idx]
            test_tokens = [tokens[i] for i in test_idx]
            for i, z in zip(test_idx, sub._stage1_logits(test_pages, test_tokens)):
                out[i] = z
        return out

    def _stage1_logits(self, pages: Sequence[Page], tokens) -> list[np.ndarray]:
        X = self._stage1_matrix(pages, tokens)
        z = X @ self.stage1_coef_ + self.stage1_intercept_
        bounds = np.cumsum([0] + [len(p) for p in pages])
        return [z[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def page_scores(self, X: Sequence[Page]) -> list[np.ndarray]:
        """P(story) for each block, one array per page."""
        pages = list(X)
        tokens = self._tokens(pages)
        logits = self._stage1_logits(pages, tokens)
        if not self.second_stage:
            return [_sigmoid(z) for z in logits]
        out = []
        for page, z in zip(pages, logits):
            if len(page) == 0:
                out.append(np.zeros(0))
                continue
            ctx = self.context_scaler_.transform(context_features(page, z))
            out.append(_sigmoid(ctx @ self.stage2_coef_ + self.stage2_intercept_))
        return out

    def predict_proba(self, X: Sequence[Page]) -> np.ndarray:
        scores = self.page_scores(X)
        p = np.concatenate(scores) if scores else np.zeros(0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Sequence[Page], threshold: float = 0.5) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= threshold).astype(np.int64)
