"""A model's scoring index: what scoring needs of ``model.json``, in a form that loads in milliseconds.

``model.json`` names every vocabulary gram (150,000 word grams in the shipped HTML
model): reading it and hashing the grams costs about 0.2 s a model. Scoring needs
only the grams' hashes (:mod:`classifier.tokens`, the same in every process), so
``scoring.npz`` holds them in column order beside the rest of the config, and the
word lookup table is built from them directly. The grams themselves are read from
``model.json`` only if asked for (explanations).

The index is optional and listed in the manifest like every file (so it is
verified on load). It records the sha256 of the ``model.json`` and ``model.npz`` it
was built from; an index that does not match them is ignored with a warning and
the model is read the slow way, so a retrained model never scores with another
model's vocabulary. ``storyfilter train`` writes it; add it to an older model with::

    python -m classifier.scoring_index artifacts/html artifacts/text
"""
from __future__ import annotations

import io
import json
import sys
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .artifacts import CONFIG, WEIGHTS, add_model_files, sha256_file, verify_model_dir
from .errors import ModelError
from .scorer import BlockScorer
from .tokens import gram_hashes

INDEX = "scoring.npz"
_FORMAT = 1


def index_bytes(config: dict[str, Any], built_from: dict[str, str]) -> bytes:
    """The contents of ``scoring.npz`` for a model config (``built_from``: file name -> sha256)."""
    rest = {key: value for key, value in config.items() if key != "text_vocabulary"}
    meta = {"format": _FORMAT, "built_from": built_from, "config": rest}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, text_gram_hashes=gram_hashes(config["text_vocabulary"]),
                        meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8))
    return buffer.getvalue()


def add_index(directory: str | Path) -> dict[str, Any]:
    """Write ``scoring.npz`` into a saved model directory (and reseal its manifest); returns the manifest."""
    directory = Path(directory)
    manifest = verify_model_dir(directory)
    config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    built_from = {name: manifest["files"][name]["sha256"] for name in (CONFIG, WEIGHTS)}
    return add_model_files(directory, {INDEX: index_bytes(config, built_from)})


def _read_index(directory: Path, manifest: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]] | None:
    """The gram hashes and config of a verified model's index; None (with a warning) if it is stale."""
    path = directory / INDEX
    try:
        with np.load(path, allow_pickle=False) as data:
            hashes = data["text_gram_hashes"]
            meta = json.loads(data["meta"].tobytes().decode("utf-8"))
    except Exception as err:  # numpy raises many kinds on a damaged archive
        raise ModelError(f"{path}: cannot read the scoring index ({err})") from None
    expected = {name: manifest["files"][name]["sha256"] for name in (CONFIG, WEIGHTS)}
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT or meta.get("built_from") != expected \
            or not isinstance(meta.get("config"), dict):
        warnings.warn(f"{path}: built from another model.json or model.npz, ignored (rebuild it: "
                      f"python -m classifier.scoring_index {directory})", RuntimeWarning, stacklevel=4)
        return None
    return hashes, meta["config"]


def load_scorer(directory: str | Path, expected_sha256: str | None = None) -> tuple[BlockScorer, dict[str, Any]]:
    """Verify a model directory and build its :class:`BlockScorer`: ``(scorer, manifest)``.

    Uses ``scoring.npz`` where the manifest lists a matching one, else ``model.json``.
    Raises :class:`ModelError` naming the file at fault.
    """
    directory = Path(directory)
    manifest = verify_model_dir(directory, expected_sha256)
    try:
        with np.load(directory / WEIGHTS, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as err:  # numpy raises many kinds on a damaged archive
        raise ModelError(f"{directory / WEIGHTS}: cannot read weights ({err})") from None
    index = _read_index(directory, manifest) if INDEX in manifest["files"] else None
    try:
        if index is not None:
            hashes, config = index
            read_grams = partial(_text_vocabulary, directory, manifest["files"][CONFIG]["sha256"])
            return BlockScorer.from_state(arrays, config, text_hashes=hashes, read_text_vocabulary=read_grams), manifest
        return BlockScorer.from_state(arrays, _read_config(directory)), manifest
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise ModelError(f"{directory / CONFIG}: model does not fit its weights ({err})") from None


def _text_vocabulary(directory: Path, sha256: str) -> list[str]:
    """The word grams, read when first asked for: from the very ``model.json`` verified at load."""
    if sha256_file(directory / CONFIG) != sha256:
        raise ModelError(f"{directory / CONFIG}: changed since the model was loaded; load it again")
    return _read_config(directory)["text_vocabulary"]


def _read_config(directory: Path) -> dict[str, Any]:
    try:
        config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{directory / CONFIG}: cannot read model config ({err})") from None
    if not isinstance(config, dict) or not isinstance(config.get("params"), dict):
        raise ModelError(f"{directory / CONFIG}: model config is not an object with \"params\"")
    return config


def main(argv: list[str] | None = None) -> int:
    """``python -m classifier.scoring_index DIR...``: add (or rebuild) the scoring index of model directories."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m classifier.scoring_index",
                                     description="Add scoring.npz to model directories (their digest changes: "
                                                 "re-pin shipped models with python -m classifier.artifacts pin).")
    parser.add_argument("directories", nargs="+")
    args = parser.parse_args(argv)
    try:
        for directory in args.directories:
            add_index(directory)
            print(f"indexed {directory}")
    except (ModelError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
