"""Migration scripts, one per schema version (Alembic skips this file)."""
