"""Alembic environment: always runs on the connection the store hands over (never from a config file).

The store opens the connection inside its own write transaction, so two processes
starting at once migrate one after the other and the second finds nothing to do.
"""
from __future__ import annotations

from alembic import context

VERSION_TABLE = "storyfilter_schema_version"  # not "alembic_version": a team database may have its own

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
