"""Errors storyfilter raises on purpose; each carries a message meant for the user."""
from __future__ import annotations


class StoryFilterError(Exception):
    """Base class: catch this to handle every error storyfilter raises on purpose."""


class InputError(StoryFilterError, ValueError):
    """The page cannot be read (too large, not text, ...)."""


class ArgumentError(StoryFilterError, ValueError):
    """An argument is out of its range or of the wrong type (a threshold of NaN, "0.5", 2)."""


class LimitError(InputError):
    """The page crosses a hard limit (too large, or markup the parser would blow up on): refused."""


class ModelError(StoryFilterError):
    """A model directory is missing, corrupt, tampered with or from an incompatible version."""


class TrainingDataError(StoryFilterError, ValueError):
    """A training row is broken; the message names the file and line."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(where + message)
        self.path = path
        self.line = line


class MissingExtraError(StoryFilterError, ImportError):
    """An option needs a package from one of storyfilter's extras that is not installed."""
