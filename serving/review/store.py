"""The feedback store: pages sent for review, their blocks, and the labels reviewers gave them.

SQLAlchemy Core over SQLite by default (one file), or any URL SQLAlchemy knows
(``postgresql+psycopg://...`` for a team). The schema is Alembic's: the
migration scripts live in ``migrations/`` beside this file and run when the
store opens, inside one write transaction, so several processes opening the same
database migrate one after the other.

Durability: every change is one transaction. SQLite runs in WAL mode with
``synchronous=FULL`` and a busy timeout; writers take the write lock at ``BEGIN``
(``BEGIN IMMEDIATE``), so two writers queue instead of failing half-way, and a
process killed mid-write leaves the last committed state and nothing half-written.

A block's label is the reviewer's when there is one, else the model's (score at
or above the page's threshold): corrections win.
"""
from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .records import (BOILERPLATE, DB_ENV, STORY, NewBlock, NewPage, PageNotFound, PageSummary, QueueItem,
                      SavedMeanwhile, StoredBlock, StoredPage, database_url, default_db_url, label_name, label_value, redacted)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_S = 30.0

metadata = sa.MetaData()
pages_table = sa.Table(
    "review_pages", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("ref", sa.String(2048), nullable=True),  # the caller's page id, if any
    sa.Column("url", sa.String(8192), nullable=True),
    sa.Column("site", sa.String(255), nullable=False),  # grouping for cross-validation
    sa.Column("mode", sa.String(8), nullable=False),
    sa.Column("content", sa.Text(), nullable=False),  # the page as sent: HTML or text
    sa.Column("model_name", sa.String(255), nullable=False),
    sa.Column("model_version", sa.String(255), nullable=False),
    sa.Column("threshold", sa.Float(), nullable=False),
    sa.Column("n_blocks", sa.Integer(), nullable=False),
    sa.Column("created", sa.Float(), nullable=False),
    sa.Column("reviewed", sa.Float(), nullable=True),  # last time a reviewer saved labels
    sa.Index("ix_review_pages_created", "created"),
)
blocks_table = sa.Table(
    "review_blocks", metadata,
    sa.Column("page_id", sa.String(32), sa.ForeignKey("review_pages.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer(), primary_key=True),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("path", sa.Text(), nullable=True),
    sa.Column("score", sa.Float(), nullable=False),  # the model's P(story) when the page was stored
    sa.Column("label", sa.SmallInteger(), nullable=True),  # the reviewer's: 1 story, 0 boilerplate
    sa.Column("labelled", sa.Float(), nullable=True),
    sa.Index("ix_review_blocks_label", "label"),
)

__all__ = ["BOILERPLATE", "DB_ENV", "STORY", "FeedbackStore", "NewBlock", "NewPage", "PageNotFound", "PageSummary",
           "QueueItem", "StoredBlock", "StoredPage", "blocks_table", "database_url", "default_db_url", "label_value",
           "metadata", "pages_table", "redacted"]


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL, retrying while another process holds it.

    WAL is a property of the file, so a second opener usually finds it set. On a fresh
    file two openers race for it, and SQLite answers the loser's ``journal_mode`` change
    with "database is locked" at once, without waiting on the busy timeout: this waits.
    """
    give_up = time.monotonic() + BUSY_TIMEOUT_S
    pause = 0.005
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) and "busy" not in str(err) or time.monotonic() > give_up:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


def _sqlite_engine(url: sa.URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (pysqlite's own is too late)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        # Writers take the lock up front: no deadlock between two readers turning writers.
        write = conn.get_execution_options().get("storyfilter_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class FeedbackStore:
    """Pages and labels in one database; every method is one transaction."""

    def __init__(self, url: str | Path) -> None:
        self.url = database_url(url)
        parsed = sa.make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.engine = _sqlite_engine(parsed) if self.is_sqlite else sa.create_engine(parsed, pool_pre_ping=True)
        self._writer = self.engine.execution_options(storyfilter_write=True)

    @classmethod
    def open(cls, url: str | Path) -> "FeedbackStore":
        """Connect and bring the schema to the latest version."""
        store = cls(url)
        store.migrate()
        return store

    def close(self) -> None:
        self.engine.dispose()

    # ----- schema ---------------------------------------------------------------------
    def migrate(self) -> None:
        """``alembic upgrade head`` on this database, in one transaction (idempotent)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._writer.begin() as conn:
            if conn.dialect.name == "postgresql":  # one migrating process at a time
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7207441)")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def schema_version(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn, opts={"version_table": "storyfilter_schema_version"}) \
                .get_current_revision()

    # ----- writes ---------------------------------------------------------------------
    def add_page(self, page: NewPage) -> str:
        """Store a scored page and its blocks; returns the new page id."""
        page_id = uuid.uuid4().hex
        now = time.time()
        with self._writer.begin() as conn:
            conn.execute(pages_table.insert().values(
                id=page_id, ref=page.ref, url=page.url, site=page.site, mode=page.mode, content=page.content,
                model_name=page.model_name, model_version=page.model_version, threshold=page.threshold,
                n_blocks=len(page.blocks), created=now, reviewed=None))
            if page.blocks:
                conn.execute(blocks_table.insert(), [
                    {"page_id": page_id, "position": b.position, "text": b.text, "kind": b.kind, "path": b.path,
                     "score": float(b.score), "label": None, "labelled": None} for b in page.blocks])
        return page_id

    def save_labels(self, page_id: str, labels: dict[int, str], if_unchanged_since: float | None = None) -> int:
        """Set the reviewer's label of blocks by position and mark the page reviewed; returns blocks changed.

        ``if_unchanged_since``: the page's ``reviewed`` time when the reviewer opened it (0 if
        never); a later save in between raises :class:`SavedMeanwhile` and nothing is written.
        Raises :class:`PageNotFound`, or ``ValueError`` for a position the page does not have.
        """
        values = {int(p): label_value(v) for p, v in labels.items()}
        now = time.time()
        with self._writer.begin() as conn:
            row = conn.execute(sa.select(pages_table.c.n_blocks, pages_table.c.reviewed)
                               .where(pages_table.c.id == page_id)).first()
            if row is None:
                raise PageNotFound(page_id)
            n_blocks, reviewed = row
            if if_unchanged_since is not None and (reviewed or 0) > if_unchanged_since:
                raise SavedMeanwhile(page_id)
            bad = [p for p in values if not 0 <= p < n_blocks]
            if bad:
                raise ValueError(f"page {page_id} has {n_blocks} blocks; no position {bad[0]}")
            changed = 0
            for position, value in values.items():
                changed += conn.execute(
                    blocks_table.update()
                    .where(blocks_table.c.page_id == page_id, blocks_table.c.position == position)
                    .values(label=value, labelled=now)).rowcount
            conn.execute(pages_table.update().where(pages_table.c.id == page_id).values(reviewed=now))
        return changed

    def delete_page(self, page_id: str) -> None:
        """Forget a page and its labels; raises :class:`PageNotFound`."""
        with self._writer.begin() as conn:
            conn.execute(blocks_table.delete().where(blocks_table.c.page_id == page_id))
            if conn.execute(pages_table.delete().where(pages_table.c.id == page_id)).rowcount == 0:
                raise PageNotFound(page_id)

    # ----- reads ----------------------------------------------------------------------
    def _summaries(self, conn: Connection, where: sa.ColumnElement[bool] | None = None,
                   limit: int | None = None, offset: int = 0) -> list[PageSummary]:
        p, b = pages_table, blocks_table
        model_label = sa.case((b.c.score >= p.c.threshold, 1), else_=0)
        counts = (sa.select(b.c.page_id,
                            sa.func.count(b.c.label).label("labelled"),
                            sa.func.sum(sa.case((sa.and_(b.c.label.is_not(None), b.c.label != model_label), 1),
                                                else_=0)).label("corrected"))
                  .select_from(b.join(p, p.c.id == b.c.page_id)).group_by(b.c.page_id).subquery())
        query = (sa.select(p.c.id, p.c.ref, p.c.url, p.c.site, p.c.mode, p.c.model_name, p.c.model_version,
                           p.c.threshold, p.c.n_blocks, p.c.created, p.c.reviewed,
                           sa.func.coalesce(counts.c.labelled, 0), sa.func.coalesce(counts.c.corrected, 0))
                 .select_from(p.outerjoin(counts, counts.c.page_id == p.c.id))
                 .order_by(p.c.created.desc(), p.c.id).offset(offset))
        if where is not None:
            query = query.where(where)
        if limit is not None:
            query = query.limit(limit)
        return [PageSummary(*row) for row in conn.execute(query)]

    def pages(self, limit: int = 100, offset: int = 0) -> list[PageSummary]:
        """Stored pages, newest first."""
        with self.engine.connect() as conn:
            return self._summaries(conn, limit=limit, offset=offset)

    def count_pages(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(pages_table)).scalar() or 0)

    def page(self, page_id: str) -> StoredPage:
        """A page with every block in order; raises :class:`PageNotFound`."""
        with self.engine.begin() as conn:  # one snapshot for the page and its blocks
            found = self._summaries(conn, pages_table.c.id == page_id)
            if not found:
                raise PageNotFound(page_id)
            content = conn.execute(sa.select(pages_table.c.content).where(pages_table.c.id == page_id)).scalar()
            return StoredPage(found[0], content or "", self._blocks(conn, page_id, found[0].threshold))

    def _blocks(self, conn: Connection, page_id: str, threshold: float) -> list[StoredBlock]:
        b = blocks_table
        rows = conn.execute(sa.select(b.c.position, b.c.text, b.c.kind, b.c.path, b.c.score, b.c.label)
                            .where(b.c.page_id == page_id).order_by(b.c.position))
        return [StoredBlock(pos, text, kind, path, score, STORY if score >= threshold else BOILERPLATE,
                            label_name(label)) for pos, text, kind, path, score, label in rows]

    def reviewed_ids(self) -> list[str]:
        """Ids of the pages a reviewer saved, oldest first."""
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(pages_table.c.id).where(pages_table.c.reviewed.is_not(None))
                                     .order_by(pages_table.c.created, pages_table.c.id)).scalars())

    def reviewed_pages(self, ids: Sequence[str] | None = None) -> Iterator[StoredPage]:
        """Every page a reviewer saved (or those of ``ids``), with its blocks, each read in one snapshot."""
        for page_id in self.reviewed_ids() if ids is None else ids:
            try:
                yield self.page(page_id)
            except PageNotFound:  # deleted meanwhile
                continue

    def queue(self, limit: int = 20) -> list[QueueItem]:
        """Blocks no reviewer labelled yet, the ones the model was least sure of first (score nearest the
        page's threshold): an hour of review spent there fixes the most."""
        p, b = pages_table, blocks_table
        margin = sa.func.abs(b.c.score - p.c.threshold)
        query = (sa.select(b.c.page_id, p.c.ref, p.c.url, b.c.position, b.c.text, b.c.kind, b.c.path, b.c.score,
                           p.c.threshold)
                 .select_from(b.join(p, p.c.id == b.c.page_id)).where(b.c.label.is_(None))
                 .order_by(margin, p.c.created.desc(), b.c.page_id, b.c.position).limit(limit))
        with self.engine.connect() as conn:
            return [QueueItem(*row) for row in conn.execute(query)]
