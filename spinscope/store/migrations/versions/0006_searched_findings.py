"""The findings a search looks in are those whose layer declares a search
(`spinscope.layers.Search`), marked when they are saved (`findings.searched`), instead of the
quotes only, named in the full-text index's definition.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: The one layer searched before this revision.
_SEARCHED_BEFORE = "quotes"


def upgrade() -> None:
    op.add_column(
        "findings", sa.Column("searched", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.execute(f"UPDATE findings SET searched = (layer = '{_SEARCHED_BEFORE}')")
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_search("searched")
    else:
        _drop_sqlite_triggers()
        _sqlite_triggers("new.searched", "old.searched")


def downgrade() -> None:
    condition = f"layer = '{_SEARCHED_BEFORE}'"
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_search(condition)
        op.drop_column("findings", "searched")
        return
    # The index held the quotes only; dropping a column copies the table on SQLite, which
    # loses its triggers: they are made again after.
    op.execute(
        f"DELETE FROM findings_fts WHERE rowid IN (SELECT pk FROM findings WHERE NOT ({condition}))"
    )
    _drop_sqlite_triggers()
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("searched")
    _sqlite_triggers(f"new.{condition}", f"old.{condition}")


def _postgresql_search(condition: str) -> None:
    """The generated tsvector column of the findings, for those that meet `condition`, with
    its GIN index (dropped with the column it indexes)."""
    op.execute("ALTER TABLE findings DROP COLUMN search")
    op.execute(
        "ALTER TABLE findings ADD COLUMN search tsvector GENERATED ALWAYS AS (CASE WHEN "
        f"{condition} THEN setweight(to_tsvector('english', coalesce(label, '')), 'A') || "
        "setweight(to_tsvector('english', text), 'B') END) STORED"
    )
    op.execute("CREATE INDEX ix_findings_search ON findings USING GIN (search)")


def _drop_sqlite_triggers() -> None:
    op.execute("DROP TRIGGER findings_fts_insert")
    op.execute("DROP TRIGGER findings_fts_delete")


def _sqlite_triggers(inserted: str, deleted: str) -> None:
    """The triggers that keep the FTS5 table of the findings up to date, for the inserted and
    deleted rows that meet their conditions."""
    op.execute(
        f"CREATE TRIGGER findings_fts_insert AFTER INSERT ON findings WHEN {inserted} "
        "BEGIN INSERT INTO findings_fts(rowid, label, text) "
        "VALUES (new.pk, coalesce(new.label, ''), new.text); END"
    )
    op.execute(
        f"CREATE TRIGGER findings_fts_delete AFTER DELETE ON findings WHEN {deleted} "
        "BEGIN DELETE FROM findings_fts WHERE rowid = old.pk; END"
    )
