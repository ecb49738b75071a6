"""Save and load model directories: weights, manifest with hashes and versions, model card.

A model directory holds ``model.npz`` (numeric arrays, loaded with
``allow_pickle=False``), ``model.json`` (parameters and vocabularies),
``manifest.json`` (sha256 of every file, library versions, training data summary,
metrics) and ``MODEL_CARD.md``. No file is pickled, so loading a model cannot run
code; the hashes catch corrupt or edited files. Writing goes to a temporary
directory first and is renamed into place, so a crash never leaves half a model.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
WEIGHTS = "model.npz"
CONFIG = "model.json"
CARD = "MODEL_CARD.md"

from .errors import ModelError  # noqa: E402


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on, recorded in the manifest."""
    import scipy
    import selectolax
    import sklearn

    from . import __version__
    return {"storyfilter": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
            "selectolax": selectolax.__version__}


def save_model_dir(directory: str | Path, arrays: dict[str, np.ndarray], config: dict[str, Any],
                   manifest_extra: dict[str, Any], card: str) -> Path:
    """Write a model directory atomically; an existing directory is replaced as a whole."""
    target = Path(directory).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        (staging / WEIGHTS).write_bytes(buffer.getvalue())
        (staging / CONFIG).write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
        (staging / CARD).write_text(card, encoding="utf-8")
        files = {name: {"sha256": sha256_file(staging / name), "bytes": (staging / name).stat().st_size}
                 for name in (WEIGHTS, CONFIG, CARD)}
        manifest = {"format_version": FORMAT_VERSION, "files": files,
                    "libraries": library_versions(), **manifest_extra}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
        for name in os.listdir(staging):
            with open(staging / name, "rb") as handle:
                os.fsync(handle.fileno())
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / target.name)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of a model directory, or a ModelError naming what is wrong."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise ModelError(f"{directory}: model directory not found")
    if not path.is_file():
        raise ModelError(f"{path}: missing manifest; not a storyfilter model directory")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{path}: unreadable manifest ({err})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ModelError(f"{path}: manifest has no 'files' table")
    return manifest


def verify_model_dir(directory: str | Path) -> dict[str, Any]:
    """Check every file against the manifest's sha256 and the format version; return the manifest."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{directory / MANIFEST}: model format {manifest.get('format_version')!r}, "
                         f"this storyfilter reads format {FORMAT_VERSION}")
    for name in (WEIGHTS, CONFIG):
        if name not in manifest["files"]:
            raise ModelError(f"{directory / MANIFEST}: manifest does not list {name}")
    for name, info in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise ModelError(f"{path}: file listed in the manifest is missing")
        expected = info.get("sha256") if isinstance(info, dict) else None
        if sha256_file(path) != expected:
            raise ModelError(f"{path}: sha256 does not match the manifest (corrupt or modified file)")
    return manifest


def load_model_dir(directory: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any]]:
    """Verify and read a model directory: ``(arrays, config, manifest)``."""
    directory = Path(directory)
    manifest = verify_model_dir(directory)
    try:
        with np.load(directory / WEIGHTS, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as err:  # numpy raises many kinds on a damaged archive
        raise ModelError(f"{directory / WEIGHTS}: cannot read weights ({err})") from None
    try:
        config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{directory / CONFIG}: cannot read model config ({err})") from None
    return arrays, config, manifest
