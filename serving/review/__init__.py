"""The review page and the feedback loop: see what the filter keeps, correct it, retrain.

``install_review(app, holder, settings)`` adds ``/review`` and ``/v1/review/*`` to the
scoring app. The feedback database is ``settings.feedback_db`` (``--feedback-db``,
``STORYFILTER_FEEDBACK_DB``), else a SQLite file in the user's data folder; it is
opened (and migrated) on first use. Needs the ``review`` extra
(SQLAlchemy, Alembic) only when a feedback endpoint is called.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..settings import Settings


def install_review(app: "FastAPI", holder: Any, settings: "Settings") -> None:
    """Add the review routes to ``app``; ``holder.require()`` gives the live model."""
    from .router import StoreHandle, review_router
    from .records import database_url, default_db_url

    configured = settings.feedback_db
    handle = StoreHandle(database_url(configured) if configured else default_db_url())
    app.state.review_store = handle
    app.include_router(review_router(holder.require, settings, handle))


__all__ = ["install_review"]
