"""Why a block got its score: the features that pushed its stage-1 logit up or down.

Stage 1 is linear, so a block's logit is exactly ``intercept + sum(value * coef)``
over its text grams (TF-IDF), its DOM tokens (TF-IDF) and its shape features
(standardised): every term is a contribution, and they add up to the logit to
the last bit. The model keeps its vocabularies (``vocabulary_``, saved in
``model.json``), so a gram's column maps back to its readable text without
re-hashing anything.

Stage 2 is honest about what stage 1 cannot say: it re-scores each block from
the stage-1 logits of its neighbours, container and page (see
:mod:`classifier.context`), so the final score also moves with the context. A
teaser headline whose own words look like a story can still be dropped because
its neighbours are teasers. Each explanation reports both logits and their
difference (``context_shift``), so a reader sees how much of the final score the
words explain and how much the surroundings do.
"""
from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .blocks import Block
from .dom_chars import distinct_char_docs
from .features import SHAPE_NAMES
from .scorer import BlockScorer
from .vocabulary import TfidfLookup

FeatureKind = Literal["text", "dom", "shape"]
_NAMES: "weakref.WeakKeyDictionary[TfidfLookup, tuple[dict, list[str]]]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class Contribution:
    """One feature of one block: its value, its weight, and what it added to the logit."""

    kind: FeatureKind
    feature: str  # the gram ("new cycle"), the DOM token ("nav") or the shape feature name
    value: float  # TF-IDF weight, or the raw (unscaled) shape feature value
    contribution: float  # in logit units; > 0 pushes towards story

    def to_dict(self) -> dict:
        return {"kind": self.kind, "feature": self.feature, "value": round(self.value, 6),
                "contribution": round(self.contribution, 6)}


@dataclass(frozen=True, slots=True)
class BlockExplanation:
    """Every non-zero stage-1 term of one block, largest push towards story first."""

    index: int
    intercept: float
    stage1_logit: float
    final_logit: float  # after the context stage (equal to stage1_logit without one)
    terms: tuple[Contribution, ...]

    @property
    def context_shift(self) -> float:
        """How far the context stage moved the logit: the part of the score the block's own features do not explain."""
        return self.final_logit - self.stage1_logit

    def up(self, k: int = 5, kinds: tuple[FeatureKind, ...] = ("text", "dom", "shape")) -> list[Contribution]:
        """The ``k`` features (of ``kinds``) that pushed hardest towards story."""
        return _first(self.terms, k, kinds, 1.0)

    def down(self, k: int = 5, kinds: tuple[FeatureKind, ...] = ("text", "dom", "shape")) -> list[Contribution]:
        """The ``k`` features (of ``kinds``) that pushed hardest towards clutter, strongest first."""
        return _first(reversed(self.terms), k, kinds, -1.0)

    def to_dict(self, k: int = 5) -> dict:
        """The top ``k`` each way, and ``rest``: the sum of the terms not listed (so everything adds up);
        ``words_up`` / ``words_down``: the top ``k`` text grams and DOM tokens alone (shape features
        often outweigh single words, but words are what a reviewer reads)."""
        up, down = self.up(k), self.down(k)
        shown = sum(t.contribution for t in up) + sum(t.contribution for t in down)
        words: tuple[FeatureKind, ...] = ("text", "dom")
        return {"index": self.index, "intercept": round(self.intercept, 6),
                "stage1_logit": round(self.stage1_logit, 6), "final_logit": round(self.final_logit, 6),
                "context_shift": round(self.context_shift, 6),
                "rest": round(self.stage1_logit - self.intercept - shown, 6),
                "up": [t.to_dict() for t in up], "down": [t.to_dict() for t in down],
                "words_up": [t.to_dict() for t in self.up(k, words)],
                "words_down": [t.to_dict() for t in self.down(k, words)]}


def _first(terms: Iterable[Contribution], k: int, kinds: tuple[FeatureKind, ...], sign: float) -> list[Contribution]:
    """The first ``k`` terms of ``kinds`` whose contribution has ``sign``, from terms sorted that way."""
    out: list[Contribution] = []
    for t in terms:
        if len(out) >= k or t.contribution * sign <= 0:
            break
        if t.kind in kinds:
            out.append(t)
    return out


def _names(vectorizer: TfidfLookup) -> list[str]:
    """Column -> gram for a vectorizer, built once per vocabulary."""
    cached = _NAMES.get(vectorizer)
    if cached is not None and cached[0] is vectorizer.vocabulary_:
        return cached[1]
    names = [""] * len(vectorizer.vocabulary_)
    for gram, column in vectorizer.vocabulary_.items():
        names[column] = gram
    _NAMES[vectorizer] = (vectorizer.vocabulary_, names)
    return names


def _add_dom_terms(weights: tuple[np.ndarray, np.ndarray, np.ndarray], names: list[str], prefix: str,
                   coef: np.ndarray, weight: float, which: np.ndarray,
                   per_block: list[list[Contribution]]) -> None:
    """Add DOM terms, worked out once per distinct DOM tuple (``weights``: its TF-IDF rows),
    to the contributions of every block that has the tuple (``which``)."""
    rows, cols, values = weights
    by_distinct: dict[int, list[Contribution]] = {}
    for r, c, v, w in zip(rows.tolist(), cols.tolist(), values.tolist(), (values * coef[cols] * weight).tolist()):
        by_distinct.setdefault(r, []).append(Contribution("dom", prefix + names[c], v, w))
    for i, slot in enumerate(which.tolist()):
        per_block[i].extend(by_distinct.get(slot, ()))


def _shape_names(model: BlockScorer) -> list[str]:
    columns = getattr(model, "shape_columns_", None)
    return list(SHAPE_NAMES) if columns is None else [SHAPE_NAMES[i] for i in columns]


def explain_page(model: BlockScorer, blocks: Sequence[Block]) -> list[BlockExplanation]:
    """One explanation per block of a page, in page order (the page matters: shape and context
    features look at neighbours and the container)."""
    blocks = list(blocks)
    n = len(blocks)
    if n == 0:
        return []
    per_block: list[list[Contribution]] = [[] for _ in range(n)]
    coef = model.stage1_coef_
    tokens = model._tokens([blocks])
    facts = model._facts([blocks])

    text = model.text_vectorizer_
    n_text = len(text.idf_)
    rows, cols, values = text.weights(tokens)
    grams = _names(text)
    for r, c, v, w in zip(rows.tolist(), cols.tolist(), values.tolist(),
                          (values * coef[cols] * model.text_weight).tolist()):
        per_block[r].append(Contribution("text", grams[c], v, w))
    offset = n_text

    if model.heading_tfidf:
        governing = facts[0].governing
        under: dict[int, list[int]] = {}
        for i, g in enumerate(governing.tolist()):
            if g >= 0:
                under.setdefault(g, []).append(i)
        for r, c, v, w in zip(rows.tolist(), cols.tolist(), values.tolist(),
                              (values * coef[offset + cols] * model.heading_weight).tolist()):
            for i in under.get(r, ()):
                per_block[i].append(Contribution("heading", grams[c], v, w))
        offset += n_text

    if model.use_dom:
        dom = model.dom_vectorizer_
        n_dom = len(dom.idf_)
        distinct, which = model._dom_tokens([blocks])
        _add_dom_terms(dom.weights(distinct), _names(dom), "", coef[offset:offset + n_dom], model.dom_weight,
                       which, per_block)
        offset += n_dom
        if model._uses_dom_chars():  # character n-grams of the DOM words, shown as ``~gram``
            chars = model.dom_char_vectorizer_
            n_chars = len(chars.idf_)
            _add_dom_terms(chars.weights(distinct_char_docs(distinct)), _names(chars), "~",
                           coef[offset:offset + n_chars], model.dom_char_weight, which, per_block)
            offset += n_chars

    shapes = model._shapes([blocks], tokens, facts)
    scaled = (shapes - model.scaler_.mean_) / model.scaler_.scale_
    shape_terms = scaled * coef[offset:]
    names = _shape_names(model)
    for i in range(n):
        for j in np.flatnonzero(shape_terms[i]).tolist():
            per_block[i].append(Contribution("shape", names[j], float(shapes[i, j]), float(shape_terms[i, j])))

    intercept = float(model.stage1_intercept_)
    z = np.array([intercept + sum(t.contribution for t in terms) for terms in per_block])
    final = z
    if model.second_stage:
        fact = facts[0]
        _, similarity = model._stage1_logits([blocks], tokens, facts, with_similarity=True)
        final = model._stage2_logits_of(blocks, z, fact, similarity[0], model._page_types([blocks], facts)[0])
    return [BlockExplanation(index=b.index, intercept=intercept, stage1_logit=float(z[i]),
                             final_logit=float(final[i]),
                             terms=tuple(sorted(per_block[i], key=lambda t: -t.contribution)))
            for i, b in enumerate(blocks)]
