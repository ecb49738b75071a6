"""Train a model: read data, cross-validate grouped by site, fit on everything, write the model directory."""
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

from .dataset import Examples, build_examples, labelled_examples
from .evaluate import cross_validation_report
from .model_card import render_model_card
from .readers import detect_source_kind, read_gold_folder, read_labelled_blocks, read_pages_jsonl

# Settings picked by grouped cross-validation on wcxb-dev (docs/training.md).
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "html": {"use_dom": True, "text_ngram_max": 2, "C": 1.0, "second_stage": True},
    "text": {"use_dom": False, "text_ngram_max": 2, "C": 1.0, "second_stage": True},
}
WCXB_CREDIT = ("Trained on WCXB (Web Content eXtraction Benchmark) v1.0 development split by "
               "Murrough Foley, licensed CC-BY-4.0.")


def load_examples(sources: Sequence[str | Path], mode: str, seed: int = 0, progress: bool = True,
                  augment: float = 0.0) -> Examples:
    """Read every training source (gold folder, JSONL pages, JSONL labelled blocks) into one set.

    ``augment``: the share of gold pages that also get a training-only copy with teaser widgets.
    """
    merged = Examples([], [], [], [], [])
    for source in sources:
        kind = detect_source_kind(source)
        if kind == "gold-folder":
            part = build_examples(read_gold_folder(source), mode, seed, progress, augment=augment)
        elif kind == "pages":
            part = build_examples(read_pages_jsonl(source), mode, seed, progress, augment=augment)
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
    flat = np.concatenate([np.asarray(y) for y in examples.labels])
    types: dict[str, int] = {}
    for s in examples.sources:
        t = getattr(s, "page_type", "unknown")
        types[t] = types.get(t, 0) + 1
    summary = {"sources": [str(Path(s).name) for s in sources], "pages": len(examples.pages),
               "sites": len(set(examples.groups)), "blocks": int(len(flat)),
               "story_share": round(float(flat.mean()), 4), "page_types": dict(sorted(types.items()))}
    if any("wcxb" in str(s).lower() for s in sources):
        summary["credit"] = WCXB_CREDIT
    return summary


def train_model(sources: Sequence[str | Path], output: str | Path, mode: str = "html",
                params: dict[str, Any] | None = None, cv_folds: int = 5, threshold: float | None = None,
                seed: int = 0, name: str | None = None, version: str | None = None,
                progress: bool = True, command: str | None = None, augment: float = 0.0) -> dict[str, Any]:
    """Train and write one model directory; returns its manifest."""
    if mode not in ("html", "text"):
        raise ValueError(f"mode must be html or text, got {mode!r}")
    started = time.time()
    examples = load_examples(sources, mode, seed, progress, augment=augment)
    settings = {**DEFAULT_PARAMS[mode], **(params or {}), "random_state": seed}

    def make_model() -> BlockClassifier:
        return BlockClassifier(**settings)

    cv = None
    if cv_folds and cv_folds >= 2:
        cv = cross_validation_report(examples, make_model, cv_folds, threshold, progress)
        if threshold is None:
            threshold = cv["threshold"]
    threshold = 0.5 if threshold is None else float(threshold)
    if progress:
        print(f"fitting the {mode} model on {len(examples.pages)} pages", file=sys.stderr)
    model = make_model().fit(examples.pages, examples.labels, groups=examples.groups)
    # For text that another extractor already cleaned: picked on the pages rendered that way.
    postfilter = (cv or {}).get("views", {}).get("extract", {}).get("threshold", threshold)
    command = command or "storyfilter train " + " ".join(shlex.quote(str(s)) for s in sources) + \
        f" --mode {mode} -o {shlex.quote(str(output))}"
    return save_trained(model, output, mode=mode, threshold=threshold, seed=seed,
                        training_data=data_summary(examples, sources), cross_validation=cv, started=started,
                        command=command, name=name, version=version, extra={"postfilter_threshold": postfilter})


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
    save_model_dir(output, arrays, config, manifest, render_model_card(manifest, command))
    return manifest
