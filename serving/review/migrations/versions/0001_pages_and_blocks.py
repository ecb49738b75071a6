"""Pages sent for review and their blocks, with the model's score and the reviewer's label.

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_pages",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("ref", sa.String(2048), nullable=True),
        sa.Column("url", sa.String(8192), nullable=True),
        sa.Column("site", sa.String(255), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("model_name", sa.String(255), nullable=False),
        sa.Column("model_version", sa.String(255), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("n_blocks", sa.Integer(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("reviewed", sa.Float(), nullable=True),
    )
    op.create_index("ix_review_pages_created", "review_pages", ["created"])
    op.create_table(
        "review_blocks",
        sa.Column("page_id", sa.String(32), sa.ForeignKey("review_pages.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("label", sa.SmallInteger(), nullable=True),
        sa.Column("labelled", sa.Float(), nullable=True),
    )
    op.create_index("ix_review_blocks_label", "review_blocks", ["label"])


def downgrade() -> None:
    op.drop_table("review_blocks")
    op.drop_table("review_pages")
