"""Optional extras the tests need: skipped where they are missing, a failure in CI.

Someone running the tests without an extra (say, no ``[review]``) sees those tests
skipped. In CI (``CI`` set, as CI services and ``.ci/run`` do) every extra is installed,
so one that does not import is a broken install: the run fails instead of passing quietly.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(module: str, extra: str = "test") -> ModuleType:
    """Import ``module``, or skip (fail, in CI) the calling test or test module."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        message = f"{module} does not import (the [{extra}] extra): {err}"
        if in_ci():
            pytest.fail(f"in CI every extra must import: {message}", pytrace=False)
        pytest.skip(message, allow_module_level=True)
