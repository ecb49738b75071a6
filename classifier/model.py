"""The block classifier: a linear model over block features, then a linear model over context.

Follows scikit-learn's estimator conventions (parameters in ``__init__``, learned
state ending in ``_``) with one twist: a sample is a block, but blocks only make
sense inside their page, so ``X`` is a sequence of pages (each a list of
:class:`Block`) and ``y`` the matching per-page label arrays. ``predict_proba``
returns the usual ``(n_blocks, 2)`` array, pages concatenated in order.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from .blocks import Block
from .context import CONTEXT_NAMES, container_ids, context_features
from .features import SHAPE_NAMES, page_shape_features
from .headings import governing_headings
from .region import path_groups, topic_similarity
from .tfidf import TokenTfidf
from .tokens import BlockTokens, tokenize_blocks

Page = Sequence[Block]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


class BlockClassifier(ClassifierMixin, BaseEstimator):
    """P(story) for every block of a page: TF-IDF + shape features, then a context stage."""

    def __init__(self, use_dom: bool = True, text_ngram_max: int = 2, text_max_features: int = 150_000,
                 dom_max_features: int = 20_000, min_df: int = 3, max_tokens: int = 120,
                 C: float = 1.0, text_weight: float = 1.0, dom_weight: float = 1.0,
                 second_stage: bool = True, stage2_C: float = 1.0, stage2_folds: int = 3,
                 class_weight: str | None = None, max_iter: int = 300, random_state: int = 0,
                 heading_tfidf: bool = True, heading_weight: float = 1.0) -> None:
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
        self.max_iter = max_iter
        self.random_state = random_state
        self.heading_tfidf = heading_tfidf
        self.heading_weight = heading_weight

    # ----- features -------------------------------------------------------------
    def _tokens(self, pages: Sequence[Page]) -> BlockTokens:
        """Word tokens of every block of every page, one row per block."""
        return tokenize_blocks([b.text for page in pages for b in page], self.max_tokens)

    def _dom_tokens(self, pages: Sequence[Page]) -> tuple[list[tuple[str, ...]], np.ndarray]:
        """The distinct DOM token tuples of the blocks, and which one each block has.

        Blocks of one element share one tuple object, and a median page has about 130
        such objects holding about 55 distinct tuples, so the DOM TF-IDF is worked out
        once per distinct tuple. Objects are matched by identity first, so only each
        new object's tuple is hashed.
        """
        by_object: dict[int, int] = {}
        by_value: dict[tuple[str, ...], int] = {}
        distinct: list[tuple[str, ...]] = []
        which = []
        for page in pages:
            for block in page:
                tokens = block.dom_tokens
                slot = by_object.get(id(tokens))
                if slot is None:
                    slot = by_value.setdefault(tuple(tokens), len(distinct))
                    if slot == len(distinct):
                        distinct.append(tokens)
                    by_object[id(tokens)] = slot
                which.append(slot)
        return distinct, np.asarray(which, dtype=np.int64)

    @staticmethod
    def _facts(pages: Sequence[Page]) -> list[PageFacts]:
        """Each page's container ids, path groups and governing headings, worked out once."""
        out = []
        for page in pages:
            groups = path_groups(page)
            out.append(PageFacts(container_ids(page), groups, governing_headings(page, groups)))
        return out

    def _shapes(self, pages: Sequence[Page], tokens: BlockTokens,
                facts: Sequence[PageFacts] | None = None) -> np.ndarray:
        """Shape features, restricted to the ones this model was trained with.

        A model saved by an earlier version keeps working when later versions add
        shape features: it records the names it used and reads only those columns.
        """
        facts = self._facts(pages) if facts is None else facts
        counts, chars = tokens.counts(), tokens.lengths()
        rows, start = [], 0
        for page, fact in zip(pages, facts):
            rows.append(page_shape_features(page, counts[start:start + len(page)], chars[start:start + len(page)],
                                            fact.containers, fact.groups, fact.governing))
            start += len(page)
        full = np.vstack(rows) if rows else np.zeros((0, len(SHAPE_NAMES)))
        columns = getattr(self, "shape_columns_", None)
        return full if columns is None else full[:, columns]

    def _stage1_matrix(self, pages: Sequence[Page], tokens: BlockTokens,
                       shapes: np.ndarray | None = None, facts: Sequence[PageFacts] | None = None
                       ) -> sp.csr_matrix:
        facts = self._facts(pages) if facts is None else facts
        text = self.text_vectorizer_.transform(tokens)
        parts = [text * self.text_weight]
        if self.heading_tfidf:
            governing = _batch_governing(pages, facts)
            has = np.flatnonzero(governing >= 0)
            pick = sp.csr_matrix((np.ones(len(has)), (has, governing[has])), shape=(len(governing), len(governing)))
            parts.append((pick @ text) * self.heading_weight)
        if self.use_dom:
            distinct, which = self._dom_tokens(pages)
            parts.append(self.dom_vectorizer_.transform(distinct)[which] * self.dom_weight)
        if shapes is None:
            shapes = self._shapes(pages, tokens, facts)
        parts.append(sp.csr_matrix(self.scaler_.transform(shapes)))
        return sp.hstack(parts, format="csr")

    def _fit_stage1(self, pages: Sequence[Page], tokens: BlockTokens, y: np.ndarray) -> LogisticRegression:
        self.text_vectorizer_ = TokenTfidf(ngram_max=self.text_ngram_max, min_df=self.min_df,
                                           max_features=self.text_max_features).fit(tokens)
        if self.use_dom:
            dom = [b.dom_tokens for page in pages for b in page]
            self.dom_vectorizer_ = TokenTfidf(ngram_max=1, min_df=self.min_df,
                                              max_features=self.dom_max_features).fit(dom)
        facts = self._facts(pages)
        shapes = self._shapes(pages, tokens, facts)
        self.scaler_ = StandardScaler().fit(shapes)
        X = self._stage1_matrix(pages, tokens, shapes, facts)
        model = LogisticRegression(C=self.C, max_iter=self.max_iter, solver="lbfgs",
                                   class_weight=self.class_weight, random_state=self.random_state)
        with warnings.catch_warnings():
            # lbfgs stops at max_iter on purpose: more iterations cost time, not accuracy.
            warnings.simplefilter("ignore", ConvergenceWarning)
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
            oof, similarity = self._out_of_fold_logits(pages, tokens, labels, groups)
        model = self._fit_stage1(pages, tokens, flat_y)
        self.stage1_coef_ = model.coef_.ravel().copy()
        self.stage1_intercept_ = float(model.intercept_[0])
        if self.second_stage:
            facts = self._facts(pages)
            ctx = np.vstack([context_features(p, z, f.containers, f.groups, f.governing, sim)
                             for p, z, f, sim in zip(pages, oof, facts, similarity)])
            self.context_scaler_ = StandardScaler().fit(ctx)
            stage2 = LogisticRegression(C=self.stage2_C, max_iter=2000, random_state=self.random_state,
                                        class_weight=self.class_weight)
            scaled = self.context_scaler_.transform(ctx)
            stage2.fit(scaled, flat_y)
            self.stage2_coef_ = stage2.coef_.ravel().copy()
            self.stage2_intercept_ = float(stage2.intercept_[0])
            # P(story) of the training pages from out-of-fold stage-1 logits: scores of pages
            # no stage-1 model saw, for picking a threshold inside the training folds (nested).
            inner = _sigmoid(scaled @ self.stage2_coef_ + self.stage2_intercept_)
            bounds = np.cumsum([0] + [len(p) for p in pages])
            self.inner_scores_ = [inner[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        self.n_features_in_ = len(self.stage1_coef_)
        return self

    def _out_of_fold_logits(self, pages, tokens, labels, groups) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Stage-1 logits (and topic similarities) for every training page from a model that
        did not see its group."""
        n = len(pages)
        group_ids = np.asarray(groups if groups is not None else np.arange(n))
        folds = min(self.stage2_folds, len(np.unique(group_ids)))
        out: list[np.ndarray] = [np.zeros(len(p)) for p in pages]
        similarity: list[np.ndarray] = [np.zeros(len(p)) for p in pages]
        if folds < 2:
            return out, similarity
        for train_idx, test_idx in GroupKFold(n_splits=folds).split(np.zeros(n), groups=group_ids):
            sub = BlockClassifier(**{**self.get_params(), "second_stage": False})
            sub_pages = [pages[i] for i in train_idx]
            sub_tokens = self._tokens(sub_pages)
            sub_y = np.concatenate([labels[i] for i in train_idx])
            model = sub._fit_stage1(sub_pages, sub_tokens, sub_y)
            sub.stage1_coef_ = model.coef_.ravel()
            sub.stage1_intercept_ = float(model.intercept_[0])
            test_pages = [pages[i] for i in test_idx]
            test_tokens = self._tokens(test_pages)
            logits, sims = sub._stage1_logits(test_pages, test_tokens, with_similarity=True)
            for i, z, sim in zip(test_idx, logits, sims):
                out[i] = z
                similarity[i] = sim
        return out, similarity

    def _stage1_logits(self, pages: Sequence[Page], tokens: BlockTokens,
                       facts: Sequence[PageFacts] | None = None, with_similarity: bool = False):
        """Stage-1 logits, computed part by part (the same sum as ``_stage1_matrix @ coef``
        without building the matrices or scikit-learn's input checks on the hot path).

        With ``with_similarity`` also each block's topic similarity to its page's likely
        story (:func:`topic_similarity`, weighted by these logits), as a second list.
        """
        facts = self._facts(pages) if facts is None else facts
        coef = self.stage1_coef_
        text = self.text_vectorizer_
        n_text = len(text.idf_)
        n_blocks = tokens.n_rows
        rows, cols, values = text.weights(tokens)
        z = np.bincount(rows, weights=values * coef[cols], minlength=n_blocks) * self.text_weight
        offset = n_text
        if self.heading_tfidf:
            own = np.bincount(rows, weights=values * coef[offset + cols], minlength=n_blocks)
            governing = _batch_governing(pages, facts)
            z += np.where(governing >= 0, own[np.maximum(governing, 0)], 0.0) * self.heading_weight
            offset += n_text
        if self.use_dom:
            n_dom = len(self.dom_vectorizer_.idf_)
            distinct, which = self._dom_tokens(pages)
            z += self.dom_vectorizer_.decision(distinct, coef[offset:offset + n_dom])[which] * self.dom_weight
            offset += n_dom
        shapes = self._shapes(pages, tokens, facts)
        z += ((shapes - self.scaler_.mean_) / self.scaler_.scale_) @ coef[offset:]
        z += self.stage1_intercept_
        bounds = np.cumsum([0] + [len(p) for p in pages])
        logits = [z[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        if not with_similarity:
            return logits
        page_of_block = np.repeat(np.arange(len(pages)), np.diff(bounds))
        weight = np.clip(2.0 * _sigmoid(z) - 1.0, 0.0, 1.0)  # likely story only
        sim = topic_similarity(rows, cols, values, page_of_block, weight, n_text)
        return logits, [sim[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def page_scores(self, X: Sequence[Page]) -> list[np.ndarray]:
        """P(story) for each block, one array per page."""
        pages = list(X)
        tokens = self._tokens(pages)
        facts = self._facts(pages)  # both stages group blocks by container, path and heading
        if not self.second_stage:
            return [_sigmoid(z) for z in self._stage1_logits(pages, tokens, facts)]
        logits, similarity = self._stage1_logits(pages, tokens, facts, with_similarity=True)
        out = []
        for page, z, fact, sim in zip(pages, logits, facts, similarity):
            if len(page) == 0:
                out.append(np.zeros(0))
                continue
            ctx = self._context_columns(context_features(page, z, fact.containers, fact.groups, fact.governing, sim))
            ctx = (ctx - self.context_scaler_.mean_) / self.context_scaler_.scale_
            out.append(_sigmoid(ctx @ self.stage2_coef_ + self.stage2_intercept_))
        return out

    def _context_columns(self, ctx: np.ndarray) -> np.ndarray:
        """The context features this model was trained with (older models use fewer)."""
        columns = getattr(self, "context_columns_", None)
        return ctx if columns is None else ctx[:, columns]

    def predict_proba(self, X: Sequence[Page]) -> np.ndarray:
        scores = self.page_scores(X)
        p = np.concatenate(scores) if scores else np.zeros(0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Sequence[Page], threshold: float = 0.5) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= threshold).astype(np.int64)


class PageFacts(NamedTuple):
    """What both stages need to know about a page's structure, worked out once per page."""

    containers: np.ndarray  # container_ids
    groups: np.ndarray  # path_groups
    governing: np.ndarray  # governing_headings (-1: none)


def _batch_governing(pages: Sequence[Page], facts: Sequence[PageFacts]) -> np.ndarray:
    """The governing heading of every block as an index into the whole batch (-1: none)."""
    parts, start = [], 0
    for page, fact in zip(pages, facts):
        parts.append(np.where(fact.governing >= 0, fact.governing + start, -1))
        start += len(page)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _vocab_list(vocabulary: dict[str, int]) -> list[str]:
    names = [""] * len(vocabulary)
    for token, i in vocabulary.items():
        names[i] = token
    return names


def _shape_names(model: BlockClassifier) -> list[str]:
    columns = getattr(model, "shape_columns_", None)
    return list(SHAPE_NAMES) if columns is None else [SHAPE_NAMES[i] for i in columns]


def _context_names(model: BlockClassifier) -> list[str]:
    columns = getattr(model, "context_columns_", None)
    return list(CONTEXT_NAMES) if columns is None else [CONTEXT_NAMES[i] for i in columns]


def classifier_to_state(model: BlockClassifier) -> tuple[dict[str, np.ndarray], dict]:
    """Split a fitted classifier into numeric arrays and a JSON-able config (no pickling)."""
    arrays = {
        "text_idf": model.text_vectorizer_.idf_,
        "shape_mean": model.scaler_.mean_, "shape_scale": model.scaler_.scale_,
        "stage1_coef": model.stage1_coef_, "stage1_intercept": np.array([model.stage1_intercept_]),
    }
    config: dict = {"params": model.get_params(), "text_vocabulary": _vocab_list(model.text_vectorizer_.vocabulary_),
                    "shape_names": _shape_names(model), "context_names": _context_names(model)}
    if model.use_dom:
        arrays["dom_idf"] = model.dom_vectorizer_.idf_
        config["dom_vocabulary"] = _vocab_list(model.dom_vectorizer_.vocabulary_)
    if model.second_stage:
        arrays.update({"context_mean": model.context_scaler_.mean_, "context_scale": model.context_scaler_.scale_,
                       "stage2_coef": model.stage2_coef_, "stage2_intercept": np.array([model.stage2_intercept_])})
    return arrays, config


def _vectorizer(params: dict, vocabulary: list[str], idf: np.ndarray, whole_tokens: bool) -> TokenTfidf:
    vec = TokenTfidf(**params)
    vec.vocabulary_ = {t: i for i, t in enumerate(vocabulary)}
    vec.idf_ = np.asarray(idf, dtype=np.float64)
    if len(vec.vocabulary_) != len(vec.idf_):
        raise ValueError("vocabulary and idf sizes differ")
    # hash the vocabulary now: a bad gram fails the load, and the first page is not slower
    if whole_tokens:
        vec.string_table
    else:
        vec.table
    return vec


def _scaler(mean: np.ndarray, scale: np.ndarray) -> StandardScaler:
    scaler = StandardScaler()
    scaler.mean_ = np.asarray(mean, dtype=np.float64)
    scaler.scale_ = np.asarray(scale, dtype=np.float64)
    scaler.var_ = scaler.scale_ ** 2
    scaler.n_features_in_ = len(scaler.mean_)
    scaler.n_samples_seen_ = 1
    return scaler


def classifier_from_state(arrays: dict[str, np.ndarray], config: dict) -> BlockClassifier:
    """Rebuild a fitted classifier from :func:`classifier_to_state` output; ValueError if inconsistent."""
    names = config.get("shape_names")
    context_names = config.get("context_names")
    if not isinstance(names, list) or not set(names) <= set(SHAPE_NAMES) \
            or not isinstance(context_names, list) or not set(context_names) <= set(CONTEXT_NAMES):
        raise ValueError("the model was trained with features this storyfilter does not compute")
    # models saved before the heading TF-IDF existed did not record it: they had none
    model = BlockClassifier(**{"heading_tfidf": False, **config["params"]})
    if names != list(SHAPE_NAMES):
        index = {name: i for i, name in enumerate(SHAPE_NAMES)}
        model.shape_columns_ = np.array([index[name] for name in names], dtype=np.int64)
    if context_names != list(CONTEXT_NAMES):
        index = {name: i for i, name in enumerate(CONTEXT_NAMES)}
        model.context_columns_ = np.array([index[name] for name in context_names], dtype=np.int64)
    model.classes_ = np.array([0, 1])
    model.text_vectorizer_ = _vectorizer({"ngram_max": model.text_ngram_max}, config["text_vocabulary"],
                                         arrays["text_idf"], whole_tokens=False)
    n_features = len(model.text_vectorizer_.idf_) * (2 if model.heading_tfidf else 1) + len(names)
    if model.use_dom:
        model.dom_vectorizer_ = _vectorizer({"ngram_max": 1}, config["dom_vocabulary"], arrays["dom_idf"],
                                            whole_tokens=True)
        n_features += len(model.dom_vectorizer_.idf_)
    model.scaler_ = _scaler(arrays["shape_mean"], arrays["shape_scale"])
    model.stage1_coef_ = np.asarray(arrays["stage1_coef"], dtype=np.float64)
    model.stage1_intercept_ = float(arrays["stage1_intercept"][0])
    if len(model.stage1_coef_) != n_features or len(model.scaler_.mean_) != len(names):
        raise ValueError("weights do not match the vocabularies")
    if model.second_stage:
        model.context_scaler_ = _scaler(arrays["context_mean"], arrays["context_scale"])
        model.stage2_coef_ = np.asarray(arrays["stage2_coef"], dtype=np.float64)
        model.stage2_intercept_ = float(arrays["stage2_intercept"][0])
        if len(model.stage2_coef_) != len(context_names):
            raise ValueError("second-stage weights do not match the context features")
    model.n_features_in_ = n_features
    return model
