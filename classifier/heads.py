"""Optional heads of a model directory: the page-type model and the comment model.

A head is fitted after the block model and added to its directory as
``<name>.npz`` (arrays) and ``<name>.json`` (config), both listed and hashed in
the manifest like every other file (:func:`classifier.artifacts.add_model_files`).
A directory without a head loads as before; the result then has no page type or
no comment role.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .artifacts import MANIFEST, add_model_files
from .comment_role import CommentModel
from .errors import ModelError
from .page_type import PageTypeModel

#: Head name -> the class that reads it.
HEADS: dict[str, type] = {"page_type": PageTypeModel, "comments": CommentModel}


@dataclass(frozen=True)
class Heads:
    """The heads a model directory carries (None where it has none)."""

    page_type: PageTypeModel | None = None
    comments: CommentModel | None = None


def save_head(directory: str | Path, name: str, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> None:
    """Add head ``name`` (``page_type`` or ``comments``) to a saved model directory."""
    if name not in HEADS:
        raise ValueError(f"unknown head {name!r}; expected one of {sorted(HEADS)}")
    HEADS[name].from_state(arrays, config)  # never write a head that would not load
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    add_model_files(directory, {f"{name}.npz": buffer.getvalue(),
                                f"{name}.json": json.dumps(config, ensure_ascii=False).encode("utf-8")})


def load_heads(directory: str | Path, manifest: dict[str, Any]) -> Heads:
    """The heads listed in a verified manifest; ModelError naming the file that does not load.

    The files were checked against the manifest's digests when the model was verified.
    """
    directory = Path(directory)
    found: dict[str, Any] = {}
    for name, cls in HEADS.items():
        weights, config = f"{name}.npz", f"{name}.json"
        listed = [f for f in (weights, config) if f in manifest.get("files", {})]
        if not listed:
            continue
        if len(listed) != 2:
            raise ModelError(f"{directory / MANIFEST}: lists {listed[0]} without its pair")
        try:
            with np.load(directory / weights, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except Exception as err:  # numpy raises many kinds on a damaged archive
            raise ModelError(f"{directory / weights}: cannot read the {name} head ({err})") from None
        try:
            state = json.loads((directory / config).read_text(encoding="utf-8"))
            found[name] = cls.from_state(arrays, state)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError, TypeError, KeyError) as err:
            raise ModelError(f"{directory / config}: the {name} head does not load ({err})") from None
    return Heads(**found)
