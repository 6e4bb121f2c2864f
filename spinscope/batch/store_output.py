"""A batch output into the workbench's store (`--out sqlite:///PATH`, `--out postgresql://…`).

The same guarantees as the folders of `spinscope.batch.output`, by the database's transactions
instead of renames: each chunk is ONE transaction that saves its analyses (with the store's own
`save` logic: an article already stored, by id or else by text, is updated, never added twice),
adds its commit record (a `batch_chunks` row: the model version, the article ids) and its bad
records (`batch_errors` rows: where, article_id, stage, reason, model version). A run killed at
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

from sqlalchemy import select
from sqlalchemy.orm import Session

from spinscope import __version__
from spinscope.batch.output import Chunk, Done, model_version
from spinscope.store import Store
from spinscope.store.models import BatchChunkRow, BatchErrorRow


class StoreOutput:
    """Chunks committed into a store's database (see the module doc)."""

    def __init__(self, db: str, layers: tuple[str, ...]) -> None:
        self.layers = layers
        self.model_version = model_version(layers)
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

        self.store.save_all([analysis for analysis, _ in chunk.analyses], self.layers, record)

    def close(self) -> None:
        self.store.close()
