"""Which code trained a model: the git commit of this checkout, for the manifest and card.

A model's figures hold for the features of the code that fitted it; the commit says
which. Outside a git checkout (an installed package) there is none to give.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The folders whose code decides what a model learns and how it is measured.
CODE_PATHS = ("classifier", "training")


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def code_revision() -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the checkout the training code runs from, else None.

    ``dirty``: the model code (``classifier/``, ``training/``) had uncommitted changes, so
    the commit alone does not reproduce it.
    """
    commit = _git("rev-parse", "--verify", "HEAD")
    if not commit:
        return None
    status = _git("status", "--porcelain", "--", *CODE_PATHS)
    return {"commit": commit, "dirty": bool(status)}
