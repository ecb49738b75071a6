"""The evaluation protocol: grouped cross-validation with nested thresholds, then a hold-out scored once.

1. A seeded share of sites (registered domains) is set aside (``training.holdout``).
2. On the other sites, k folds grouped by site: each page is scored by a model that
   never saw its site, at a threshold picked on that model's training pages only
   (``training.folds``).
3. One model is fitted on all the other sites, its threshold picked on them the
   same way, and the hold-out sites are scored once.

Every report carries the keep-everything baseline beside the model. Pages flagged
training-only are fitted on and never scored, counted or reported.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from classifier.model import BlockClassifier

from .dataset import Examples
from .folds import fit_pages, grouped_folds, nested_threshold, run_folds, scored_pages, take
from .holdout import MIN_REMAINING_SITES, holdout_sites
from .progress import progress as progress_of
from .report import summarize
from .thresholds import (MAX_WITHOUT_LEAK, THRESHOLD_CANDIDATES, baseline_scores, best_threshold, page_score,
                         score_examples, threshold_sweep)

__all__ = ["MAX_WITHOUT_LEAK", "THRESHOLD_CANDIDATES", "baseline_scores", "best_threshold", "cross_validation_report",
           "evaluate_protocol", "holdout_report", "page_score", "saved_model_report", "score_examples",
           "threshold_sweep"]

GROUPED_BY = "registered domain"
NESTED_RULE = ("nested: each fold's threshold is picked on its own training pages (the fitted model's inner "
               "out-of-fold scores, or inner folds grouped by site), never on the pages it scores")
SWEEP_NOTE = ("descriptive: all out-of-fold scores cut at each threshold; no threshold is chosen from it")
VIEW_RULE = "each fold's pages are cut at the threshold picked on the other folds' out-of-fold scores"


def _median(values: Sequence[float]) -> float:
    return round(float(np.median(values)), 4)


def _systems(examples: Examples, scores: Sequence[np.ndarray], cuts: float | Sequence[float]) -> dict[str, Any]:
    return {"storyfilter": summarize(score_examples(examples, scores, cuts)),
            "keep-everything": summarize(baseline_scores(examples))}


def cross_validation_report(examples: Examples, make_model: Callable[[], BlockClassifier], folds: int = 5,
                            threshold: float | None = None, progress: bool = True, jobs: int = 1) -> dict:
    """Out-of-fold report for the model and the keep-everything baseline.

    Each fold's test pages are cut at a threshold picked on that fold's training
    pages (``threshold`` fixes it instead); ``threshold`` in the report is the
    median of the folds' (or the fixed one). Each of ``examples.views`` (other
    renderings of the same pages, scored by the same fold models) gets a report of
    its own and ``postfilter_threshold``, the threshold that does best on all of it.
    """
    scored = scored_pages(examples)
    splits = grouped_folds(examples.groups, scored, folds)
    results = run_folds(examples, splits, make_model, threshold, jobs, progress)
    fold_of = {i: k for k, r in enumerate(results) for i in r.test}
    score_of = {i: s for r in results for i, s in zip(r.test, r.scores)}
    fold_cuts = [r.threshold for r in results]
    test = take(examples, scored)
    scores = [score_of[i] for i in scored]
    report: dict[str, Any] = {
        "folds": len(splits), "grouped_by": GROUPED_BY, "pages": len(scored),
        "sites": len({examples.groups[i] for i in scored}), "train_only_pages": len(examples.pages) - len(scored),
        "threshold_rule": "fixed" if threshold is not None else NESTED_RULE,
        "fold_thresholds": fold_cuts, "fold_thresholds_picked_by": [r.picked_by for r in results],
        "threshold": float(threshold) if threshold is not None else _median(fold_cuts),
        "threshold_sweep": threshold_sweep(test, scores), "threshold_sweep_note": SWEEP_NOTE,
        "systems": _systems(test, scores, [fold_cuts[fold_of[i]] for i in scored]),
    }
    for name, view in test.views.items():
        view_of = {i: s for r in results for i, s in zip(r.test, r.view_scores[name])}
        view_scores = [view_of[i] for i in scored]
        cuts = []
        for k in range(len(results)):
            others = [j for j, i in enumerate(scored) if fold_of[i] != k]
            cuts.append(best_threshold(take(view, others, False), [view_scores[j] for j in others]))
        sweep = threshold_sweep(view, view_scores)
        report.setdefault("views", {})[name] = {
            "pages": len(view.pages), "threshold_rule": VIEW_RULE, "fold_thresholds": cuts,
            "threshold": _median(cuts), "postfilter_threshold": best_threshold(view, view_scores, sweep=sweep),
            "threshold_sweep": sweep, "threshold_sweep_note": SWEEP_NOTE,
            "systems": _systems(view, view_scores, [cuts[fold_of[i]] for i in scored])}
    return report


def holdout_report(examples: Examples, held: Sequence[str], make_model: Callable[[], BlockClassifier],
                   threshold: float | None = None, view_thresholds: dict[str, float] | None = None,
                   progress: bool = True) -> dict:
    """Fit once on every site but ``held``, pick the threshold there, and score the ``held`` sites' pages.

    ``view_thresholds`` (picked on the other sites, e.g. by cross-validation) cut the
    views; a view without one is cut at the model's threshold.
    """
    held_set = set(held)
    fit_idx = [i for i in range(len(examples.pages)) if examples.groups[i] not in held_set]
    test_idx = [i for i in scored_pages(examples) if examples.groups[i] in held_set]
    if progress:
        print(f"fitting on {len(fit_idx)} pages to score {len(test_idx)} held-out pages", file=sys.stderr)
    model = fit_pages(make_model, examples, fit_idx)
    if threshold is None:
        cut, how = nested_threshold(examples, fit_idx, model, make_model)
    else:
        cut, how = float(threshold), "fixed"
    test = take(examples, test_idx)
    report: dict[str, Any] = {
        "sites": len(held_set), "pages": len(test_idx),
        "fit_pages": sum(1 for i in fit_idx if not examples.is_train_only(i)),
        "threshold": cut, "threshold_picked_by": how, "domains": sorted(held_set),
        "systems": _systems(test, model.page_scores(test.pages), cut),
    }
    for name, view in test.views.items():
        view_cut = (view_thresholds or {}).get(name, cut)
        report.setdefault("views", {})[name] = {
            "pages": len(view.pages), "threshold": view_cut,
            "systems": _systems(view, model.page_scores(view.pages), view_cut)}
    return report


def evaluate_protocol(examples: Examples, make_model: Callable[[], BlockClassifier], folds: int = 5,
                      holdout: float = 0.2, seed: int = 0, threshold: float | None = None, jobs: int = 1,
                      progress: bool = True) -> dict[str, Any]:
    """Cross-validation on the sites outside a seeded hold-out, then the hold-out scored once.

    Returns ``{"cross_validation": report | None, "holdout": report | None}``: no
    cross-validation when ``folds < 2``, no hold-out when ``holdout == 0``. A hold-out
    that would leave fewer than two sites is skipped, with the reason in its report.
    """
    scored = scored_pages(examples)
    held = holdout_sites([examples.groups[i] for i in scored], holdout, seed)
    held_set = set(held)
    rest = take(examples, [i for i in range(len(examples.pages)) if examples.groups[i] not in held_set])
    cv = cross_validation_report(rest, make_model, folds, threshold, progress, jobs) if folds >= 2 else None
    ho: dict[str, Any] | None = None
    if holdout > 0:
        setup = {"fraction": holdout, "seed": seed}
        if held:
            view_cuts = {name: v["postfilter_threshold"] for name, v in ((cv or {}).get("views") or {}).items()}
            ho = {**setup, **holdout_report(examples, held, make_model, threshold, view_cuts, progress)}
        else:
            n_sites = len({examples.groups[i] for i in scored})
            ho = {**setup, "skipped": f"a hold-out needs at least {MIN_REMAINING_SITES + 1} sites; "
                                      f"the data has {n_sites}"}
    return {"cross_validation": cv, "holdout": ho}


def saved_model_report(examples: Examples, model: BlockClassifier, threshold: float,
                       batch_pages: int = 64, progress: bool = True,
                       view_thresholds: dict[str, float] | None = None) -> dict:
    """Score a trained model on a gold corpus (the corpus must not include its training pages).

    Each of ``examples.views`` named in ``view_thresholds`` is scored too, at its threshold.
    """
    examples = take(examples, scored_pages(examples))

    def page_scores(pages: list) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for start in progress_of(range(0, len(pages), batch_pages), desc="scoring", unit="batch",
                                 enabled=progress):
            out += model.page_scores(pages[start:start + batch_pages])
        return out

    report: dict[str, Any] = {"threshold": threshold, "pages": len(examples.pages),
                              "systems": _systems(examples, page_scores(examples.pages), threshold)}
    for name, cut in (view_thresholds or {}).items():
        view = examples.views.get(name)
        if view is not None:
            report.setdefault("views", {})[name] = {
                "pages": len(view.pages), "threshold": cut,
                "systems": _systems(view, page_scores(view.pages), cut)}
    return report
