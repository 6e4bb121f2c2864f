"""The initial store: articles, analyses, findings, and full-text search.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _finding(name: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "analysis_pk",
            sa.Integer,
            sa.ForeignKey("analyses.pk", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "article_pk",
            sa.Integer,
            sa.ForeignKey("articles.pk", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("idx", sa.Integer, nullable=False),
        *columns,
    )


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(200), nullable=False, unique=True),
        sa.Column("text_hash", sa.String(64), nullable=False, index=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("outlet", sa.String(300), index=True),
        sa.Column("published", sa.String(100)),
        sa.Column("published_date", sa.Date, index=True),
        sa.Column("author", sa.Text),
        sa.Column("language", sa.String(20)),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_table(
        "analyses",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "article_pk",
            sa.Integer,
            sa.ForeignKey("articles.pk", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("spinscope_version", sa.String(50), nullable=False),
        sa.Column("schema_version", sa.String(20), nullable=False),
        sa.Column("layers", sa.Text, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False, index=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.UniqueConstraint("article_pk", "spinscope_version"),
    )
    _finding(
        "quotes",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("speaker", sa.Text, nullable=False, index=True),
        sa.Column("verb", sa.Text),
        sa.Column("cue_class", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("score", sa.Float),
    )
    _finding(
        "claims",
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("source_kind", sa.String(20), nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("score", sa.Float),
    )
    _finding(
        "techniques",
        sa.Column("technique", sa.String(100), nullable=False, index=True),
        sa.Column("group", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("score", sa.Float),
    )
    _finding(
        "entities",
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(20)),
        sa.Column("fine_roles", sa.Text, nullable=False),
        sa.Column("mentions", sa.Integer, nullable=False),
        sa.Column("score", sa.Float),
    )
    _finding(
        "narratives",
        sa.Column("narrative", sa.Text, nullable=False, index=True),
        sa.Column("subnarratives", sa.Text, nullable=False),
        sa.Column("score", sa.Float),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_search()
    else:
        _sqlite_search()


def _postgresql_search() -> None:
    """tsvector columns the database keeps up to date, with GIN indexes."""
    op.execute(
        "ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english', title), 'A') || "
        "setweight(to_tsvector('english', text), 'B')) STORED"
    )
    op.execute("CREATE INDEX ix_articles_search ON articles USING GIN (search)")
    op.execute(
        "ALTER TABLE quotes ADD COLUMN search tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english', speaker), 'A') || "
        "setweight(to_tsvector('english', text), 'B')) STORED"
    )
    op.execute("CREATE INDEX ix_quotes_search ON quotes USING GIN (search)")


def _sqlite_search() -> None:
    """FTS5 tables keyed by the rowid of their table, kept up to date by triggers."""
    for table, columns in (("articles", ("title", "text")), ("quotes", ("speaker", "text"))):
        names = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {table}_fts USING fts5({names}, tokenize='porter unicode61')"
        )
        op.execute(
            f"CREATE TRIGGER {table}_fts_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {table}_fts(rowid, {names}) VALUES (new.pk, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_fts_delete AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM {table}_fts WHERE rowid = old.pk; END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_fts_update AFTER UPDATE OF {names} ON {table} BEGIN "
            f"DELETE FROM {table}_fts WHERE rowid = old.pk; "
            f"INSERT INTO {table}_fts(rowid, {names}) VALUES (new.pk, {new}); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in ("articles", "quotes"):
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    for table in ("narratives", "entities", "techniques", "claims", "quotes", "analyses"):
        op.drop_table(table)
    op.drop_table("articles")
