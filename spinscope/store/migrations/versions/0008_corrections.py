"""Reviewers' corrections (`corrections`), kept apart from the analyses, and what a reviewer
decided about each finding and whether the model agrees (`findings.review`,
`findings.model_agrees`). Findings stored before were not reviewed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("findings", sa.Column("review", sa.String(20), nullable=True))
    op.add_column("findings", sa.Column("model_agrees", sa.Boolean, nullable=True))
    op.create_table(
        "corrections",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "article_pk",
            sa.Integer,
            sa.ForeignKey("articles.pk", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("finding", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("spinscope_version", sa.String(50), nullable=False),
        sa.Column("model", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in ("article_pk", "kind", "reviewer", "created_at"):
        op.create_index(f"ix_corrections_{column}", "corrections", [column])


def downgrade() -> None:
    op.drop_table("corrections")
    op.execute("ALTER TABLE findings DROP COLUMN review")
    op.execute("ALTER TABLE findings DROP COLUMN model_agrees")
