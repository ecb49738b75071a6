"""What the feedback store holds, as plain records; no database library needed to import them.

The routes and views use these, so the service starts (and ``/review`` loads) on an
install without SQLAlchemy; only the store itself (:mod:`.store`) needs it.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DB_ENV = "STORYFILTER_FEEDBACK_DB"
STORY, BOILERPLATE = "story", "boilerplate"


class PageNotFound(LookupError):
    """No stored page has this id."""


class SavedMeanwhile(Exception):
    """Another reviewer saved the page after this one opened it: saving now would undo their labels."""


@dataclass(frozen=True)
class NewBlock:
    position: int
    text: str
    kind: str
    path: str | None
    score: float


@dataclass(frozen=True)
class NewPage:
    mode: str
    content: str
    site: str
    model_name: str
    model_version: str
    threshold: float
    blocks: Sequence[NewBlock]
    url: str | None = None
    ref: str | None = None


@dataclass(frozen=True)
class StoredBlock:
    position: int
    text: str
    kind: str
    path: str | None
    score: float
    model_label: str
    reviewer_label: str | None

    @property
    def label(self) -> str:
        """The reviewer's label if there is one: corrections win."""
        return self.reviewer_label or self.model_label

    @property
    def corrected(self) -> bool:
        return self.reviewer_label is not None and self.reviewer_label != self.model_label


@dataclass(frozen=True)
class PageSummary:
    id: str
    ref: str | None
    url: str | None
    site: str
    mode: str
    model_name: str
    model_version: str
    threshold: float
    n_blocks: int
    created: float
    reviewed: float | None
    labelled: int = 0
    corrected: int = 0


@dataclass(frozen=True)
class StoredPage:
    summary: PageSummary
    content: str
    blocks: list[StoredBlock] = field(default_factory=list)


@dataclass(frozen=True)
class QueueItem:
    page_id: str
    ref: str | None
    url: str | None
    position: int
    text: str
    kind: str
    path: str | None
    score: float
    threshold: float

    @property
    def margin(self) -> float:
        return abs(self.score - self.threshold)


def label_name(value: int | None) -> str | None:
    return None if value is None else (STORY if value else BOILERPLATE)


def label_value(label: str) -> int:
    if label == STORY:
        return 1
    if label == BOILERPLATE:
        return 0
    raise ValueError(f"label must be {STORY!r} or {BOILERPLATE!r}, got {label!r}")


def default_db_url() -> str:
    """``STORYFILTER_FEEDBACK_DB`` (a URL or a file path), else ``feedback.sqlite3`` in the user's data folder."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return database_url(configured)
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return database_url(base / "storyfilter" / "feedback.sqlite3")


def database_url(value: str | Path) -> str:
    """A SQLAlchemy URL from a URL or a plain file path (which means SQLite)."""
    text = str(value)
    if "://" in text:
        return text
    return "sqlite:///" + str(Path(text).expanduser().resolve())


def redacted(url: str) -> str:
    """The URL without its password, for logs and model cards."""
    try:
        import sqlalchemy as sa

        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only ever shown to people
        return "(database URL)"
