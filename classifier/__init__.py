"""storyfilter: keep the story of a web page, drop the clutter around it.

>>> from classifier import load_model
>>> model = load_model()
>>> model.filter_html("<html><body><p>...</p></body></html>").story_text  # doctest: +SKIP
"""
from __future__ import annotations

__version__ = "0.1.0"

from .api import LoadedModel, StoryFilter, detect_mode, load_model  # noqa: E402
from .blocks import Block  # noqa: E402
from .errors import InputError, ModelError, StoryFilterError, TrainingDataError  # noqa: E402
from .limits import Limits  # noqa: E402
from .result import FilterResult, ScoredBlock  # noqa: E402

__all__ = ["Block", "FilterResult", "InputError", "Limits", "LoadedModel", "ModelError", "ScoredBlock",
           "StoryFilter", "StoryFilterError", "TrainingDataError", "detect_mode", "load_model", "__version__"]
