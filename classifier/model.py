"""The block classifier: a linear model over block features, then a model over context
(linear, or boosted trees over the linear one).

The scikit-learn estimator that training fits and evaluates; scoring with it is
:class:`~classifier.scorer.BlockScorer`'s (numpy only), which a saved model rebuilds
without this module. Follows scikit-learn's estimator conventions (parameters in ``__init__``, learned
state ending in ``_``) with one twist: a sample is a block, but blocks only make
sense inside their page, so ``X`` is a sequence of pages (each a list of
:class:`Block`) and ``y`` the matching per-page label arrays. ``predict_proba``
returns the usual ``(n_blocks, 2)`` array, pages concatenated in order.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from .context import CONTEXT_NAMES, LOCAL_REGION_NAMES, PAGE_TYPE_NAMES, SEQUENCE_NAMES, context_features
from .dom_chars import distinct_char_docs
from .features import SHAPE_NAMES
from .page_type import PAGE_TYPES, PageTypeModel, page_type_matrix
from .scorer import (PAGE_TYPE_PREFIX, RECURRENT_PREFIX, SCORING_DEFAULTS, TREES_PREFIX, BlockScorer, Page,
                     PageFacts, batch_governing, sigmoid)
from .trees import trees_from_boosting
from .tfidf import TokenTfidf
from .tokens import BlockTokens
from .vocabulary import TfidfLookup


class BlockClassifier(BlockScorer, ClassifierMixin, BaseEstimator):
    """P(story) for every block of a page: TF-IDF + shape features, then a context stage."""

    def __init__(self, use_dom: bool = True, text_ngram_max: int = 2, text_max_features: int = 150_000,
                 dom_max_features: int = 20_000, min_df: int = 3, max_tokens: int = 120,
                 C: float = 1.0, text_weight: float = 1.0, dom_weight: float = 1.0,
                 second_stage: bool = True, stage2_C: float = 1.0, stage2_folds: int = 3,
                 class_weight: str | None = None, max_iter: int = 300, random_state: int = 0,
                 heading_tfidf: bool = True, heading_weight: float = 1.0, stage2_trees: int = 0,
                 stage2_tree_leaves: int = 15, stage2_tree_depth: int = 6,
                 stage2_tree_learning_rate: float = 0.1, page_type_context: bool = False,
                 text_min_sites: int = 1, dom_min_sites: int = 1, page_weight_power: float = 0.0,
                 dom_char_weight: float = 0.0, dom_char_max_features: int = 50_000,
                 teaser_weight: float = 1.0, local_region: bool = False, drop_features: str = "",
                 page_type_trees: int = 0, sequence_context: bool = False, stage2_gru: int = 0,
                 stage2_gru_epochs: int = 12, topic_page_idf: bool = True) -> None:
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
        self.stage2_trees = stage2_trees
        self.stage2_tree_leaves = stage2_tree_leaves
        self.stage2_tree_depth = stage2_tree_depth
        self.stage2_tree_learning_rate = stage2_tree_learning_rate
        self.page_type_context = page_type_context
        self.text_min_sites = text_min_sites
        self.dom_min_sites = dom_min_sites
        self.page_weight_power = page_weight_power
        self.dom_char_weight = dom_char_weight
        self.dom_char_max_features = dom_char_max_features
        self.teaser_weight = teaser_weight
        self.local_region = local_region
        self.drop_features = drop_features
        self.page_type_trees = page_type_trees
        self.sequence_context = sequence_context
        self.stage2_gru = stage2_gru
        self.stage2_gru_epochs = stage2_gru_epochs
        self.topic_page_idf = topic_page_idf

    # ----- features -------------------------------------------------------------------------
    def _stage1_matrix(self, pages: Sequence[Page], tokens: BlockTokens,
                       shapes: np.ndarray | None = None, facts: Sequence[PageFacts] | None = None
                       ) -> sp.csr_matrix:
        facts = self._facts(pages) if facts is None else facts
        text = self.text_vectorizer_.transform(tokens)
        parts = [text * self.text_weight]
        if self.heading_tfidf:
            governing = batch_governing(pages, facts)
            has = np.flatnonzero(governing >= 0)
            pick = sp.csr_matrix((np.ones(len(has)), (has, governing[has])), shape=(len(governing), len(governing)))
            parts.append((pick @ text) * self.heading_weight)
        if self.use_dom:
            distinct, which = self._dom_tokens(pages)
            parts.append(self.dom_vectorizer_.transform(distinct)[which] * self.dom_weight)
            if self._uses_dom_chars():
                chars = self.dom_char_vectorizer_.transform(distinct_char_docs(distinct))
                parts.append(chars[which] * self.dom_char_weight)
        if shapes is None:
            shapes = self._shapes(pages, tokens, facts)
        parts.append(sp.csr_matrix((shapes - self.scaler_.mean_) / self.scaler_.scale_))
        return sp.hstack(parts, format="csr")

    def _block_weights(self, pages: Sequence[Page],
                       teasers: Sequence[Sequence[bool]] | None = None) -> np.ndarray | None:
        """Each block's weight in the fits, scaled to a mean of 1 (None when every block counts once).

        ``n ** -page_weight_power`` for a page of ``n`` blocks: the figures that matter are
        means over pages; at power 1 every page weighs the same in training too, so a
        product page of 3,000 blocks no longer outweighs twenty articles. Times
        ``teaser_weight`` for the blocks ``teasers`` marks: other stories' headlines look like
        story text, so a mistake on them can be made to cost more than on a menu line.
        """
        use_teasers = teasers is not None and self.teaser_weight != 1.0
        if not self.page_weight_power and not use_teasers:
            return None
        sizes = np.fromiter(map(len, pages), dtype=np.float64, count=len(pages))
        weights = np.repeat(np.maximum(sizes, 1.0) ** -float(self.page_weight_power), sizes.astype(np.int64))
        if use_teasers:
            marked = np.fromiter((bool(t) for page in teasers for t in page), dtype=bool, count=len(weights))
            weights[marked] *= float(self.teaser_weight)
        return weights / weights.mean() if len(weights) else weights

    def _fit_stage1(self, pages: Sequence[Page], tokens: BlockTokens, y: np.ndarray,
                    groups: Sequence | None = None, weights: np.ndarray | None = None) -> LogisticRegression:
        """Fit the vocabularies, the shape scaler and the stage-1 regression; ``groups`` (the
        site of each page) let the vocabularies keep only words seen on ``*_min_sites`` sites."""
        block_groups = None if groups is None else np.repeat(np.asarray(groups), [len(p) for p in pages])
        dropped = self._dropped_features()
        if dropped & set(SHAPE_NAMES):
            self.shape_columns_ = np.array([i for i, name in enumerate(SHAPE_NAMES) if name not in dropped],
                                           dtype=np.int64)
        else:
            self.__dict__.pop("shape_columns_", None)
        self.text_vectorizer_ = TokenTfidf(ngram_max=self.text_ngram_max, min_df=self.min_df,
                                           max_features=self.text_max_features,
                                           min_groups=self.text_min_sites).fit(tokens, groups=block_groups)
        if self.use_dom:
            dom = [b.dom_tokens for page in pages for b in page]
            self.dom_vectorizer_ = TokenTfidf(ngram_max=1, min_df=self.min_df, max_features=self.dom_max_features,
                                              min_groups=self.dom_min_sites).fit(dom, groups=block_groups)
            if self._uses_dom_chars():
                # one n-gram document per distinct DOM tuple, shared by the blocks that have it
                distinct, which = self._dom_tokens(pages)
                chars = distinct_char_docs(distinct)
                self.dom_char_vectorizer_ = TokenTfidf(
                    ngram_max=1, min_df=self.min_df, max_features=self.dom_char_max_features,
                    min_groups=self.dom_min_sites).fit([chars[k] for k in which.tolist()], groups=block_groups)
        facts = self._facts(pages)
        shapes = self._shapes(pages, tokens, facts)
        self.scaler_ = StandardScaler().fit(shapes)
        X = self._stage1_matrix(pages, tokens, shapes, facts)
        model = LogisticRegression(C=self.C, max_iter=self.max_iter, solver="lbfgs",
                                   class_weight=self.class_weight, random_state=self.random_state)
        with warnings.catch_warnings():
            # lbfgs stops at max_iter on purpose: more iterations cost time, not accuracy.
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(X, y, sample_weight=weights)

    def _dropped_features(self) -> set[str]:
        """The shape and context features ``drop_features`` names (comma-separated), checked."""
        names = {name.strip() for name in (self.drop_features or "").split(",") if name.strip()}
        unknown = names - set(SHAPE_NAMES) - set(CONTEXT_NAMES)
        if unknown:
            raise ValueError(f"drop_features names unknown features: {', '.join(sorted(unknown))}")
        return names

    @classmethod
    def _with_params(cls, params: dict) -> "BlockClassifier":
        # a parameter a model saved before it existed did not record takes the value such
        # models had (the heading TF-IDF and the page-count topic similarity were off)
        return cls(**{**SCORING_DEFAULTS, **params})

    # ----- fit ---------------------------------------------------------------------------
    def fit(self, X: Sequence[Page], y: Sequence[Sequence[int]], groups: Sequence | None = None,
            page_types: Sequence[str | None] | None = None,
            teasers: Sequence[Sequence[bool]] | None = None) -> "BlockClassifier":
        """Fit on pages of blocks; ``groups`` (e.g. site per page) keeps the stage-2 folds honest.

        ``page_types`` (one of ``PAGE_TYPES`` per page, None or anything else where unknown)
        teach the model's own page-type model when ``page_type_context`` is on; without two
        known types the context stage does without the page type. ``teasers`` (one flag per
        block: part of a widget of other stories) weigh ``teaser_weight`` in the fits.
        """
        pages = list(X)
        labels = [np.asarray(v, dtype=np.int64) for v in y]
        if len(pages) != len(labels) or any(len(p) != len(v) for p, v in zip(pages, labels)):
            raise ValueError("X and y must hold the same pages with one label per block")
        if not self.teaser_weight > 0:
            raise ValueError(f"teaser_weight must be positive, got {self.teaser_weight!r}")
        if self.stage2_gru < 0 or self.stage2_gru_epochs < 1 or (self.stage2_gru and self.stage2_trees):
            raise ValueError("stage2_gru takes a number of units (0: none) and at least one epoch, "
                             "and cannot be combined with stage2_trees")
        if self.stage2_gru and self.second_stage:
            from .recurrent_fit import require_torch
            require_torch()  # before any fitting: without PyTorch, say so now, not after the first stage
        self._dropped_features()  # an unknown name fails here, before any fitting
        if teasers is not None and (len(teasers) != len(pages) or any(len(p) != len(t)
                                                                      for p, t in zip(pages, teasers))):
            raise ValueError("teasers must hold one flag per block of every page")
        flat_y = np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64)
        if len(np.unique(flat_y)) < 2:
            raise ValueError("training data needs both story and boilerplate blocks")
        self.classes_ = np.array([0, 1])
        tokens = self._tokens(pages)
        if self.second_stage:
            oof, similarity = self._out_of_fold_logits(pages, tokens, labels, groups, teasers)
        weights = self._block_weights(pages, teasers)
        model = self._fit_stage1(pages, tokens, flat_y, groups, weights)
        self.stage1_coef_ = model.coef_.ravel().copy()
        self.stage1_intercept_ = float(model.intercept_[0])
        self.__dict__.pop("context_columns_", None)
        self.__dict__.pop("page_type_model_", None)
        if self.second_stage:
            facts = self._facts(pages)
            kinds = self._fit_page_types(pages, page_types, groups, facts)
            ctx = np.vstack([context_features(p, z, f.containers, f.groups, f.governing, sim, kind,
                                              self.local_region, self.sequence_context)
                             for p, z, f, sim, kind in zip(pages, oof, facts, similarity, kinds)])
            # left out of the context stage: the local-region and sequence columns unless asked
            # for, those drop_features names, and the page-type ones when there is no page-type model
            left_out = (set(LOCAL_REGION_NAMES) if not self.local_region else set()) | self._dropped_features()
            if not self.sequence_context:
                left_out |= set(SEQUENCE_NAMES)
            if not kinds or kinds[0] is None:
                left_out |= set(PAGE_TYPE_NAMES)
            if left_out:
                self.context_columns_ = np.array([i for i, name in enumerate(CONTEXT_NAMES)
                                                  if name not in left_out], dtype=np.int64)
                ctx = ctx[:, self.context_columns_]
            self.context_scaler_ = StandardScaler().fit(ctx)
            stage2 = LogisticRegression(C=self.stage2_C, max_iter=2000, random_state=self.random_state,
                                        class_weight=self.class_weight)
            scaled = self.context_scaler_.transform(ctx)
            stage2.fit(scaled, flat_y, sample_weight=weights)
            self.stage2_coef_ = stage2.coef_.ravel().copy()
            self.stage2_intercept_ = float(stage2.intercept_[0])
            # P(story) of the training pages from out-of-fold stage-1 logits: scores of pages
            # no stage-1 model saw, for picking a threshold inside the training folds (nested).
            bounds = np.cumsum([0] + [len(p) for p in pages])
            self.__dict__.pop("stage2_gru_", None)
            if self.stage2_trees:
                inner = sigmoid(self._fit_trees(scaled, flat_y, groups, bounds, weights))
            else:
                self.__dict__.pop("stage2_trees_", None)
                inner = sigmoid(scaled @ self.stage2_coef_ + self.stage2_intercept_)
            if self.stage2_gru:
                inner = sigmoid(self._fit_recurrent(scaled, flat_y, bounds, weights))
            self.inner_scores_ = [inner[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        self.n_features_in_ = len(self.stage1_coef_)
        return self

    def _fit_page_types(self, pages: Sequence[Page], page_types: Sequence[str | None] | None,
                        groups: Sequence | None, facts: Sequence[PageFacts] | None = None
                        ) -> list[np.ndarray | None]:
        """Fit the page-type model the context stage reads (``page_type_model_``) and return
        every training page's P(type) from a page-type model that did not see its group (so the
        context stage learns from types as uncertain as they are on new pages); all None when
        the page type is not used."""
        n = len(pages)
        known = [i for i in range(n) if page_types is not None and page_types[i] in PAGE_TYPES]
        if not self.page_type_context or len({page_types[i] for i in known}) < 2:
            return [None] * n
        features = page_type_matrix(pages, None if facts is None else [f.groups for f in facts])
        self.page_type_model_ = PageTypeModel(trees=self.page_type_trees).fit_features(
            features[known], [page_types[i] for i in known])
        out = self.page_type_model_.proba_over_all_types(features)
        group_ids = np.asarray(groups if groups is not None else np.arange(n))
        folds = min(self.stage2_folds, len(np.unique(group_ids)))
        if folds >= 2:
            is_known = np.zeros(n, dtype=bool)
            is_known[known] = True
            for train_idx, test_idx in GroupKFold(n_splits=folds).split(np.zeros(n), groups=group_ids):
                train_idx = train_idx[is_known[train_idx]]
                if len({page_types[i] for i in train_idx}) < 2:
                    continue  # too few types to learn from: these pages keep the full model's guess
                sub = PageTypeModel(trees=self.page_type_trees).fit_features(
                    features[train_idx], [page_types[i] for i in train_idx])
                out[test_idx] = sub.proba_over_all_types(features[test_idx])
        return list(out)

    def _boosting(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            max_iter=self.stage2_trees, max_leaf_nodes=self.stage2_tree_leaves, max_depth=self.stage2_tree_depth,
            learning_rate=self.stage2_tree_learning_rate, l2_regularization=1.0, early_stopping=False,
            class_weight=self.class_weight, random_state=self.random_state)

    def _fit_trees(self, scaled: np.ndarray, y: np.ndarray, groups: Sequence | None,
                   bounds: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Fit the boosted context stage over the scaled context features and the linear
        context logit; return the training blocks' logits from trees that did not see their
        group (for the nested threshold: in-sample trees are too sure of themselves)."""
        features = self._with_linear_logit(scaled)
        self.stage2_trees_ = trees_from_boosting(self._boosting().fit(features, y, sample_weight=weights))
        page_groups = np.asarray(groups if groups is not None else np.arange(len(bounds) - 1))
        block_groups = np.repeat(page_groups, np.diff(bounds))
        folds = min(self.stage2_folds, len(np.unique(block_groups)))
        if folds < 2:
            return self.stage2_trees_.decision(features)
        out = np.zeros(len(y))
        for train, test in GroupKFold(n_splits=folds).split(features, groups=block_groups):
            if len(np.unique(y[train])) < 2:
                out[test] = self.stage2_trees_.decision(features[test])
                continue
            fold_weights = None if weights is None else weights[train]
            fitted = self._boosting().fit(features[train], y[train], sample_weight=fold_weights)
            out[test] = trees_from_boosting(fitted).decision(features[test])
        return out

    def _fit_recurrent(self, scaled: np.ndarray, y: np.ndarray, bounds: np.ndarray,
                       weights: np.ndarray | None = None) -> np.ndarray:
        """Fit the sequence stage over each page's scaled context rows and linear context logit;
        return the training blocks' logits from it. Unlike the trees' (refitted on inner
        folds), these are in-sample, as the linear stage's are: the network is small beside
        the blocks it learns from, and each fit costs minutes."""
        from .recurrent_fit import fit_recurrent  # PyTorch: training only

        features = self._with_linear_logit(scaled)
        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
        spans = list(zip(bounds[:-1], bounds[1:]))
        rows = [features[a:b] for a, b in spans]
        self.stage2_gru_ = fit_recurrent(rows, [y[a:b].astype(np.float64) for a, b in spans],
                                         [w[a:b] for a, b in spans], hidden=self.stage2_gru,
                                         epochs=self.stage2_gru_epochs, seed=self.random_state)
        return np.concatenate([self.stage2_gru_.decision(r) for r in rows])

    def _out_of_fold_logits(self, pages, tokens, labels, groups,
                            teasers: Sequence[Sequence[bool]] | None = None
                            ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Stage-1 logits (and topic similarities) for every training page from a model that
        did not see its group (each fitted with the weights of its own pages' blocks)."""
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
            sub_teasers = None if teasers is None else [teasers[i] for i in train_idx]
            model = sub._fit_stage1(sub_pages, sub_tokens, sub_y,
                                     None if groups is None else [group_ids[i] for i in train_idx],
                                     sub._block_weights(sub_pages, sub_teasers))
            sub.stage1_coef_ = model.coef_.ravel()
            sub.stage1_intercept_ = float(model.intercept_[0])
            test_pages = [pages[i] for i in test_idx]
            test_tokens = self._tokens(test_pages)
            logits, sims = sub._stage1_logits(test_pages, test_tokens, with_similarity=True)
            for i, z, sim in zip(test_idx, logits, sims):
                out[i] = z
                similarity[i] = sim
        return out, similarity


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
        if model._uses_dom_chars():
            arrays["dom_char_idf"] = model.dom_char_vectorizer_.idf_
            config["dom_char_vocabulary"] = _vocab_list(model.dom_char_vectorizer_.vocabulary_)
    if model.second_stage:
        arrays.update({"context_mean": model.context_scaler_.mean_, "context_scale": model.context_scaler_.scale_,
                       "stage2_coef": model.stage2_coef_, "stage2_intercept": np.array([model.stage2_intercept_])})
        if model.stage2_trees:
            arrays.update(model.stage2_trees_.to_arrays(TREES_PREFIX))
        if getattr(model, "stage2_gru", 0):
            arrays.update(model.stage2_gru_.to_arrays(RECURRENT_PREFIX))
        page_type_model = getattr(model, "page_type_model_", None)
        if page_type_model is not None:
            page_arrays, config["page_type"] = page_type_model.to_state()
            arrays.update({PAGE_TYPE_PREFIX + name: value for name, value in page_arrays.items()})
    return arrays, config


def classifier_from_state(arrays: dict[str, np.ndarray], config: dict) -> BlockClassifier:
    """Rebuild a fitted estimator from :func:`classifier_to_state` output; ValueError if inconsistent.

    Scoring does not need this: :meth:`BlockScorer.from_state` rebuilds a scorer without
    scikit-learn. This one can also ``transform`` and be refitted.
    """
    model = BlockClassifier.from_state(arrays, config)
    model.text_vectorizer_ = _as_token_tfidf(model.text_vectorizer_)
    if model.use_dom:
        model.dom_vectorizer_ = _as_token_tfidf(model.dom_vectorizer_)
        if model._uses_dom_chars():
            model.dom_char_vectorizer_ = _as_token_tfidf(model.dom_char_vectorizer_)
    return model


def _as_token_tfidf(lookup: TfidfLookup) -> TokenTfidf:
    """The fitted :class:`TokenTfidf` a lookup was saved from (its vocabulary, idf and tables)."""
    vectorizer = TokenTfidf(ngram_max=lookup.ngram_max)
    vectorizer.__dict__.update(lookup.__dict__)
    return vectorizer
