"""Retrain with reviewers' feedback: merge corrected pages into the base data, compare before and after.

Feedback pages come as :class:`~training.readers.LabelledPage` (the review store
hands them over; this module never touches a database, so training needs no
database library). Their labels are by block position, on the blocks the scorer
cut, so they go onto the same blocks here without any text alignment.

Corrections win: a base page with the same id or URL as a feedback page is
dropped, and each feedback page counts ``repeat`` times in training. One
reviewed page among thousands would otherwise barely move a linear model, and
its words would never reach the vocabulary's ``min_df``.

Before/after is measured with the same folds grouped by site: on each fold, a
model trained on the base pages of the training sites ("before") and one trained
on those plus their feedback pages ("after") score the same held-out sites.
"""
from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from classifier.blocks import Block
from classifier.errors import TrainingDataError
from classifier.html_segmenter import segment_html
from classifier.model import BlockClassifier
from classifier.text_segmenter import segment_text

from .alignment import align_labels
from .dataset import Examples, render_as_text
from .evaluate import baseline_scores, best_threshold, score_examples
from .readers import LabelledPage
from .report import summarize
from .train import DEFAULT_PARAMS, data_summary, load_examples, save_trained

FEEDBACK_REPEAT = 3


def _carry(blocks: list[Block], texts: Sequence[str], labels: Sequence[int]) -> list[int]:
    """Labels by position when the blocks are the ones that were labelled, else by aligning the story text."""
    if len(blocks) == len(labels) and all(b.text == t for b, t in zip(blocks, texts)):
        return list(labels)
    return align_labels(blocks, "\n".join(t for t, y in zip(texts, labels) if y))


def feedback_examples(pages: Sequence[LabelledPage], mode: str) -> Examples:
    """Feedback pages as training examples for ``mode``; text-mode models see HTML pages as their lines."""
    out = Examples([], [], [], [])
    for page in pages:
        if page.html:
            blocks = segment_html(page.html)
            labels = _carry(blocks, page.texts, page.labels)
            if mode == "text":
                lines = segment_text(render_as_text(blocks, "lines"))
                labels = _carry(lines, [b.text for b in blocks], labels)
                blocks = lines
        else:
            blocks = segment_text("\n".join(page.texts))
            labels = _carry(blocks, page.texts, page.labels)
        if blocks:
            out.pages.append(blocks)
            out.labels.append(labels)
            out.groups.append(page.domain)
            out.sources.append(page)
            out.teasers.append([False] * len(blocks))
    return out


def _same_page(source: Any, feedback: Sequence[LabelledPage]) -> bool:
    keys = {p.id for p in feedback} | {p.url for p in feedback if p.url}
    return getattr(source, "id", None) in keys or (getattr(source, "url", None) or None) in keys


def merge(base: Examples, feedback: Examples) -> tuple[Examples, list[bool]]:
    """Base pages (minus the ones feedback replaces) then feedback pages, and which are feedback."""
    merged = Examples([], [], [], [])
    replaced = [_same_page(s, feedback.sources) for s in base.sources]  # type: ignore[arg-type]
    for i, drop in enumerate(replaced):
        if not drop:
            merged.extend(base, i, i + 1)
    n_base = len(merged.pages)
    merged.extend(feedback)
    return merged, [False] * n_base + [True] * len(feedback.pages)


def _fit(make_model, examples: Examples, idx: Sequence[int], repeat: int = 1,
         is_feedback: Sequence[bool] | None = None) -> BlockClassifier | None:
    pages, labels, groups = [], [], []
    for i in idx:
        times = repeat if is_feedback is not None and is_feedback[i] else 1
        for _ in range(times):
            pages.append(examples.pages[i])
            labels.append(examples.labels[i])
            groups.append(examples.groups[i])
    flat = np.concatenate([np.asarray(y) for y in labels]) if labels else np.zeros(0)
    if len(np.unique(flat)) < 2:
        return None
    return make_model().fit(pages, labels, groups=groups)


def before_after(examples: Examples, is_feedback: Sequence[bool], make_model, folds: int, repeat: int,
                 progress: bool = True) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """Out-of-fold scores of every page from "before" (base pages only) and "after" (with feedback) models."""
    groups = np.asarray(examples.groups)
    folds = min(folds, len(np.unique(groups)))
    if folds < 2:
        raise ValueError("cross-validation needs pages from at least two sites")
    before: list[np.ndarray] = [np.zeros(0)] * len(examples.pages)
    after: list[np.ndarray] = [np.zeros(0)] * len(examples.pages)
    for k, (train_idx, test_idx) in enumerate(GroupKFold(n_splits=folds).split(np.zeros(len(groups)), groups=groups)):
        if progress:
            print(f"before/after fold {k + 1}/{folds}", file=sys.stderr)
        test_pages = [examples.pages[i] for i in test_idx]
        base_idx = [i for i in train_idx if not is_feedback[i]]
        for target, model in ((before, _fit(make_model, examples, base_idx)),
                              (after, _fit(make_model, examples, train_idx, repeat, is_feedback))):
            scores = model.page_scores(test_pages) if model is not None else [np.full(len(p), 0.5) for p in test_pages]
            for i, s in zip(test_idx, scores):
                target[i] = s
    return before, after, folds


def _subset(examples: Examples, keep: Sequence[bool]) -> Examples:
    out = Examples([], [], [], [])
    for i, k in enumerate(keep):
        if k:
            out.extend(examples, i, i + 1)
    return out


def _block_accuracy(labels: Sequence[Sequence[int]], scores: Sequence[np.ndarray], threshold: float) -> float | None:
    pairs = [(y, s >= threshold) for ys, ss in zip(labels, scores) for y, s in zip(ys, ss)]
    return round(sum(int(y) == int(p) for y, p in pairs) / len(pairs), 4) if pairs else None


def train_with_feedback(sources: Sequence[str | Path], feedback: Sequence[LabelledPage], output: str | Path,
                        mode: str = "html", params: dict[str, Any] | None = None, cv_folds: int = 5,
                        threshold: float | None = None, seed: int = 0, repeat: int = FEEDBACK_REPEAT,
                        name: str | None = None, version: str | None = None, progress: bool = True,
                        command: str | None = None) -> dict[str, Any]:
    """Train one model directory on the base data merged with feedback; returns its manifest,
    whose ``feedback`` entry holds the before/after comparison (``cross_validation`` is the after one)."""
    if mode not in ("html", "text"):
        raise ValueError(f"mode must be html or text, got {mode!r}")
    if not feedback:
        raise TrainingDataError("the feedback store holds no reviewed page")
    started = time.time()
    base = load_examples(sources, mode, seed, progress)
    fb = feedback_examples(feedback, mode)
    examples, is_feedback = merge(base, fb)
    settings = {**DEFAULT_PARAMS[mode], **(params or {}), "random_state": seed}

    def make_model() -> BlockClassifier:
        return BlockClassifier(**settings)

    report: dict[str, Any] = {"pages": len(fb.pages), "replaced_base_pages": len(base.pages) - sum(
        1 for f in is_feedback if not f), "repeat": repeat,
        "blocks": int(sum(len(y) for y in fb.labels))}
    cv = None
    if cv_folds and cv_folds >= 2:
        before, after, folds = before_after(examples, is_feedback, make_model, cv_folds, repeat, progress)
        cut_before = best_threshold(examples, before) if threshold is None else threshold
        cut_after = best_threshold(examples, after) if threshold is None else threshold
        fb_only = _subset(examples, is_feedback)
        fb_before = [s for s, f in zip(before, is_feedback) if f]
        fb_after = [s for s, f in zip(after, is_feedback) if f]
        after_all = summarize(score_examples(examples, after, cut_after))
        report.update({
            "folds": folds, "grouped_by": "site",
            "before": {"threshold": cut_before,
                       "all_pages": summarize(score_examples(examples, before, cut_before))["overall"],
                       "feedback_pages": summarize(score_examples(fb_only, fb_before, cut_before))["overall"],
                       "feedback_block_accuracy": _block_accuracy(fb_only.labels, fb_before, cut_before)},
            "after": {"threshold": cut_after, "all_pages": after_all["overall"],
                      "feedback_pages": summarize(score_examples(fb_only, fb_after, cut_after))["overall"],
                      "feedback_block_accuracy": _block_accuracy(fb_only.labels, fb_after, cut_after)},
        })
        cv = {"folds": folds, "grouped_by": "site", "threshold": cut_after, "pages": len(examples.pages),
              "systems": {"storyfilter": after_all, "keep-everything": summarize(baseline_scores(examples))}}
        threshold = cut_after
    threshold = 0.5 if threshold is None else float(threshold)
    if progress:
        print(f"fitting the {mode} model on {len(examples.pages)} pages ({len(fb.pages)} with feedback, "
              f"each counted {repeat} times)", file=sys.stderr)
    model = _fit(make_model, examples, range(len(examples.pages)), repeat, is_feedback)
    if model is None:
        raise TrainingDataError("the training data needs both story and boilerplate blocks")
    # In-sample, so not a measure of quality: it says whether the new model took the corrections in.
    report["fitted_block_accuracy"] = _block_accuracy(fb.labels, model.page_scores(fb.pages), threshold)
    summary = data_summary(examples, sources)
    summary["feedback_pages"] = len(fb.pages)
    command = command or "storyfilter train " + " ".join(shlex.quote(str(s)) for s in sources) + \
        f" --mode {mode} --feedback DB -o {shlex.quote(str(output))}"
    return save_trained(model, output, mode=mode, threshold=threshold, seed=seed, training_data=summary,
                        cross_validation=cv, started=started, command=command, name=name, version=version,
                        version_tag="fb", extra={"feedback": report})
