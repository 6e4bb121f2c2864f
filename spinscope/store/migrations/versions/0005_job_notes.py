"""The notes on how each article of a job was read ("decoded as cp1252"), kept with it so that
its analysis carries them as an article analysed at once does.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_items") as batch:
        batch.add_column(sa.Column("notes", sa.Text, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("job_items") as batch:
        batch.drop_column("notes")
