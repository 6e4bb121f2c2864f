"""Whether a finding is uncertain (its calibrated score under the confidence its model card
states, `spinscope.ml.calibration`): rates and label filters leave such findings out unless
asked. Findings stored before are not uncertain (no layer marked any).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "findings", sa.Column("uncertain", sa.Boolean, nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place, keeping the table's triggers.
    op.execute("ALTER TABLE findings DROP COLUMN uncertain")
