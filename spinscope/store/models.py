"""The store's tables (SQLAlchemy 2 declarative models).

`articles` holds each article once; `analyses` holds the full `Analysis` JSON of an article, one
row per spinscope version (the newest is `current`); `findings` holds the findings of each
analysis flattened for querying (`spinscope.tables`, the rows of Parquet and CSV too), and is
rewritten with it. Full-text search indexes are not declared here: they differ by database (FTS5
tables on SQLite, tsvector columns with GIN indexes on PostgreSQL) and are made by the
migrations.

`corrections` holds every reviewer's correction of an article's findings (`spinscope.review`),
apart from its analyses: a re-analysis replaces the findings and keeps the corrections, and the
findings rows are the analysis as reviewed.

`jobs` and `job_items` are the workbench's background jobs and their articles
(`spinscope.store.jobs`).

`batch_chunks` and `batch_errors` are what `spinscope batch --out sqlite:///…` (or
`postgresql://…`) commits beside the analyses: one row per committed chunk, and one per bad
record, in the same transaction as the chunk's analyses (see `spinscope.batch.store_output`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ArticleRow(Base):
    __tablename__ = "articles"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(200), unique=True)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    outlet: Mapped[str | None] = mapped_column(String(300), index=True)
    published: Mapped[str | None] = mapped_column(String(100))
    #: `published` read as a date where it starts with one (YYYY-MM-DD), for date filters.
    published_date: Mapped[date | None] = mapped_column(Date, index=True)
    author: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnalysisRow(Base):
    __tablename__ = "analyses"
    __table_args__ = (UniqueConstraint("article_pk", "spinscope_version"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_pk: Mapped[int] = mapped_column(
        ForeignKey("articles.pk", ondelete="CASCADE"), index=True
    )
    spinscope_version: Mapped[str] = mapped_column(String(50))
    schema_version: Mapped[str] = mapped_column(String(20))
    #: The layers that ran, comma-separated, in pipeline order.
    layers: Mapped[str] = mapped_column(Text, default="")
    #: The newest version of the article's analyses: the one filters, search and stats use.
    current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FindingRow(Base):
    """One finding of an analysis, as `spinscope.tables.indexed` gives it: its layer's table
    (`spinscope.tables.finding_tables`), its index there, the label it is grouped and
    filtered by (its table's `label` column), its words, offsets and score, and its whole row
    as JSON."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_layer_label", "layer", "label"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    analysis_pk: Mapped[int] = mapped_column(
        ForeignKey("analyses.pk", ondelete="CASCADE"), index=True
    )
    article_pk: Mapped[int] = mapped_column(ForeignKey("articles.pk", ondelete="CASCADE"))
    layer: Mapped[str] = mapped_column(String(100))
    idx: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    #: The finding's row (`spinscope.tables`), a JSON object.
    data: Mapped[str] = mapped_column(Text)
    #: Whether it is uncertain (`spinscope.ml.calibration`): left out of rates and label filters
    #: unless they ask for it.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Whether the store's search looks in it: its layer declares a search
    #: (`spinscope.layers.Search`); the full-text index holds these findings only.
    searched: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: What a reviewer decided (`spinscope.document.Review.status`), None where none did: a
    #: rejected finding counts nowhere, an accepted one counts even if uncertain.
    review: Mapped[str | None] = mapped_column(String(20))
    #: Whether the analysis's model agrees with that reviewer (`Review.model_agrees`).
    model_agrees: Mapped[bool | None] = mapped_column(Boolean)


class CorrectionRow(Base):
    """A reviewer's correction of one finding of an article, or a note on it
    (`spinscope.review.Corrected`): kept across re-analyses, deleted with the article."""

    __tablename__ = "corrections"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_pk: Mapped[int] = mapped_column(
        ForeignKey("articles.pk", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(50), index=True)
    action: Mapped[str] = mapped_column(String(20))
    #: The finding before, and after (edit, add), as JSON objects.
    finding: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(200), index=True)
    #: The spinscope version of the analysis corrected, and the finding's provenance.
    spinscope_version: Mapped[str] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class BatchChunkRow(Base):
    """A chunk committed by `spinscope batch` into the store: its analyses were saved in the
    same transaction as this row, so the row is the chunk's commit."""

    __tablename__ = "batch_chunks"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: What the results depend on (`spinscope.batch.chunks.model_version`): a rerun under
    #: another one does the work again.
    model_version: Mapped[str] = mapped_column(String(100), index=True)
    spinscope_version: Mapped[str] = mapped_column(String(50))
    #: The layers that ran, comma-separated, in pipeline order.
    layers: Mapped[str] = mapped_column(Text, default="")
    #: The ids of the articles analysed, as read (the store may keep one under the id of an
    #: article with the same text), a JSON list.
    articles: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BatchErrorRow(Base):
    """A bad record of a `spinscope batch` run into the store: where it was read and why it
    failed, committed with its chunk."""

    __tablename__ = "batch_errors"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chunk_pk: Mapped[int] = mapped_column(
        ForeignKey("batch_chunks.pk", ondelete="CASCADE"), index=True
    )
    #: `path`, `path:LINE`, `path#ROW` or `path@OFFSET` (a quoted name in SQL: "where").
    where: Mapped[str] = mapped_column(Text)
    #: None where the record could not be read as an article.
    article_id: Mapped[str | None] = mapped_column(Text)
    #: `read` or `analyse`.
    stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobRow(Base):
    """A job of the workbench (`POST /api/v1/jobs`): articles analysed in the background, in
    order. Its articles wait in `job_items`, so a restarted server goes on with it."""

    __tablename__ = "jobs"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    #: `queued`, `running`, `done`, `failed` (the analyses cannot run: a model is missing), or
    #: `cancelled` (its articles not yet analysed then were left out).
    status: Mapped[str] = mapped_column(String(20), index=True)
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    #: Why the job failed, where it did.
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobItemRow(Base):
    """One article of a job: waiting (`queued`), being analysed (`running`), finished (`done`:
    stored under `article_id`; `failed`: why in `error`), or left out by a cancel
    (`cancelled`). The article's JSON is kept until it is finished."""

    __tablename__ = "job_items"
    __table_args__ = (Index("ix_job_items_state", "state", "job_pk", "idx"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_pk: Mapped[int] = mapped_column(ForeignKey("jobs.pk", ondelete="CASCADE"), index=True)
    idx: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    article: Mapped[str] = mapped_column(Text)
    #: The id the article was given (or the stored article's, once done).
    article_id: Mapped[str] = mapped_column(Text)
    #: How the article was read ("decoded as cp1252"), a JSON list: its analysis's first warnings.
    notes: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    error: Mapped[str | None] = mapped_column(Text)
