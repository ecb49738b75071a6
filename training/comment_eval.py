"""Measure and fit the comment head: ``python -m training.comment_eval wcxb-dev [--save MODEL_DIR]``.

The head tells readers' comments from other clutter among the blocks that are not
story (:mod:`classifier.comment_role`); its labels are the weak comment labels of
:mod:`training.comments`. Measured as the block models are: a seeded 20% of sites
(registered domains) is held out; on the other sites, folds grouped by site score
every page with a head that never saw its site; then one head fitted on all of them
scores the hold-out once. Forum pages are left out (their posts are content, and
the head is not applied to them). Figures are by characters: precision, recall and
F1 of the comment role among the blocks outside the story, and the pages that have
comments.

In cross-validation the story of a page is its gold story. ``--story-model DIR``
gives the hold-out the story a model predicts (a model fitted without the hold-out's
sites, e.g. ``storyfilter train --holdout`` output), so that its figure counts the
story model's own errors as users will meet them.

``--save MODEL_DIR`` then fits the head on every page and adds it to the model
directory (``comments.npz`` + ``comments.json``; the manifest is resealed).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.comment_role import CommentModel

from .dataset import Examples, build_examples
from .folds import grouped_folds
from .holdout import holdout_sites
from .readers import read_gold_folder

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "storyfilter-comment-cache"


def examples_for(corpora: Sequence[str], mode: str) -> Examples:
    """The gold pages of ``corpora`` as examples for ``mode``, with their comment masks."""
    gold = [page for folder in corpora for page in read_gold_folder(folder)]
    return build_examples(gold, mode, progress=sys.stderr.isatty())


def cached_examples(corpora: Sequence[str], mode: str, cache_dir: str | Path | None) -> Examples:
    """:func:`examples_for`, kept by joblib in ``cache_dir`` (afresh when None)."""
    corpora = [str(Path(c).resolve()) for c in corpora]
    if cache_dir is None:
        return examples_for(corpora, mode)
    from joblib import Memory

    return Memory(str(cache_dir), verbose=0).cache(examples_for)(corpora, mode)


def role_scores(pages: Sequence[Sequence], stories: Sequence[np.ndarray], truth: Sequence[Sequence[bool]],
                proba: Sequence[np.ndarray], threshold: float) -> dict[str, Any]:
    """Character precision/recall/F1 of "comment" among blocks outside the story; page counts."""
    tp = fp = fn = 0.0
    pages_true = pages_found = pages_both = 0
    for blocks, story, gold, p in zip(pages, stories, truth, proba):
        chars = np.fromiter((len(b.text) for b in blocks), dtype=np.float64, count=len(blocks))
        gold = np.asarray(gold, dtype=bool)
        found = (np.asarray(p) >= threshold) & ~np.asarray(story, dtype=bool)
        tp += chars[found & gold].sum()
        fp += chars[found & ~gold].sum()
        fn += chars[~found & gold].sum()
        pages_true += bool(gold.any())
        pages_found += bool(found.any())
        pages_both += bool(gold.any() and found.any())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pages": len(pages), "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4), "pages_with_comments": pages_true, "pages_given_comments": pages_found,
            "pages_both": pages_both}


def _usable(examples: Examples) -> list[int]:
    """Real (not augmented) pages that are not forums and have blocks."""
    return [i for i, page in enumerate(examples.pages)
            if page and not examples.is_train_only(i) and examples.sources[i].page_type != "forum"]


def fit_head(examples: Examples, indices: Sequence[int], C: float) -> CommentModel:
    """A head fitted on pages ``indices`` with their gold stories."""
    return CommentModel(C=C).fit([examples.pages[i] for i in indices],
                                 [np.asarray(examples.labels[i], dtype=bool) for i in indices],
                                 [examples.comment_mask(i) for i in indices])


def evaluate(examples: Examples, folds: int = 5, holdout: float = 0.2, seed: int = 0, C: float = 0.3,
             story_model: str | None = None) -> dict[str, Any]:
    """Grouped cross-validation on the sites outside the hold-out, then the hold-out once."""
    usable = _usable(examples)
    groups = [examples.groups[i] for i in usable]
    held = set(holdout_sites(groups, holdout, seed))
    dev = [i for i in usable if examples.groups[i] not in held]
    test = [i for i in usable if examples.groups[i] in held]
    gold_story = {i: np.asarray(examples.labels[i], dtype=bool) for i in usable}
    proba: dict[int, np.ndarray] = {}
    for fold in grouped_folds([examples.groups[i] for i in dev], range(len(dev)), folds):
        head = fit_head(examples, [dev[k] for k in fold.train], C)
        for k in fold.test:
            i = dev[k]
            proba[i] = head.proba(examples.pages[i], gold_story[i])
    threshold = CommentModel().threshold
    report: dict[str, Any] = {"sites": len(set(groups)), "folds": folds, "C": C, "threshold": threshold,
                              "cv": role_scores([examples.pages[i] for i in dev], [gold_story[i] for i in dev],
                                                [examples.comment_mask(i) for i in dev],
                                                [proba[i] for i in dev], threshold)}
    if test:
        head = fit_head(examples, dev, C)
        stories = [gold_story[i] for i in test]
        report["holdout_story"] = "gold"
        if story_model:
            from classifier.api import load_model_directory

            loaded = load_model_directory(story_model)
            scores = loaded.classifier.page_scores([examples.pages[i] for i in test])
            stories = [np.asarray(s) >= loaded.threshold for s in scores]
            report["holdout_story"] = f"predicted by {loaded.name} {loaded.version}"
        held_proba = [head.proba(examples.pages[i], s) for i, s in zip(test, stories)]
        report["holdout"] = {"sites": len(held), **role_scores([examples.pages[i] for i in test], stories,
                                                               [examples.comment_mask(i) for i in test],
                                                               held_proba, threshold)}
    return report


def report_text(report: dict[str, Any]) -> str:
    """The figures as the command prints them."""
    def line(name: str, r: dict[str, Any]) -> str:
        return (f"{name}: {r['pages']} pages, comment role P {r['precision']:.3f} R {r['recall']:.3f} "
                f"F1 {r['f1']:.3f}; pages with comments {r['pages_with_comments']}, given comments "
                f"{r['pages_given_comments']}, both {r['pages_both']}")
    out = [f"== {report['mode']}: {report['folds']} folds grouped by registered domain, C {report['C']}, "
           f"threshold {report['threshold']}", line("cross-validation (gold story)", report["cv"])]
    if "holdout" in report:
        out.append(line(f"hold-out ({report['holdout']['sites']} sites, story {report['holdout_story']})",
                        report["holdout"]))
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.comment_eval", description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="+", help="gold folders laid out like wcxb-dev")
    parser.add_argument("--mode", choices=("html", "text"), default="html")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--holdout", type=float, default=0.2, help="share of sites held out (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--C", type=float, default=CommentModel().C, help="inverse regularisation strength")
    parser.add_argument("--story-model", help="model directory whose story the hold-out is scored with")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="joblib cache of segmented pages")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--save", help="fit the head on every page and add it to this model directory")
    args = parser.parse_args(argv)
    examples = cached_examples(args.corpus, args.mode, None if args.no_cache else args.cache)
    report = {"mode": args.mode, **evaluate(examples, args.folds, args.holdout, args.seed, args.C,
                                            args.story_model)}
    print(report_text(report), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.save:
        from .head_card import save_head_with_figures

        head = fit_head(examples, _usable(examples), args.C)
        save_head_with_figures(args.save, "comments", head, report)
        print(f"comment head fitted on {len(_usable(examples))} pages, added to {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
