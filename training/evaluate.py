"""Evaluation: folds grouped by site, or a saved model scored on a gold corpus.

Every page is scored by a model that never saw its site (``GroupKFold`` over
domains), so a site template learned in training cannot inflate the numbers.
The report carries the keep-everything baseline beside the model.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.model_selection import GroupKFold
from tqdm import tqdm

from classifier.model import BlockClassifier

from .dataset import Examples
from .metrics import PageScore, score_page
from .report import summarize

#: Thresholds that let through more than this share of `without` snippets are not chosen.
MAX_WITHOUT_LEAK = 0.05


def page_score(examples: Examples, i: int, kept: Sequence[bool]) -> PageScore:
    """Score one page's kept blocks against its gold text and block labels."""
    blocks, labels, source = examples.pages[i], examples.labels[i], examples.sources[i]
    text = "\n\n".join(b.text for b, k in zip(blocks, kept) if k)
    teasers = examples.teasers[i] if examples.teasers else [False] * len(blocks)
    teaser_total = sum(len(b.text) for b, t in zip(blocks, teasers) if t)
    teaser_kept = sum(len(b.text) for b, t, k in zip(blocks, teasers, kept) if t and k)
    gold = getattr(source, "main_text", None)
    if gold is None:
        gold = "\n".join(b.text for b, y in zip(blocks, labels) if y)
    return score_page(
        page_id=source.id, page_type=getattr(source, "page_type", "unknown"), predicted_text=text,
        gold_text=gold, with_snippets=getattr(source, "with_snippets", []),
        without_snippets=getattr(source, "without_snippets", []), y_true=labels,
        y_pred=[int(k) for k in kept], teaser_chars_total=teaser_total, teaser_chars_kept=teaser_kept)


def score_examples(examples: Examples, scores: Sequence[np.ndarray], threshold: float) -> list[PageScore]:
    return [page_score(examples, i, s >= threshold) for i, s in enumerate(scores)]


def baseline_scores(examples: Examples) -> list[PageScore]:
    """Keep every block: the floor any filter must beat."""
    return [page_score(examples, i, [True] * len(p)) for i, p in enumerate(examples.pages)]


def out_of_fold_scores(examples: Examples, make_model: Callable[[], BlockClassifier], folds: int = 5,
                       progress: bool = True, view_scores: dict[str, list[np.ndarray]] | None = None
                       ) -> list[np.ndarray]:
    """P(story) for every block, each page scored by a model trained on the other sites.

    ``view_scores`` (if given) is filled with the same for each of ``examples.views``.
    """
    groups = np.asarray(examples.groups)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ValueError("cross-validation needs pages from at least two sites")
    folds = min(folds, n_groups)
    out: list[np.ndarray] = [np.zeros(0)] * len(examples.pages)
    splits = GroupKFold(n_splits=folds).split(np.zeros(len(groups)), groups=groups)
    for train_idx, test_idx in tqdm(list(splits), desc="cross-validating", unit="fold",
                                    disable=None if progress else True):
        model = make_model().fit([examples.pages[i] for i in train_idx], [examples.labels[i] for i in train_idx],
                                 groups=groups[train_idx])
        for i, s in zip(test_idx, model.page_scores([examples.pages[i] for i in test_idx])):
            out[i] = s
        if view_scores is not None:
            for name, view in examples.views.items():
                scores = view_scores.setdefault(name, [np.zeros(0)] * len(view.pages))
                for i, s in zip(test_idx, model.page_scores([view.pages[i] for i in test_idx])):
                    scores[i] = s
    return out


THRESHOLD_CANDIDATES = tuple(float(t) for t in np.round(np.arange(0.2, 0.91, 0.05), 2))


def threshold_sweep(examples: Examples, scores: Sequence[np.ndarray],
                    candidates: Sequence[float] = THRESHOLD_CANDIDATES) -> list[dict]:
    """Mean page word F1 and the share of `without` snippets leaked at each candidate threshold."""
    rows = []
    for t in candidates:
        page_scores = score_examples(examples, scores, t)
        total = sum(s.without_total for s in page_scores)
        rows.append({"threshold": float(t), "word_f1": round(float(np.mean([s.word_f1 for s in page_scores])), 4),
                     "without_leaked": round(sum(s.without_found for s in page_scores) / total, 4) if total else None})
    return rows


def best_threshold(examples: Examples, scores: Sequence[np.ndarray],
                   candidates: Sequence[float] = THRESHOLD_CANDIDATES,
                   max_leak: float | None = MAX_WITHOUT_LEAK, sweep: list[dict] | None = None) -> float:
    """The threshold with the highest mean page word F1 on out-of-fold scores.

    Among thresholds that leak at most ``max_leak`` of the ``without`` snippets (when
    the data has them): a filter that lets clutter through is worse than its F1 says.
    """
    sweep = sweep if sweep is not None else threshold_sweep(examples, scores, candidates)
    best, best_f1 = 0.5, -1.0
    fallback, fallback_f1 = 0.5, -1.0
    for row in sweep:
        f1, leak = row["word_f1"], row["without_leaked"] or 0.0
        if f1 > fallback_f1 + 1e-9:
            fallback, fallback_f1 = row["threshold"], f1
        if (max_leak is None or leak <= max_leak) and f1 > best_f1 + 1e-9:
            best, best_f1 = row["threshold"], f1
    return best if best_f1 >= 0 else fallback


def cross_validation_report(examples: Examples, make_model: Callable[[], BlockClassifier], folds: int = 5,
                            threshold: float | None = None, progress: bool = True) -> dict:
    """Out-of-fold report for the model and the keep-everything baseline.

    With ``threshold=None`` the threshold is picked on the out-of-fold scores
    (reported as such: it is one number chosen on 1,500 pages, not a per-page fit).
    Each of ``examples.views`` (other renderings of the same pages, scored by the
    same fold models) gets a threshold and a report of its own.
    """
    view_scores: dict[str, list[np.ndarray]] = {}
    scores = out_of_fold_scores(examples, make_model, folds, progress, view_scores)
    sweep = threshold_sweep(examples, scores)
    chosen = best_threshold(examples, scores, sweep=sweep) if threshold is None else threshold
    report = {
        "folds": folds, "grouped_by": "site", "threshold": chosen, "pages": len(examples.pages),
        "threshold_sweep": sweep,
        "systems": {"storyfilter": summarize(score_examples(examples, scores, chosen)),
                    "keep-everything": summarize(baseline_scores(examples))},
    }
    for name, part_scores in view_scores.items():
        part = examples.views[name]
        part_sweep = threshold_sweep(part, part_scores)
        part_threshold = best_threshold(part, part_scores, sweep=part_sweep)
        report.setdefault("views", {})[name] = {
            "pages": len(part.pages), "threshold": part_threshold, "threshold_sweep": part_sweep,
            "systems": {"storyfilter": summarize(score_examples(part, part_scores, part_threshold)),
                        "keep-everything": summarize(baseline_scores(part))}}
    return report


def saved_model_report(examples: Examples, model: BlockClassifier, threshold: float,
                       batch_pages: int = 64, progress: bool = True) -> dict:
    """Score a trained model on a gold corpus (the corpus must not include its training pages)."""
    scores: list[np.ndarray] = []
    for start in tqdm(range(0, len(examples.pages), batch_pages), desc="scoring", unit="batch",
                      disable=None if progress else True):
        scores += model.page_scores(examples.pages[start:start + batch_pages])
    return {
        "threshold": threshold, "pages": len(examples.pages),
        "systems": {"storyfilter": summarize(score_examples(examples, scores, threshold)),
                    "keep-everything": summarize(baseline_scores(examples))},
    }
