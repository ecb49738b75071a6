"""Grouped folds, each scored at a threshold picked on its own training pages (nested).

A threshold picked on the pages it is then scored on flatters the score: it is a
model choice made with the test labels. Here every fold picks its threshold on
*its training pages*, from scores no model saw them with:
``BlockClassifier.inner_scores_`` (stage 2 run on out-of-fold stage-1 logits of
the training pages) or, for a model without them, an inner grouped split of the
training pages.

Pages flagged training-only (``Examples.train_only``: augmented copies) are
fitted on in the folds whose test sites are not theirs, and nowhere else: they
are never tested, never used to pick a threshold.

Folds run with joblib; each is fitted and scored on its own, so the results do
not depend on how many run at once.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import GroupKFold

from classifier.model import BlockClassifier

from .dataset import Examples
from .progress import progress as progress_of
from .thresholds import best_threshold

#: Folds of the inner split, for models that do not keep inner scores.
INNER_FOLDS = 3
#: Threshold when none can be picked (the training side of a fold holds a single site).
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Fold:
    """Page indices fitted on (training-only pages included) and scored (never training-only)."""

    train: tuple[int, ...]
    test: tuple[int, ...]


@dataclass
class FoldResult:
    """What one fold gives back: its test pages' scores and the threshold picked without them."""

    test: tuple[int, ...]
    scores: list[np.ndarray]
    threshold: float
    #: How the threshold was picked: "inner scores", "inner folds", "too few sites" or "fixed".
    picked_by: str
    view_scores: dict[str, list[np.ndarray]] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoringSource:
    """Only what scoring a page needs from its source (no HTML to ship to worker processes)."""

    id: str
    page_type: str = "unknown"
    main_text: str | None = None
    with_snippets: list[str] = field(default_factory=list)
    without_snippets: list[str] = field(default_factory=list)


def scored_pages(examples: Examples) -> list[int]:
    """Indices of the pages that may be tested and reported (all but training-only ones)."""
    return [i for i in range(len(examples.pages)) if not examples.is_train_only(i)]


def take(examples: Examples, indices: Sequence[int], with_views: bool = True) -> Examples:
    """The pages at ``indices``, in that order (with their views, unless told not to)."""
    out = Examples([], [], [], [], [], [])
    for i in indices:
        out.extend(examples, i, i + 1)
    if with_views:
        out.views = {name: _take_view(view, examples, indices) for name, view in examples.views.items()}
    return out


def _take_view(view: Examples, examples: Examples, indices: Sequence[int]) -> Examples:
    """A view's pages at ``indices``; a page past the view's end (added later, e.g. training-only) lends its own."""
    out = Examples([], [], [], [], [], [])
    for i in indices:
        out.extend(view if i < len(view.pages) else examples, i, i + 1)
    return out


def lean(examples: Examples) -> Examples:
    """The same pages with :class:`ScoringSource` sources: cheap to send to worker processes."""
    def slim(source: object) -> ScoringSource:
        return ScoringSource(id=str(getattr(source, "id", "")), page_type=getattr(source, "page_type", "unknown"),
                             main_text=getattr(source, "main_text", None),
                             with_snippets=list(getattr(source, "with_snippets", []) or []),
                             without_snippets=list(getattr(source, "without_snippets", []) or []))
    out = Examples(examples.pages, examples.labels, examples.groups, [slim(s) for s in examples.sources],
                   examples.teasers, examples.train_only, comments=examples.comments)
    out.views = {name: lean(view) for name, view in examples.views.items()}
    return out


def grouped_folds(groups: Sequence[str], scored: Sequence[int], n_folds: int) -> list[Fold]:
    """``GroupKFold`` over the scored pages' sites; every other page of a site trains where its site does.

    Training-only pages do not move the split: the folds are the same with or without them.
    """
    scored = list(scored)
    scored_groups = np.asarray([groups[i] for i in scored])
    n_sites = len(np.unique(scored_groups))
    if n_sites < 2:
        raise ValueError("cross-validation needs pages from at least two sites")
    splitter = GroupKFold(n_splits=min(n_folds, n_sites))
    folds = []
    for _, test_pos in splitter.split(np.zeros(len(scored)), groups=scored_groups):
        test = tuple(scored[k] for k in test_pos)
        test_sites = set(scored_groups[test_pos].tolist())
        train = tuple(i for i in range(len(groups)) if groups[i] not in test_sites)
        folds.append(Fold(train=train, test=test))
    return folds


def fit_pages(make_model: Callable[[], BlockClassifier], examples: Examples,
              indices: Sequence[int]) -> BlockClassifier:
    """A model fitted on the pages at ``indices``, grouped by site for its own inner folds."""
    model = make_model()
    # page types and teaser flags only for a model that reads them (other estimators' fit takes neither)
    extra = {"page_types": [getattr(examples.sources[i], "page_type", None) for i in indices]} \
        if getattr(model, "page_type_context", False) else {}
    if hasattr(model, "teaser_weight") and examples.teasers:
        extra["teasers"] = [examples.teasers[i] for i in indices]
    return model.fit([examples.pages[i] for i in indices], [examples.labels[i] for i in indices],
                     groups=[examples.groups[i] for i in indices], **extra)


def inner_fold_scores(examples: Examples, train: Sequence[int], make_model: Callable[[], BlockClassifier],
                      n_folds: int = INNER_FOLDS) -> dict[int, np.ndarray]:
    """P(story) of each scored page of ``train`` from a model fitted on the other sites of ``train``."""
    train = list(train)
    sub = take(examples, train, with_views=False)
    out: dict[int, np.ndarray] = {}
    for fold in grouped_folds(sub.groups, scored_pages(sub), n_folds):
        model = fit_pages(make_model, sub, fold.train)
        for k, s in zip(fold.test, model.page_scores([sub.pages[k] for k in fold.test])):
            out[train[k]] = s
    return out


def nested_threshold(examples: Examples, train: Sequence[int], model: BlockClassifier,
                     make_model: Callable[[], BlockClassifier]) -> tuple[float, str]:
    """The threshold for a model fitted on ``train``, picked on those pages only; and how it was picked."""
    train = list(train)
    picked = [k for k, i in enumerate(train) if not examples.is_train_only(i)]
    if len({examples.groups[train[k]] for k in picked}) < 2:
        return DEFAULT_THRESHOLD, "too few sites"
    inner = getattr(model, "inner_scores_", None)
    if inner is not None:
        scores, how = [inner[k] for k in picked], "inner scores"
    else:
        by_page = inner_fold_scores(examples, train, make_model)
        scores, how = [by_page[train[k]] for k in picked], "inner folds"
    return best_threshold(take(examples, [train[k] for k in picked], with_views=False), scores), how


def run_fold(examples: Examples, fold: Fold, make_model: Callable[[], BlockClassifier],
             threshold: float | None = None) -> FoldResult:
    """Fit on the fold's training pages, pick its threshold there (unless fixed), score its test pages."""
    model = fit_pages(make_model, examples, fold.train)
    if threshold is None:
        cut, how = nested_threshold(examples, fold.train, model, make_model)
    else:
        cut, how = float(threshold), "fixed"
    scores = model.page_scores([examples.pages[i] for i in fold.test])
    views = {name: model.page_scores([view.pages[i] for i in fold.test]) for name, view in examples.views.items()}
    return FoldResult(test=fold.test, scores=scores, threshold=cut, picked_by=how, view_scores=views)


def run_folds(examples: Examples, folds: Sequence[Fold], make_model: Callable[[], BlockClassifier],
              threshold: float | None = None, jobs: int = 1, progress: bool = True) -> list[FoldResult]:
    """:func:`run_fold` for every fold, ``jobs`` at a time, results in fold order."""
    data = lean(examples)  # in-process too, so one job and many score the very same data
    parallel = Parallel(n_jobs=min(jobs, len(folds)), return_as="generator")
    results = parallel(delayed(run_fold)(data, fold, make_model, threshold) for fold in folds)
    return list(progress_of(results, total=len(folds), desc="cross-validating", unit="fold", enabled=progress))
