"""Cross-validated accuracy of the page-type model, for HTML pages and their text renderings.

``python -m training.page_type_eval CORPUS... [--mode html|text|both]`` prints, per
mode, accuracy, macro F1, F1 by type and the confusion table (rows: true type,
columns: predicted), measured as the block models are: a seeded 20% of sites
(registered domains) is held out; on the other sites, folds grouped by site score
every page with a model that never saw its site; then one model fitted on all of
them scores the hold-out once. It also prints the CPU time scoring one page takes.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.page_type import PAGE_TYPES, PageTypeModel, page_type_features

from .folds import grouped_folds
from .holdout import holdout_sites
from .page_type_data import cached_typed_pages

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "storyfilter-page-type-cache"
#: Boosting iterations of the shipped head: 0.782 CV accuracy against 0.711 for the linear model
#: (docs/structure.md); the estimator's own default stays linear.
DEFAULT_TREES = 150


def feature_rows(pages: Sequence[Sequence]) -> tuple[np.ndarray, np.ndarray]:
    """Features of every page, and the CPU seconds each page took.

    CPU time of this thread, not wall time: on a shared machine the wall clock also
    counts the time other processes held the core.
    """
    rows, seconds = [], np.zeros(len(pages))
    for i, blocks in enumerate(pages):
        start = time.thread_time()
        rows.append(page_type_features(blocks))
        seconds[i] = time.thread_time() - start
    return np.vstack(rows), seconds


def out_of_fold(X: np.ndarray, types: Sequence[str], groups: Sequence[str],
                make_model: Callable[[], PageTypeModel], n_folds: int = 5) -> list[str]:
    """The type each page gets from a model fitted on folds without its site."""
    pred: list[str] = [""] * len(types)
    for fold in grouped_folds(list(groups), range(len(types)), n_folds):
        train = list(fold.train)
        model = make_model().fit_features(X[train], [types[i] for i in train])
        proba = model.proba_from_features(X[list(fold.test)])
        for i, k in zip(fold.test, proba.argmax(axis=1)):
            pred[i] = model.types_[k]
    return pred


def scores(true: Sequence[str], pred: Sequence[str], labels: Sequence[str] = PAGE_TYPES) -> dict[str, Any]:
    """Accuracy, macro F1 (over types present in ``true``), F1 by type and the confusion counts."""
    index = {t: i for i, t in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(true, pred):
        table[index[t], index[p]] += 1
    tp = np.diag(table).astype(float)
    support, predicted = table.sum(axis=1), table.sum(axis=0)
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros(len(labels)), where=(support + predicted) > 0)
    present = support > 0
    merged = tp.sum()
    if "collection" in index and "listing" in index:  # what merging the closest pair would give
        merged += table[index["collection"], index["listing"]] + table[index["listing"], index["collection"]]
    return {"pages": int(table.sum()), "accuracy": round(float(tp.sum() / max(table.sum(), 1)), 4),
            "macro_f1": round(float(f1[present].mean()) if present.any() else 0.0, 4),
            "accuracy_collection_listing_merged": round(float(merged / max(table.sum(), 1)), 4),
            "f1": {t: round(float(f1[i]), 4) for i, t in enumerate(labels) if present[i]},
            "labels": list(labels), "confusion": table.tolist()}


def confusion_text(report: dict[str, Any]) -> str:
    """The confusion table as aligned text: rows true type, columns predicted, then F1 per row."""
    labels = report["labels"]
    short = [t[:6] for t in labels]
    lines = ["true \\ pred    " + " ".join(f"{s:>6}" for s in short) + "   F1"]
    for t, row in zip(labels, report["confusion"]):
        if sum(row):
            lines.append(f"{t:<14} " + " ".join(f"{v:>6}" for v in row) + f"  {report['f1'].get(t, 0):.2f}")
    return "\n".join(lines)


def evaluate_mode(corpora: Sequence[str], mode: str, folds: int = 5, holdout: float = 0.2, seed: int = 0,
                  cache_dir: str | Path | None = DEFAULT_CACHE, C: float = PageTypeModel().C,
                  trees: int = DEFAULT_TREES) -> dict[str, Any]:
    """CV on the sites outside the hold-out, then the hold-out scored once; plus the cost per page."""
    data = cached_typed_pages(corpora, mode, cache_dir, progress=sys.stderr.isatty())
    X, seconds = feature_rows(data.pages)
    held = set(holdout_sites(data.groups, holdout, seed))
    dev = [i for i, g in enumerate(data.groups) if g not in held]
    test = [i for i, g in enumerate(data.groups) if g in held]
    make = lambda: PageTypeModel(C=C, trees=trees)  # noqa: E731
    dev_types = [data.types[i] for i in dev]
    pred = out_of_fold(X[dev], dev_types, [data.groups[i] for i in dev], make, folds)
    report: dict[str, Any] = {"mode": mode, "sites": len(set(data.groups)), "folds": folds,
                              "model": f"boosted trees ({trees} iterations)" if trees else f"logistic (C={C})",
                              "cv": scores(dev_types, pred)}
    model = make().fit_features(X[dev], dev_types)  # scores the hold-out and is timed below
    if test:
        held_pred = [model.types_[k] for k in model.proba_from_features(X[test]).argmax(axis=1)]
        report["holdout"] = {"sites": len(held), **scores([data.types[i] for i in test], held_pred)}
    start = time.thread_time()
    for i in range(min(len(X), 300)):
        model.proba_from_features(X[i])
    proba_us = (time.thread_time() - start) / max(min(len(X), 300), 1) * 1e6
    report["cost_us"] = {"features_median": round(float(np.median(seconds)) * 1e6, 1),
                         "features_p95": round(float(np.percentile(seconds, 95)) * 1e6, 1),
                         "proba_per_page": round(proba_us, 1)}
    return report


def report_text(report: dict[str, Any]) -> str:
    """One mode's figures as the command prints them."""
    cv = report["cv"]
    out = [f"== {report['mode']}: {cv['pages']} pages, {report['folds']} folds grouped by registered domain"
           + (f", {report['model']}" if "model" in report else ""),
           f"cross-validation: accuracy {cv['accuracy']:.3f}, macro F1 {cv['macro_f1']:.3f} "
           f"(accuracy {cv['accuracy_collection_listing_merged']:.3f} with collection and listing as one type)",
           confusion_text(cv)]
    if "holdout" in report:
        h = report["holdout"]
        out += [f"hold-out ({h['sites']} sites, {h['pages']} pages, scored once): accuracy {h['accuracy']:.3f}, "
                f"macro F1 {h['macro_f1']:.3f}", confusion_text(h)]
    cost = report["cost_us"]
    out.append(f"CPU per page: features {cost['features_median']:.0f} µs median "
               f"({cost['features_p95']:.0f} µs p95), probabilities {cost['proba_per_page']:.0f} µs")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.page_type_eval", description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="+", help="gold folders laid out like wcxb-dev")
    parser.add_argument("--mode", choices=("html", "text", "both"), default="both")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--holdout", type=float, default=0.2, help="share of sites held out (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--C", type=float, default=PageTypeModel().C,
                        help="inverse regularisation strength of the linear model (--trees 0)")
    parser.add_argument("--trees", type=int, default=DEFAULT_TREES,
                        help="boosting iterations (one tree per type each); 0: the linear model")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="joblib cache of segmented pages")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--save", metavar="MODEL_DIR", help="fit on every page and add the head to this model "
                        "directory (one mode: --mode html or text, the directory's own)")
    args = parser.parse_args(argv)
    if args.save and args.mode == "both":
        parser.error("--save needs --mode html or --mode text")
    modes = ("html", "text") if args.mode == "both" else (args.mode,)
    reports = []
    for mode in modes:
        report = evaluate_mode(args.corpus, mode, args.folds, args.holdout, args.seed,
                               None if args.no_cache else args.cache, args.C, args.trees)
        print(report_text(report), flush=True)
        reports.append(report)
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1) + "\n", encoding="utf-8")
    if args.save:
        from .head_card import save_head_with_figures

        data = cached_typed_pages(args.corpus, args.mode, None if args.no_cache else args.cache)
        model = PageTypeModel(C=args.C, trees=args.trees).fit(data.pages, data.types)
        save_head_with_figures(args.save, "page_type", model, reports[-1])
        print(f"page-type head fitted on {len(data.pages)} pages, added to {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
