"""Train a model: read data, evaluate (cross-validation + hold-out), fit on everything, write the model directory.

The shipped model is fitted on all pages, hold-out included, after the reports
are made; its threshold is picked the way every fold's is: on the fitted model's
own inner scores of its training pages (``training.folds.nested_threshold``).
"""
from __future__ import annotations

import hashlib
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier import __version__
from classifier.artifacts import save_model_dir
from classifier.errors import TrainingDataError
from classifier.model import BlockClassifier, classifier_to_state
from classifier.scoring_index import add_index

from .dataset import Examples, build_examples, labelled_examples
from .evaluate import evaluate_protocol
from .folds import fit_pages, nested_threshold, scored_pages
from .model_card import render_model_card
from .progress import note
from .provenance import code_revision
from .readers import detect_source_kind, read_gold_folder, read_labelled_blocks, read_pages_jsonl

# Settings picked by grouped cross-validation on wcxb-dev (docs/training.md).
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    # teaser widgets weigh three times as much as other blocks (docs/experiments.md, Round 14);
    # a page of n blocks weighs n ** 0.5 in all, not n, so long pages don't swamp short ones (Round 15)
    "html": {"use_dom": True, "text_ngram_max": 2, "C": 1.0, "second_stage": True, "teaser_weight": 3.0,
             "page_weight_power": 0.5},
    "text": {"use_dom": False, "text_ngram_max": 2, "C": 1.0, "second_stage": True},
}
WCXB_CREDIT = ("Trained on WCXB (Web Content eXtraction Benchmark) v1.0 development split by "
               "Murrough Foley, licensed CC-BY-4.0.")


def load_examples(sources: Sequence[str | Path], mode: str, seed: int = 0, progress: bool = True,
                  augment: float = 0.0, augment_threads: bool = False, augment_hashed_classes: float = 0.0
                  ) -> Examples:
    """Read every training source (gold folder, JSONL pages, JSONL labelled blocks) into one set.

    ``augment``: the share of gold pages that also get a training-only copy with teaser widgets
    (``augment_threads``: and, on some article copies, a readers' comment thread;
    ``augment_hashed_classes``: the share of copies whose class and id names are hashed).
    """
    merged = Examples([], [], [], [], [])
    for source in sources:
        kind = detect_source_kind(source)
        if kind == "gold-folder":
            part = build_examples(read_gold_folder(source), mode, seed, progress, augment=augment,
                                  augment_threads=augment_threads, augment_hashed_classes=augment_hashed_classes)
        elif kind == "pages":
            part = build_examples(read_pages_jsonl(source), mode, seed, progress, augment=augment,
                                  augment_threads=augment_threads, augment_hashed_classes=augment_hashed_classes)
        else:
            part = labelled_examples(read_labelled_blocks(source), mode)
        before = len(merged.pages)
        for name in set(merged.views) | set(part.views):
            view = merged.views.setdefault(name, Examples([], [], [], [], []))
            view.extend(merged, len(view.pages), before)  # earlier sources without this view lend their pages
            view.extend(part.views.get(name, part))
        merged.extend(part)
    if not merged.pages:
        raise TrainingDataError("the training data holds no page with text")
    flat = np.concatenate([np.asarray(y) for y in merged.labels])
    if flat.min() == flat.max():
        raise TrainingDataError("the training data needs both story and boilerplate blocks")
    return merged


def data_summary(examples: Examples, sources: Sequence[str | Path]) -> dict[str, Any]:
    """Counts of the data; pages flagged training-only are counted apart, not in the totals."""
    scored = scored_pages(examples)
    flat = np.concatenate([np.asarray(examples.labels[i]) for i in scored]) if scored else np.zeros(0)
    types: dict[str, int] = {}
    for i in scored:
        t = getattr(examples.sources[i], "page_type", "unknown")
        types[t] = types.get(t, 0) + 1
    summary = {"sources": [str(Path(s).name) for s in sources], "pages": len(scored),
               "sites": len({examples.groups[i] for i in scored}), "blocks": int(len(flat)),
               "story_share": round(float(flat.mean()), 4) if len(flat) else 0.0,
               "page_types": dict(sorted(types.items()))}
    if len(scored) < len(examples.pages):
        summary["train_only_pages"] = len(examples.pages) - len(scored)
    if any("wcxb" in str(s).lower() for s in sources):
        summary["credit"] = WCXB_CREDIT
    return summary


def train_model(sources: Sequence[str | Path], output: str | Path, mode: str = "html",
                params: dict[str, Any] | None = None, cv_folds: int = 5, threshold: float | None = None,
                seed: int = 0, name: str | None = None, version: str | None = None,
                progress: bool = True, command: str | None = None, holdout: float = 0.2,
                jobs: int = 1, augment: float = 0.0, augment_threads: bool = False,
                augment_hashed_classes: float = 0.0) -> dict[str, Any]:
    """Evaluate (``cv_folds`` grouped folds and a ``holdout`` share of sites, seeded), then fit on
    every page and write one model directory; returns its manifest."""
    if mode not in ("html", "text"):
        raise ValueError(f"mode must be html or text, got {mode!r}")
    started = time.time()
    examples = load_examples(sources, mode, seed, progress, augment=augment, augment_threads=augment_threads,
                             augment_hashed_classes=augment_hashed_classes)
    settings = {**DEFAULT_PARAMS[mode], **(params or {}), "random_state": seed}

    def make_model() -> BlockClassifier:
        return BlockClassifier(**settings)

    protocol = evaluate_protocol(examples, make_model, cv_folds, holdout, seed, threshold, jobs, progress)
    cv = protocol["cross_validation"]
    if progress:
        note(f"fitting the {mode} model on all {len(examples.pages)} pages")
    everything = range(len(examples.pages))
    model = fit_pages(make_model, examples, everything)
    if threshold is None:
        threshold, rule = nested_threshold(examples, everything, model, make_model)
        rule = f"picked on the shipped model's training pages ({rule})"
    else:
        threshold, rule = float(threshold), "fixed"
    # For text that another extractor already cleaned: picked on the pages rendered that way.
    postfilter = (cv or {}).get("views", {}).get("extract", {}).get("postfilter_threshold", threshold)
    command = command or "storyfilter train " + " ".join(shlex.quote(str(s)) for s in sources) + \
        f" --mode {mode} -o {shlex.quote(str(output))}"
    return save_trained(model, output, mode=mode, threshold=threshold, seed=seed,
                        training_data=data_summary(examples, sources), cross_validation=cv, started=started,
                        command=command, name=name, version=version,
                        extra={"postfilter_threshold": postfilter, "threshold_rule": rule,
                               "holdout": protocol["holdout"]})


def save_trained(model: BlockClassifier, output: str | Path, *, mode: str, threshold: float, seed: int,
                 training_data: dict[str, Any], cross_validation: dict[str, Any] | None, started: float,
                 command: str, name: str | None = None, version: str | None = None, version_tag: str = "",
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write a fitted model's directory (arrays, manifest, model card); returns the manifest.

    The default version is the library's plus a digest of the weights (``version_tag``
    before it marks a variant, e.g. ``fb`` for a model trained with feedback).
    """
    arrays, config = classifier_to_state(model)
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays.values())).hexdigest()
    manifest: dict[str, Any] = {
        "name": name or f"storyfilter-{mode}", "version": version or f"{__version__}+{version_tag}{digest[:10]}",
        "mode": mode, "threshold": threshold, "labels": ["boilerplate", "story"], "params": model.get_params(),
        "seed": seed, "training_data": training_data, "cross_validation": cross_validation,
        "postfilter_threshold": threshold, **(extra or {}),
        "training_seconds": round(time.time() - started, 1),
    }
    revision = code_revision()
    if revision is not None:
        manifest["code"] = revision
    save_model_dir(output, arrays, config, manifest, render_model_card(manifest, command))
    add_index(output)  # scoring.npz: the model loads without reading its vocabulary
    return manifest
