"""Hot reload of the model: load the new one off to the side, then swap one reference.

Every request reads the holder once, at its start, and keeps that ``StoryFilter``
to the end, so a swap never touches a request in flight. A model that fails to
load (a file missing, corrupt, or not matching its manifest's sha256) is refused
and the old one keeps serving.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from pydantic import BaseModel, ConfigDict, Field

from classifier.api import StoryFilter

from .settings import Settings

log = logging.getLogger("storyfilter.serving")

Loader = Callable[[Settings], StoryFilter]
Handler = Callable[[int, FrameType | None], object] | int | None


class ReloadRequest(BaseModel):
    """Body of ``POST /v1/admin/reload``; an empty body reloads the configured model directory."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"model_dir": "/srv/models/v2"}]})

    model_dir: Path | None = Field(None, description="Model directory to load; default: the configured one.")


class ReloadRefused(Exception):
    """The new model did not load; the old one still serves. The message says why."""


def describe(model: StoryFilter) -> str:
    """``name version`` of each mode, for the logs."""
    return ", ".join(f"{m.name} {m.version}" for m in model.models.values())


def load_from(loader: Loader, settings: Settings, model_dir: Path | None) -> StoryFilter:
    """The model of ``model_dir`` (the configured one if None), with the service's other settings."""
    if model_dir is None:
        return loader(settings)
    return loader(settings.model_copy(update={"model_dir": model_dir}))


def install_reload_signal(signum: int | None, reload: Callable[[], None]) -> Callable[[], None]:
    """Make signal ``signum`` run ``reload`` in a thread of its own; returns the undo.

    Only the main thread may install signal handlers (in-process test clients run the
    lifespan elsewhere), and only where the signal exists (None: it does not). The load
    runs in a thread so the event loop keeps answering while the new model loads.
    """
    if signum is None or threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=reload, name="storyfilter-model-reload", daemon=True).start()

    previous: Handler = signal.signal(signum, on_signal)
    return lambda: signal.signal(signum, previous)  # type: ignore[arg-type]
