"""storyfilter: keep the story of a web page, drop the clutter around it.

>>> from classifier import load_model
>>> model = load_model()
>>> model.filter_html("<html><body><p>...</p></body></html>").story_text  # doctest: +SKIP

The public names below are imported on first use (PEP 562), so ``import classifier``
and its light submodules (errors, limits, result) do not pull in scikit-learn:
``storyfilter --help`` answers at once and the service's supervisor process stays small.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "LoadedModel": ".api", "StoryFilter": ".api", "detect_mode": ".api", "load_model": ".api",
    "Block": ".blocks",
    "ArgumentError": ".errors", "InputError": ".errors", "LimitError": ".errors", "ModelError": ".errors",
    "MissingExtraError": ".errors", "StoryFilterError": ".errors", "TrainingDataError": ".errors",
    "Limits": ".limits",
    "Metadata": ".metadata",
    "FilterResult": ".result", "ScoredBlock": ".result",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .api import LoadedModel, StoryFilter, detect_mode, load_model  # noqa: F401
    from .blocks import Block  # noqa: F401
    from .errors import (ArgumentError, InputError, LimitError, MissingExtraError, ModelError,  # noqa: F401
                         StoryFilterError, TrainingDataError)
    from .limits import Limits  # noqa: F401
    from .metadata import Metadata  # noqa: F401
    from .result import FilterResult, ScoredBlock  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
