"""Save and load model directories: weights, manifest with hashes and versions, model card.

A model directory holds ``model.npz`` (numeric arrays, loaded with
``allow_pickle=False``), ``model.json`` (parameters and vocabularies),
``manifest.json`` (sha256 of every file, library versions, training data summary,
metrics) and ``MODEL_CARD.md``. No file is pickled, so loading a model cannot run
code. Writing goes to a temporary directory first and is renamed into place, so a
crash never leaves half a model.

Integrity, checked on every load:

* each file against the sha256 the manifest lists for it;
* the manifest itself against its seal, ``manifest_sha256``: the digest of its other
  fields (threshold, post-filter threshold, mode, params, file list...), so an edited
  threshold is refused. A seal catches edits made by hand; anyone can recompute it, so
* a model is *pinned* by one digest, the sha256 of its ``manifest.json`` (which names
  the sha256 of every other file): :func:`model_digest`. The shipped models' digests
  are pinned in :mod:`classifier.shipped_models` and checked whenever they load; pin
  your own with ``load_model(path, expected_sha256=...)``.

After retraining the shipped models, pin them again (a test fails until then)::

    python -m classifier.artifacts pin artifacts/html artifacts/text

``python -m classifier.artifacts digest DIR...`` prints the digest of model directories.
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import platform
import secrets
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SEAL = "manifest_sha256"  # the manifest's own field: sha256 of its other fields
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


def manifest_seal(manifest: dict[str, Any]) -> str:
    """sha256 of a manifest's fields other than the seal, as canonical JSON."""
    body = {key: value for key, value in manifest.items() if key != SEAL}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def model_digest(directory: str | Path) -> str:
    """The digest that pins a model directory: sha256 of its ``manifest.json``."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise ModelError(f"{path}: missing manifest; not a storyfilter model directory")
    return sha256_file(path)


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on, recorded in the manifest.

    Read from the installed distributions' metadata, not by importing them: every load
    checks them, and scoring must not import scikit-learn or scipy.
    """
    from . import __version__
    versions = {"storyfilter": __version__, "python": platform.python_version(), "numpy": np.__version__}
    for name in ("scipy", "scikit-learn", "selectolax"):
        versions[name] = distribution_version(name)
    return versions


@functools.lru_cache(maxsize=None)
def distribution_version(name: str) -> str:
    """An installed distribution's version from its metadata (read once per process)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _make_sibling_dir(target: Path, tag: str) -> Path:
    """A new, uniquely named directory next to ``target`` (mode from the umask, not 0700)."""
    for _ in range(100):
        candidate = target.parent / f".{target.name}.{tag}-{secrets.token_hex(6)}"
        try:
            os.mkdir(candidate)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"cannot create a temporary directory next to {target}")


def save_model_dir(directory: str | Path, arrays: dict[str, np.ndarray], config: dict[str, Any],
                   manifest_extra: dict[str, Any], card: str) -> Path:
    """Write a model directory atomically; an existing directory is replaced as a whole.

    Everything is written to a hidden sibling directory first and renamed into
    place; if anything fails, the old directory (if any) is left as it was and
    no temporary directory remains.
    """
    target = Path(directory).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _make_sibling_dir(target, "tmp")
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
        manifest.pop(SEAL, None)
        manifest[SEAL] = manifest_seal(manifest)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
        for name in os.listdir(staging):
            with open(staging / name, "rb") as handle:
                os.fsync(handle.fileno())
        if target.exists():
            old = _make_sibling_dir(target, "old")
            try:
                os.replace(target, old / target.name)
            except BaseException:
                shutil.rmtree(old, ignore_errors=True)
                raise
            try:
                os.replace(staging, target)
            except BaseException:
                os.replace(old / target.name, target)  # put the old model back
                shutil.rmtree(old, ignore_errors=True)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def add_model_files(directory: str | Path, contents: dict[str, bytes]) -> dict[str, Any]:
    """Add (or replace) files of a saved model directory and reseal its manifest; returns it.

    For parts fitted after the model itself (the page-type and comment heads). The
    directory is verified first, each file is written to a temporary name and
    renamed, and the manifest goes last, so an interrupted call leaves either the old
    model or the new one listed. The model's digest changes: re-pin it.
    """
    directory = Path(directory)
    manifest = verify_model_dir(directory)
    for name in contents:
        if name in (MANIFEST, WEIGHTS, CONFIG) or Path(name).name != name:
            raise ValueError(f"cannot add {name!r} to a model directory")
    for name, data in contents.items():
        temporary = directory / f".{name}.tmp"
        temporary.write_bytes(data)
        os.replace(temporary, directory / name)
        manifest["files"][name] = {"sha256": sha256_file(directory / name), "bytes": len(data)}
    manifest.pop(SEAL, None)
    manifest[SEAL] = manifest_seal(manifest)
    temporary = directory / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, directory / MANIFEST)
    return manifest


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


def _check_fields(manifest: dict[str, Any], path: Path) -> None:
    """The manifest fields a loader relies on have the right types (the manifest itself has no hash)."""
    threshold = manifest.get("threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise ModelError(f"{path}: threshold must be a number within [0, 1], got {threshold!r}")
    for key in ("mode", "name", "version"):
        if key in manifest and not isinstance(manifest[key], str):
            raise ModelError(f"{path}: {key} must be a string, got {manifest[key]!r}")
    if not isinstance(manifest.get("libraries", {}), dict):
        raise ModelError(f"{path}: libraries must be a table of versions")
    for name, info in manifest["files"].items():
        if not isinstance(name, str) or name in ("", ".", "..") or Path(name).name != name:
            raise ModelError(f"{path}: {name!r} is not a plain file name")
        if not isinstance(info, dict) or not isinstance(info.get("sha256"), str):
            raise ModelError(f"{path}: no sha256 for {name}")


def _major_minor(version: object, parts: int) -> tuple[str, ...]:
    return tuple(str(version).split("+")[0].split(".")[:parts])


def version_warnings(manifest: dict[str, Any]) -> list[str]:
    """Differences between the library versions a model was saved with and the running ones.

    The weights are plain arrays and the feature names are checked on load, so a
    difference is reported, not refused: storyfilter by major.minor, numpy and
    scikit-learn by major version.
    """
    saved = manifest.get("libraries") or {}
    from . import __version__
    current = {"storyfilter": __version__, "numpy": np.__version__,
               "scikit-learn": distribution_version("scikit-learn")}
    notes = []
    for name, parts in (("storyfilter", 2), ("numpy", 1), ("scikit-learn", 1)):
        if name in saved and _major_minor(saved[name], parts) != _major_minor(current[name], parts):
            notes.append(f"{name} {saved[name]} (running {current[name]})")
    return notes


def verify_model_dir(directory: str | Path, expected_sha256: str | None = None) -> dict[str, Any]:
    """Check the format version, the manifest's fields and seal, every file against the
    manifest's sha256 and, if given, the model against its pinned digest; return the manifest."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    path = directory / MANIFEST
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: model format {manifest.get('format_version')!r}, "
                         f"this storyfilter reads format {FORMAT_VERSION}")
    _check_fields(manifest, path)
    _check_seal(manifest, path, pinned=expected_sha256 is not None)
    if expected_sha256 is not None:
        digest = sha256_file(path)
        if digest != expected_sha256.strip().lower():
            raise ModelError(f"{path}: sha256 {digest} is not the pinned {expected_sha256} "
                             "(this model differs from the one pinned)")
    for name in (WEIGHTS, CONFIG):
        if name not in manifest["files"]:
            raise ModelError(f"{directory / MANIFEST}: manifest does not list {name}")
    for name, info in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise ModelError(f"{path}: file listed in the manifest is missing")
        if sha256_file(path) != info["sha256"]:
            raise ModelError(f"{path}: sha256 does not match the manifest (corrupt or modified file)")
    notes = version_warnings(manifest)
    if notes:
        warnings.warn(f"{directory / MANIFEST}: model saved with {', '.join(notes)}; "
                      "check its scores before relying on them", RuntimeWarning, stacklevel=3)
    return manifest


def _check_seal(manifest: dict[str, Any], path: Path, pinned: bool) -> None:
    """The manifest's fields are the ones it was saved with (a model saved before seals
    existed loads with a warning, unless it is pinned)."""
    seal = manifest.get(SEAL)
    if seal is None:
        if not pinned:
            warnings.warn(f"{path}: no {SEAL} (saved by an older storyfilter): its threshold and other fields "
                          "are not verified; save the model again, or pin it (load_model(expected_sha256=...))",
                          RuntimeWarning, stacklevel=4)
        return
    if seal != manifest_seal(manifest):
        raise ModelError(f"{path}: edited after the model was saved (its fields, threshold included, no longer "
                         f"match {SEAL})")


def load_model_dir(directory: str | Path, expected_sha256: str | None = None,
                   ) -> tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any]]:
    """Verify and read a model directory: ``(arrays, config, manifest)``; see :func:`verify_model_dir`."""
    directory = Path(directory)
    manifest = verify_model_dir(directory, expected_sha256)
    try:
        with np.load(directory / WEIGHTS, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as err:  # numpy raises many kinds on a damaged archive
        raise ModelError(f"{directory / WEIGHTS}: cannot read weights ({err})") from None
    try:
        config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{directory / CONFIG}: cannot read model config ({err})") from None
    if not isinstance(config, dict) or not isinstance(config.get("params"), dict):
        raise ModelError(f"{directory / CONFIG}: model config is not an object with \"params\"")
    return arrays, config, manifest


# ----- pins of the shipped models -------------------------------------------------------------
PINS_MODULE = Path(__file__).with_name("shipped_models.py")


def write_pins(directories: list[str | Path], target: Path = PINS_MODULE) -> dict[str, str]:
    """Verify each model directory and write their digests, by mode, as the shipped pins."""
    pins: dict[str, str] = {}
    for directory in directories:
        manifest = verify_model_dir(directory, model_digest(directory))  # files checked; the pin covers the rest
        mode = manifest.get("mode", "html")
        if mode in pins:
            raise ModelError(f"{directory}: a second {mode} model; pin one model per mode")
        pins[mode] = model_digest(directory)
    lines = [f"    {mode!r}: {digest!r}," for mode, digest in sorted(pins.items())]
    target.write_text(
        '"""sha256 of the shipped models\' manifest.json, by mode (each manifest lists the sha256 of\n'
        "its model's other files): a shipped model that does not match is refused.\n\n"
        "Written by ``python -m classifier.artifacts pin artifacts/html artifacts/text``; run it\n"
        'after retraining the shipped models."""\n'
        "SHIPPED_SHA256 = {\n" + "\n".join(lines) + "\n}\n", encoding="utf-8")
    return pins


def main(argv: list[str] | None = None) -> int:
    """``python -m classifier.artifacts pin DIR...`` or ``digest DIR...``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m classifier.artifacts",
                                     description="Digests of model directories, and the shipped models' pins.")
    parser.add_argument("command", choices=("pin", "digest"),
                        help="pin: verify the directories and write them as the shipped pins; digest: print them")
    parser.add_argument("directories", nargs="+")
    args = parser.parse_args(argv)
    try:
        if args.command == "pin":
            for mode, digest in write_pins(args.directories).items():
                print(f"{mode}\t{digest}")
            print(f"wrote {PINS_MODULE}")
        else:
            for directory in args.directories:
                print(f"{model_digest(directory)}\t{directory}")
    except ModelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
