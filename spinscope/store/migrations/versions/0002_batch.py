"""Batch runs into the store: the commit record of each chunk, and the bad records.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "batch_chunks",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model_version", sa.String(100), nullable=False, index=True),
        sa.Column("spinscope_version", sa.String(50), nullable=False),
        sa.Column("layers", sa.Text, nullable=False),
        sa.Column("articles", sa.Text, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_table(
        "batch_errors",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "chunk_pk",
            sa.Integer,
            sa.ForeignKey("batch_chunks.pk", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("where", sa.Text, nullable=False),
        sa.Column("article_id", sa.Text),  # no limit: an id too long for articles.id
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("model_version", sa.String(100), nullable=False, index=True),
        sa.Column("created_at", _TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("batch_errors")
    op.drop_table("batch_chunks")
