"""``storyfilter train --feedback DB_URL``: the reviewed pages of a feedback store, as training input.

Lives with the store (serving may use training, not the other way round), so the
training code itself needs no database library.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifier.errors import TrainingDataError
from training.readers import LabelledPage

from .store import STORY, FeedbackStore, database_url, redacted


def feedback_pages(db_url: str | Path) -> list[LabelledPage]:
    """Every reviewed page of the store, labels by block position (corrections win over the model's).

    Raises :class:`TrainingDataError` when the store cannot be read (bad URL, missing driver, no database).
    """
    import sqlalchemy.exc

    url = database_url(db_url)
    where = redacted(url)
    sqlite_file = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None
    if sqlite_file and sqlite_file != ":memory:" and not Path(sqlite_file).is_file():
        # Opening would create (and migrate) an empty database at a mistyped path.
        raise TrainingDataError("no such feedback database", sqlite_file)
    try:
        store = FeedbackStore.open(db_url)
    except (sqlalchemy.exc.SQLAlchemyError, ImportError, OSError) as err:
        raise TrainingDataError(f"cannot open the feedback store ({type(err).__name__}: {err})".splitlines()[0],
                                where) from None
    try:
        return [LabelledPage(id=p.summary.id, texts=[b.text for b in p.blocks],
                             labels=[int(b.label == STORY) for b in p.blocks],
                             html=p.content if p.summary.mode == "html" else None, url=p.summary.url,
                             source=f"feedback:{p.summary.id}")
                for p in store.reviewed_pages()]
    except sqlalchemy.exc.SQLAlchemyError as err:
        raise TrainingDataError(f"cannot read the feedback store ({type(err).__name__})", where) from None
    finally:
        store.close()


def retrain_from_store(sources: Sequence[str | Path], db_url: str | Path, output: str | Path,
                       **kwargs: Any) -> dict[str, Any]:
    """Train on ``sources`` merged with the store's reviewed pages (see ``training.feedback.train_with_feedback``)."""
    from training.feedback import train_with_feedback

    return train_with_feedback(sources, feedback_pages(db_url), output, **kwargs)
