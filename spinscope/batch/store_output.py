"""A batch output into the workbench's store (`--out sqlite:///PATH`, `--out postgresql://…`).

The same guarantees as the folders of `spinscope.batch.folder`, by the database's transactions
instead of renames: each chunk is ONE transaction that saves its analyses (with the store's own
`save` logic: an article already stored, by id or else by text, is updated, never added twice),
adds its commit record (a `batch_chunks` row: the model version, the article ids) and its bad
records (`batch_errors` rows: where, article_id, stage, reason, model version; besides the
stages read and analyse, `store` for an article with a field longer than its column, which
`refuse` finds before the commit, so one such record never fails a chunk). A run killed at
any moment leaves whole chunks only: the transaction of an unfinished one never commits.
`done()` reads the commit records and errors of the current model version, so the same command
run again skips what is done and writes nothing twice.

Another model version (another spinscope release, other layers, a retrained model) is not done:
its rerun analyses everything again, and the store keeps each spinscope version's analysis
beside the others (the same version's is replaced: with other layers, the newest run's wins).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import String, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from spinscope.batch.chunks import Chunk, Done, model_version
from spinscope.document import Analysis
from spinscope.errors import StoreError
from spinscope.store import Store
from spinscope.store.models import ArticleRow, BatchChunkRow, BatchErrorRow
from spinscope.version import __version__

#: The article fields the store keeps in columns of a limited length, with that length.
_LIMITS = {
    name: column.type.length
    for name, column in ArticleRow.__table__.columns.items()
    if isinstance(column.type, String) and column.type.length and name != "text_hash"
}


class StoreOutput:
    """Chunks committed into a store's database (see the module doc)."""

    def __init__(self, db: str, layers: tuple[str, ...], llm: str | None = None) -> None:
        self.layers = layers
        self.model_version = model_version(layers, llm)
        self.store = Store(db)  # opening it runs the migrations (0002 makes the batch tables)

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self.store.url

    def done(self) -> Done:
        ids: set[str] = set()
        wheres: set[str] = set()
        current = self.model_version
        with Session(self.store.engine) as session:
            for articles in session.scalars(
                select(BatchChunkRow.articles).where(BatchChunkRow.model_version == current)
            ):
                ids.update(json.loads(articles))
            for article_id, where in session.execute(
                select(BatchErrorRow.article_id, BatchErrorRow.where).where(
                    BatchErrorRow.model_version == current
                )
            ):
                if article_id is None:
                    wheres.add(where)
                else:
                    ids.add(article_id)
        return Done(frozenset(ids), frozenset(wheres))

    def refuse(self, analysis: Analysis) -> str | None:
        """A field longer than its column (PostgreSQL enforces the length; SQLite does not, but
        the same record is refused on both, so that a store moves between them)."""
        for name, limit in _LIMITS.items():
            value = getattr(analysis.article, name)
            if value is not None and len(value) > limit:
                return f"its {name} is {len(value):,} characters long, over the store's {limit}"
        return None

    def commit(self, chunk: Chunk) -> None:
        now = datetime.now(UTC)
        ids = [analysis.article.id for analysis, _ in chunk.analyses]  # before the store's match

        def record(session: Session) -> None:
            row = BatchChunkRow(
                model_version=self.model_version,
                spinscope_version=__version__,
                layers=",".join(self.layers),
                articles=json.dumps(ids, ensure_ascii=False),
                created_at=now,
            )
            session.add(row)
            session.flush()  # its pk, for the errors
            session.add_all(
                BatchErrorRow(
                    chunk_pk=row.pk,
                    where=error["where"],
                    article_id=error["article_id"],
                    stage=error["stage"],
                    reason=error["reason"],
                    model_version=self.model_version,
                    created_at=now,
                )
                for error in chunk.errors
            )

        try:
            self.store.save_all([analysis for analysis, _ in chunk.analyses], self.layers, record)
        except SQLAlchemyError as exc:  # the chunk's transaction rolled back: nothing of it kept
            reason = str(getattr(exc, "orig", None) or exc).strip()  # the driver's, without SQL
            raise StoreError(
                f"cannot commit a chunk to {self.url} (nothing of it was kept; the same command "
                f"run again goes on from there): {reason}"
            ) from exc

    def close(self) -> None:
        self.store.close()
