"""One findings table for every layer: the rows of `spinscope.tables`, in place of one table per
layer (quotes, claims, techniques, entities, narratives), so that the store keeps the findings of
any registered layer with the meaning the Parquet tables and the CSV exports give them.

The findings of the stored analyses are moved over: each old row becomes a finding with its
label, words, offsets and score, and a row of the columns it had (those the old tables did not
keep, such as a claim's hedges, come back when the article is analysed again).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: How many rows are moved per statement.
_BATCH = 1000

Row = dict[str, Any]


def _quote(r: Row) -> Row:
    return {
        "label": r["speaker"] or None,
        "text": r["text"],
        "data": {
            "kind": r["kind"],
            "start": r["start"],
            "end": r["end"],
            "content": r["text"],
            "attributed_to": r["speaker"] or None,
            "cue": r["verb"],
            "cue_class": r["cue_class"],
            "score": r["score"],
        },
    }


def _claim(r: Row) -> Row:
    keys = ("start", "end", "text", "source_kind", "source", "score")
    return {"label": r["source_kind"], "text": r["text"], "data": {k: r[k] for k in keys}}


def _technique(r: Row) -> Row:
    keys = ("technique", "group", "start", "end", "text", "score")
    return {"label": r["technique"], "text": r["text"], "data": {k: r[k] for k in keys}}


def _entity(r: Row) -> Row:
    fine = [f for f in (r["fine_roles"] or "").split(",") if f]
    data = {"name": r["name"], "mentions": r["mentions"], "role": r["role"], "fine_roles": fine}
    return {"label": r["role"], "text": r["name"], "data": {**data, "role_score": r["score"]}}


def _narrative(r: Row) -> Row:
    subs = [s for s in (r["subnarratives"] or "").split("\n") if s]
    data = {"narrative": r["narrative"], "subnarratives": subs, "score": r["score"]}
    return {"label": r["narrative"], "text": "", "data": data}


#: Each old table, and how one of its rows becomes a finding.
_OLD: dict[str, Callable[[Row], Row]] = {
    "quotes": _quote,
    "claims": _claim,
    "techniques": _technique,
    "entities": _entity,
    "narratives": _narrative,
}


def _keys() -> list[sa.Column[Any]]:
    """The columns that tie a finding to its analysis and article."""
    return [
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
    ]


def upgrade() -> None:
    bind = op.get_bind()
    findings = op.create_table(
        "findings",
        *_keys(),
        sa.Column("layer", sa.String(100), nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("label", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("start", sa.Integer),
        sa.Column("end", sa.Integer),
        sa.Column("score", sa.Float),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_findings_layer_label", "findings", ["layer", "label"])
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        _postgresql_search()
    else:
        _sqlite_search()
    for table, convert in _OLD.items():
        for rows in _batches(bind, table):
            op.bulk_insert(findings, [_finding(table, row, convert(row)) for row in rows])
    if not postgresql:
        op.execute("DROP TABLE quotes_fts")
    for table in _OLD:
        op.drop_table(table)


def _finding(table: str, old: Row, new: Row) -> Row:
    return {
        "analysis_pk": old["analysis_pk"],
        "article_pk": old["article_pk"],
        "layer": table,
        "idx": old["idx"],
        "label": new["label"],
        "text": new["text"],
        "start": old.get("start"),
        "end": old.get("end"),
        "score": old["score"],
        "data": json.dumps(new["data"], ensure_ascii=False),
    }


def _batches(bind: sa.Connection, table: str) -> Iterator[list[Row]]:
    last = 0
    while True:
        rows = [
            dict(r._mapping)
            for r in bind.execute(
                sa.text(f"SELECT * FROM {table} WHERE pk > :last ORDER BY pk LIMIT {_BATCH}"),
                {"last": last},
            )
        ]
        if not rows:
            return
        yield rows
        last = rows[-1]["pk"]


def _postgresql_search() -> None:
    """A tsvector column the database keeps up to date for the quotes (speaker and words),
    the findings a search looks in, with a GIN index."""
    op.execute(
        "ALTER TABLE findings ADD COLUMN search tsvector GENERATED ALWAYS AS (CASE WHEN "
        "layer = 'quotes' THEN setweight(to_tsvector('english', coalesce(label, '')), 'A') || "
        "setweight(to_tsvector('english', text), 'B') END) STORED"
    )
    op.execute("CREATE INDEX ix_findings_search ON findings USING GIN (search)")


def _sqlite_search() -> None:
    """An FTS5 table of the quotes (speaker and words), keyed by the rowid of their finding,
    kept up to date by triggers."""
    op.execute(
        "CREATE VIRTUAL TABLE findings_fts USING fts5(label, text, tokenize='porter unicode61')"
    )
    op.execute(
        "CREATE TRIGGER findings_fts_insert AFTER INSERT ON findings WHEN new.layer = 'quotes' "
        "BEGIN INSERT INTO findings_fts(rowid, label, text) "
        "VALUES (new.pk, coalesce(new.label, ''), new.text); END"
    )
    op.execute(
        "CREATE TRIGGER findings_fts_delete AFTER DELETE ON findings WHEN old.layer = 'quotes' "
        "BEGIN DELETE FROM findings_fts WHERE rowid = old.pk; END"
    )


def downgrade() -> None:
    """Back to one table per layer, each with the columns 0001 gave it, from the findings'
    rows; the findings of other layers are dropped."""
    bind = op.get_bind()
    shapes: dict[str, list[sa.Column[Any]]] = {
        "quotes": [
            sa.Column("kind", sa.String(20), nullable=False),
            sa.Column("speaker", sa.Text, nullable=False, index=True),
            sa.Column("verb", sa.Text),
            sa.Column("cue_class", sa.String(20), nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("start", sa.Integer, nullable=False),
            sa.Column("end", sa.Integer, nullable=False),
            sa.Column("score", sa.Float),
        ],
        "claims": [
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("start", sa.Integer, nullable=False),
            sa.Column("end", sa.Integer, nullable=False),
            sa.Column("source_kind", sa.String(20), nullable=False),
            sa.Column("source", sa.Text),
            sa.Column("score", sa.Float),
        ],
        "techniques": [
            sa.Column("technique", sa.String(100), nullable=False, index=True),
            sa.Column("group", sa.String(100), nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("start", sa.Integer, nullable=False),
            sa.Column("end", sa.Integer, nullable=False),
            sa.Column("score", sa.Float),
        ],
        "entities": [
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("role", sa.String(20)),
            sa.Column("fine_roles", sa.Text, nullable=False),
            sa.Column("mentions", sa.Integer, nullable=False),
            sa.Column("score", sa.Float),
        ],
        "narratives": [
            sa.Column("narrative", sa.Text, nullable=False, index=True),
            sa.Column("subnarratives", sa.Text, nullable=False),
            sa.Column("score", sa.Float),
        ],
    }
    made = {
        name: op.create_table(
            name, *_keys(), sa.Column("idx", sa.Integer, nullable=False), *columns
        )
        for name, columns in shapes.items()
    }
    for name, table in made.items():
        rows = bind.execute(
            sa.text("SELECT * FROM findings WHERE layer = :layer ORDER BY pk"), {"layer": name}
        )
        op.bulk_insert(table, [_old(name, dict(r._mapping)) for r in rows])
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE findings_fts")
        op.execute(
            "CREATE VIRTUAL TABLE quotes_fts USING fts5(speaker, text, tokenize='porter unicode61')"
        )
        op.execute(
            "INSERT INTO quotes_fts(rowid, speaker, text) SELECT pk, speaker, text FROM quotes"
        )
        for event, body in (
            (
                "INSERT",
                "INSERT INTO quotes_fts(rowid, speaker, text) "
                "VALUES (new.pk, new.speaker, new.text)",
            ),
            ("DELETE", "DELETE FROM quotes_fts WHERE rowid = old.pk"),
        ):
            op.execute(
                f"CREATE TRIGGER quotes_fts_{event.lower()} AFTER {event} ON quotes "
                f"BEGIN {body}; END"
            )
        op.execute(
            "CREATE TRIGGER quotes_fts_update AFTER UPDATE OF speaker, text ON quotes BEGIN "
            "DELETE FROM quotes_fts WHERE rowid = old.pk; INSERT INTO quotes_fts(rowid, speaker, "
            "text) VALUES (new.pk, new.speaker, new.text); END"
        )
    else:
        op.execute(
            "ALTER TABLE quotes ADD COLUMN search tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', speaker), 'A') || "
            "setweight(to_tsvector('english', text), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_quotes_search ON quotes USING GIN (search)")
    op.drop_table("findings")


def _old(table: str, finding: Row) -> Row:
    data = json.loads(finding["data"])
    row: Row = {k: finding[k] for k in ("analysis_pk", "article_pk", "idx")}
    if table == "quotes":
        row.update(
            kind=data["kind"],
            speaker=finding["label"] or "",
            verb=data.get("cue"),
            cue_class=data["cue_class"],
            text=finding["text"],
            start=finding["start"],
            end=finding["end"],
            score=finding["score"],
        )
    elif table == "claims":
        row.update(
            text=finding["text"],
            start=finding["start"],
            end=finding["end"],
            source_kind=data["source_kind"],
            source=data.get("source"),
            score=finding["score"],
        )
    elif table == "techniques":
        row.update(
            technique=data["technique"],
            group=data["group"],
            text=finding["text"],
            start=finding["start"],
            end=finding["end"],
            score=finding["score"],
        )
    elif table == "entities":
        row.update(
            name=data["name"],
            role=data.get("role"),
            fine_roles=",".join(data.get("fine_roles") or []),
            mentions=data["mentions"],
            score=finding["score"],
        )
    else:
        row.update(
            narrative=data["narrative"],
            subnarratives="\n".join(data.get("subnarratives") or []),
            score=finding["score"],
        )
    return row
