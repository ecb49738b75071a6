"""Scoring with a fitted block classifier, numpy only: P(story) for every block of a page.

What scoring needs of a trained model is arrays: vocabularies and idf, stage-1
weights, the shape and context scalers' means and scales, stage-2 weights.
:class:`BlockScorer` holds them and works out the two stages' sums part by part,
never building a feature matrix, so the ``extract`` / ``serve`` / hook path imports
neither scikit-learn nor scipy. The scikit-learn estimator that training fits,
:class:`~classifier.model.BlockClassifier`, is a :class:`BlockScorer` with ``fit``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .blocks import Block, distinct_dom_tokens
from .dom_chars import char_decision
from .context import CONTEXT_NAMES, PAGE_TYPE_NAMES, container_ids, context_features
from .features import SHAPE_NAMES, page_shape_features
from .headings import governing_headings
from .page_type import PageTypeModel, page_type_matrix
from .recurrent import RecurrentStage
from .region import path_groups, topic_similarity
from .tokens import BlockTokens, tokenize_blocks
from .trees import TreeEnsemble
from .vocabulary import TfidfLookup

Page = Sequence[Block]

# The parameters scoring reads, with the values of models saved before each existed.
#: Where a model file keeps the context stage's boosted trees (see :mod:`classifier.trees`).
TREES_PREFIX = "stage2_trees_"
#: Where a model file keeps the page-type model its context stage reads (the arrays of
#: :meth:`~classifier.page_type.PageTypeModel.to_state`: ``mean``, ``scale``, ``intercept`` and
#: ``coef`` or its trees).
PAGE_TYPE_PREFIX = "page_type_"
#: Where a model file keeps the context stage's sequence network (see :mod:`classifier.recurrent`).
RECURRENT_PREFIX = "stage2_gru_"

SCORING_DEFAULTS: dict[str, Any] = {
    "use_dom": True, "text_ngram_max": 2, "max_tokens": 120, "text_weight": 1.0, "dom_weight": 1.0,
    "second_stage": True, "heading_tfidf": False, "heading_weight": 1.0, "stage2_trees": 0,
    "dom_char_weight": 0.0, "stage2_gru": 0, "topic_page_idf": False,
}


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


class Standardization(NamedTuple):
    """A fitted scaler's ``mean_`` and ``scale_`` (what ``StandardScaler.transform`` uses)."""

    mean_: np.ndarray
    scale_: np.ndarray


class PageFacts(NamedTuple):
    """What both stages need to know about a page's structure, worked out once per page."""

    containers: np.ndarray  # container_ids
    groups: np.ndarray  # path_groups
    governing: np.ndarray  # governing_headings (-1: none)


class BlockScorer:
    """P(story) for every block of a page: TF-IDF + shape features, then a context stage.

    Build one with :meth:`from_state` from a saved model's arrays and config; the
    attributes are those of a fitted :class:`~classifier.model.BlockClassifier`.
    """

    use_dom: bool
    text_ngram_max: int
    max_tokens: int
    text_weight: float
    dom_weight: float
    second_stage: bool
    heading_tfidf: bool
    heading_weight: float
    topic_page_idf: bool
    text_vectorizer_: TfidfLookup
    dom_vectorizer_: TfidfLookup
    dom_char_weight: float
    dom_char_vectorizer_: TfidfLookup
    scaler_: Standardization
    context_scaler_: Standardization
    stage1_coef_: np.ndarray
    stage1_intercept_: float
    stage2_coef_: np.ndarray
    stage2_intercept_: float

    # ----- loading -------------------------------------------------------------------------
    @classmethod
    def _with_params(cls, params: dict[str, Any]) -> "BlockScorer":
        scorer = cls.__new__(cls)
        for key, value in {**SCORING_DEFAULTS, **params}.items():
            setattr(scorer, key, value)
        return scorer

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], config: dict,
                   text_hashes: np.ndarray | None = None,
                   read_text_vocabulary: Callable[[], Sequence[str]] | None = None) -> "BlockScorer":
        """Rebuild a fitted model from :func:`~classifier.model.classifier_to_state` output.

        ``text_hashes`` (the word grams' hashes in column order, from the model's
        ``scoring.npz``) build the word lookup table without reading the grams, which
        ``read_text_vocabulary`` then gives only if asked (explanations). Raises
        ValueError if the arrays and the config do not fit together.
        """
        names = config.get("shape_names")
        context_names = config.get("context_names")
        if not isinstance(names, list) or not set(names) <= set(SHAPE_NAMES) \
                or not isinstance(context_names, list) or not set(context_names) <= set(CONTEXT_NAMES):
            raise ValueError("the model was trained with features this storyfilter does not compute")
        if not isinstance(config.get("params"), dict):
            raise ValueError("the model config has no params")
        model = cls._with_params(config["params"])
        if names != list(SHAPE_NAMES):
            index = {name: i for i, name in enumerate(SHAPE_NAMES)}
            model.shape_columns_ = np.array([index[name] for name in names], dtype=np.int64)
        if context_names != list(CONTEXT_NAMES):
            index = {name: i for i, name in enumerate(CONTEXT_NAMES)}
            model.context_columns_ = np.array([index[name] for name in context_names], dtype=np.int64)
        model.classes_ = np.array([0, 1])
        if text_hashes is not None:
            model.text_vectorizer_ = TfidfLookup.from_hashes(text_hashes, arrays["text_idf"], model.text_ngram_max)
            if read_text_vocabulary is not None:
                model.text_vectorizer_.read_vocabulary_on_demand(read_text_vocabulary)
        else:
            model.text_vectorizer_ = TfidfLookup.from_vocabulary(config["text_vocabulary"], arrays["text_idf"],
                                                                 model.text_ngram_max)
        n_features = len(model.text_vectorizer_.idf_) * (2 if model.heading_tfidf else 1) + len(names)
        if model.use_dom:
            model.dom_vectorizer_ = TfidfLookup.from_vocabulary(config["dom_vocabulary"], arrays["dom_idf"], 1)
            n_features += len(model.dom_vectorizer_.idf_)
            if model._uses_dom_chars():
                model.dom_char_vectorizer_ = TfidfLookup.from_vocabulary(config["dom_char_vocabulary"],
                                                                         arrays["dom_char_idf"], 1)
                n_features += len(model.dom_char_vectorizer_.idf_)
        model.scaler_ = _standardization(arrays["shape_mean"], arrays["shape_scale"])
        model.stage1_coef_ = np.asarray(arrays["stage1_coef"], dtype=np.float64)
        model.stage1_intercept_ = float(arrays["stage1_intercept"][0])
        if len(model.stage1_coef_) != n_features or len(model.scaler_.mean_) != len(names):
            raise ValueError("weights do not match the vocabularies")
        if model.second_stage:
            model.context_scaler_ = _standardization(arrays["context_mean"], arrays["context_scale"])
            model.stage2_coef_ = np.asarray(arrays["stage2_coef"], dtype=np.float64)
            model.stage2_intercept_ = float(arrays["stage2_intercept"][0])
            if len(model.stage2_coef_) != len(context_names) or len(model.context_scaler_.mean_) != len(context_names):
                raise ValueError("second-stage weights do not match the context features")
            if model.stage2_trees:
                model.stage2_trees_ = TreeEnsemble.from_arrays(arrays, TREES_PREFIX, len(context_names) + 1)
            if model.stage2_gru:
                model.stage2_gru_ = RecurrentStage.from_arrays(arrays, RECURRENT_PREFIX, len(context_names) + 1)
        if set(context_names) & set(PAGE_TYPE_NAMES):
            if not model.second_stage or not isinstance(config.get("page_type"), dict):
                raise ValueError("the context stage reads the page type but the model has no page-type model")
            model.page_type_model_ = PageTypeModel.from_state(
                {name.removeprefix(PAGE_TYPE_PREFIX): array for name, array in arrays.items()
                 if name.startswith(PAGE_TYPE_PREFIX)}, config["page_type"])
        model.n_features_in_ = n_features
        return model

    # ----- features -------------------------------------------------------------------------
    def _tokens(self, pages: Sequence[Page]) -> BlockTokens:
        """Word tokens of every block of every page, one row per block."""
        return tokenize_blocks([b.text for page in pages for b in page], self.max_tokens)

    def _uses_dom_chars(self) -> bool:
        """True when the DOM words' character n-grams are features (:mod:`classifier.dom_chars`)."""
        return bool(self.use_dom and self.dom_char_weight)

    def _dom_tokens(self, pages: Sequence[Page]) -> tuple[list[tuple[str, ...]], np.ndarray]:
        """The distinct DOM token tuples of the blocks, and which one each block has
        (:func:`~classifier.blocks.distinct_dom_tokens`: the DOM TF-IDF is worked out once per tuple)."""
        distinct, which = distinct_dom_tokens(b for page in pages for b in page)
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

    def _reads_local_region(self) -> bool:
        """Whether the context stage reads the local-region columns (models from before they
        existed do not have the parameter)."""
        return bool(getattr(self, "local_region", False))

    def _reads_sequence(self) -> bool:
        """Whether the context stage reads the sequence columns (older models do not)."""
        return bool(getattr(self, "sequence_context", False))

    def _context_columns(self, ctx: np.ndarray) -> np.ndarray:
        """The context features this model was trained with (older models use fewer)."""
        columns = getattr(self, "context_columns_", None)
        return ctx if columns is None else ctx[:, columns]

    # ----- the two stages -------------------------------------------------------------------
    def _stage1_logits(self, pages: Sequence[Page], tokens: BlockTokens,
                       facts: Sequence[PageFacts] | None = None, with_similarity: bool = False):
        """Stage-1 logits, computed part by part (the same sum as the feature matrix times
        the weights, without building the matrix).

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
            governing = batch_governing(pages, facts)
            z += np.where(governing >= 0, own[np.maximum(governing, 0)], 0.0) * self.heading_weight
            offset += n_text
        if self.use_dom:
            n_dom = len(self.dom_vectorizer_.idf_)
            distinct, which = self._dom_tokens(pages)
            z += self.dom_vectorizer_.decision(distinct, coef[offset:offset + n_dom])[which] * self.dom_weight
            offset += n_dom
            if self._uses_dom_chars():
                n_chars = len(self.dom_char_vectorizer_.idf_)
                z += char_decision(self.dom_char_vectorizer_, distinct,
                                   coef[offset:offset + n_chars])[which] * self.dom_char_weight
                offset += n_chars
        shapes = self._shapes(pages, tokens, facts)
        z += ((shapes - self.scaler_.mean_) / self.scaler_.scale_) @ coef[offset:]
        z += self.stage1_intercept_
        bounds = np.cumsum([0] + [len(p) for p in pages])
        logits = [z[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        if not with_similarity:
            return logits
        page_of_block = np.repeat(np.arange(len(pages)), np.diff(bounds))
        weight = np.clip(2.0 * sigmoid(z) - 1.0, 0.0, 1.0)  # likely story only
        sim = topic_similarity(rows, cols, values, page_of_block, weight, n_text, self.topic_page_idf)
        return logits, [sim[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def _page_types(self, pages: Sequence[Page], facts: Sequence[PageFacts]) -> list[np.ndarray | None]:
        """Each page's P(type) over ``PAGE_TYPES`` from the model's own page-type model (None
        for every page when the context stage does not read the page type)."""
        model: PageTypeModel | None = getattr(self, "page_type_model_", None)
        if model is None or not pages:
            return [None] * len(pages)
        return list(model.proba_over_all_types(page_type_matrix(pages, [fact.groups for fact in facts])))

    def _stage2(self, page: Page, z: np.ndarray, fact: PageFacts, similarity: np.ndarray,
                page_type: np.ndarray | None = None) -> np.ndarray:
        """P(story) of a page's blocks from their stage-1 logits and their context."""
        return sigmoid(self._stage2_logits_of(page, z, fact, similarity, page_type))

    def _stage2_logits_of(self, page: Page, z: np.ndarray, fact: PageFacts, similarity: np.ndarray,
                          page_type: np.ndarray | None) -> np.ndarray:
        """Final logits of a page's blocks: the context columns this model reads, scaled, through stage 2."""
        ctx = self._context_columns(context_features(page, z, fact.containers, fact.groups, fact.governing,
                                                     similarity, page_type, self._reads_local_region(),
                                                     self._reads_sequence()))
        return self._stage2_logits((ctx - self.context_scaler_.mean_) / self.context_scaler_.scale_)

    def _stage2_logits(self, scaled_context: np.ndarray) -> np.ndarray:
        """Final logits of one page's blocks from their scaled context features: the linear
        context model's, or those of the boosted trees or the sequence network over the same
        features and that linear logit (when the model has one)."""
        trees = getattr(self, "stage2_trees_", None)
        recurrent = getattr(self, "stage2_gru_", None)
        if trees is None and recurrent is None:
            return scaled_context @ self.stage2_coef_ + self.stage2_intercept_
        features = self._with_linear_logit(scaled_context)
        return trees.decision(features) if trees is not None else recurrent.decision(features)

    def _with_linear_logit(self, scaled_context: np.ndarray) -> np.ndarray:
        """What a non-linear context stage reads: the scaled context features and, as the last
        column, the linear context logit."""
        return np.column_stack([scaled_context, scaled_context @ self.stage2_coef_ + self.stage2_intercept_])

    # ----- scores ---------------------------------------------------------------------------
    def page_scores(self, X: Sequence[Page]) -> list[np.ndarray]:
        """P(story) for each block, one array per page."""
        pages = list(X)
        tokens = self._tokens(pages)
        facts = self._facts(pages)  # both stages group blocks by container, path and heading
        if not self.second_stage:
            return [sigmoid(z) for z in self._stage1_logits(pages, tokens, facts)]
        logits, similarity = self._stage1_logits(pages, tokens, facts, with_similarity=True)
        return [self._stage2(page, z, fact, sim, kind) if len(page) else np.zeros(0)
                for page, z, fact, sim, kind in zip(pages, logits, facts, similarity, self._page_types(pages, facts))]

    def predict_proba(self, X: Sequence[Page]) -> np.ndarray:
        """``(n_blocks, 2)``: P(boilerplate), P(story); pages concatenated in order."""
        scores = self.page_scores(X)
        p = np.concatenate(scores) if scores else np.zeros(0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Sequence[Page], threshold: float = 0.5) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= threshold).astype(np.int64)


def batch_governing(pages: Sequence[Page], facts: Sequence[PageFacts]) -> np.ndarray:
    """The governing heading of every block as an index into the whole batch (-1: none)."""
    parts, start = [], 0
    for page, fact in zip(pages, facts):
        parts.append(np.where(fact.governing >= 0, fact.governing + start, -1))
        start += len(page)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _standardization(mean: np.ndarray, scale: np.ndarray) -> Standardization:
    return Standardization(np.asarray(mean, dtype=np.float64), np.asarray(scale, dtype=np.float64))
