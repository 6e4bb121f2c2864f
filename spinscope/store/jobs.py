"""`JobQueue`: the workbench's background jobs, kept in the store so that a restart loses none.

A job is a row of `jobs`, and each of its articles a row of `job_items` holding the article's
JSON until it is analysed. The workbench's job runner claims the oldest waiting article of the
oldest unfinished job (`claim`), analyses it and records the outcome (`finish`): the job's
progress and results are always what the database says, whichever process reads it. An article
claimed by a server that then died is claimed again after a restart (`requeue`): one server runs
the jobs of a database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from spinscope.document import Article
from spinscope.errors import Busy
from spinscope.store.engine import WRITE
from spinscope.store.models import JobItemRow, JobRow

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]

#: Item states that are not finished.
_OPEN = ("queued", "running")


@dataclass(frozen=True)
class Job:
    """A job as stored: its progress, the ids of the articles stored so far, the articles that
    failed (`{"id": …, "error": …}`), those being analysed, and those a cancel left out."""

    id: str
    status: JobStatus
    total: int
    done: int
    articles: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None
    #: The ids of the articles being analysed now.
    running: list[str] = field(default_factory=list)
    #: How many of its articles were left unanalysed when it was cancelled.
    cancelled: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Claimed:
    """An article of a job, claimed for analysis."""

    job_id: str
    item: int
    article: Article
    #: How the article was read, as given to `JobQueue.add`.
    notes: tuple[str, ...] = ()


class JobQueue:
    """The jobs in one store's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self.engine.execution_options(**{WRITE: True})) as session, session.begin():
            yield session

    def add(
        self,
        articles: Sequence[Article],
        limit: int,
        notes: Sequence[Sequence[str]] = (),
    ) -> Job:
        """A new job of `articles`, queued, each with its `notes` on how it was read (none when
        `notes` is shorter). `Busy` when the articles waiting in unfinished jobs would then be
        more than `limit`."""
        now = datetime.now(UTC)
        with self._write() as session:
            waiting = session.scalar(
                select(func.count()).select_from(JobItemRow).where(JobItemRow.state.in_(_OPEN))
            )
            if (waiting or 0) + len(articles) > limit:
                raise Busy(
                    f"the job queue is full: {waiting:,} articles wait in earlier jobs, and "
                    f"this server takes at most {limit:,}; send the job again later"
                )
            job = JobRow(
                id=uuid.uuid4().hex,
                status="queued",
                total=len(articles),
                done=0,
                created_at=now,
                updated_at=now,
            )
            session.add(job)
            session.flush()
            session.add_all(
                JobItemRow(
                    job_pk=job.pk,
                    idx=i,
                    state="queued",
                    article=article.model_dump_json(),
                    article_id=article.id,
                    notes=json.dumps(list(notes[i]) if i < len(notes) else []),
                )
                for i, article in enumerate(articles)
            )
            return Job(
                id=job.id,
                status="queued",
                total=len(articles),
                done=0,
                created_at=now,
                updated_at=now,
            )

    def get(self, job_id: str) -> Job | None:
        with Session(self.engine) as session:
            job = session.scalar(select(JobRow).where(JobRow.id == job_id))
            if job is None:
                return None
            items = session.execute(
                select(JobItemRow.state, JobItemRow.article_id, JobItemRow.error)
                .where(JobItemRow.job_pk == job.pk, JobItemRow.state != "queued")
                .order_by(JobItemRow.idx)
            ).all()
            return Job(
                id=job.id,
                status=job.status,  # type: ignore[arg-type]
                total=job.total,
                # counted from the items, read in one statement: the job row, read before,
                # may be older than them (PostgreSQL reads each statement's own snapshot)
                done=sum(1 for state, _, _ in items if state in ("done", "failed")),
                articles=[article_id for state, article_id, _ in items if state == "done"],
                errors=[
                    {"id": article_id, "error": error or ""}
                    for state, article_id, error in items
                    if state == "failed"
                ],
                error=job.error,
                running=[article_id for state, article_id, _ in items if state == "running"],
                cancelled=sum(1 for state, _, _ in items if state == "cancelled"),
                # Stored in UTC; SQLite gives them back without their time zone.
                created_at=job.created_at.replace(tzinfo=job.created_at.tzinfo or UTC),
                updated_at=job.updated_at.replace(tzinfo=job.updated_at.tzinfo or UTC),
            )

    def waiting(self) -> int:
        """Articles of unfinished jobs not analysed yet."""
        with Session(self.engine) as session:
            count = session.scalar(
                select(func.count()).select_from(JobItemRow).where(JobItemRow.state.in_(_OPEN))
            )
            return int(count or 0)

    def requeue(self) -> int:
        """Queue again the articles claimed but never finished (their server stopped); how
        many. Call it when a server starts, before it claims anything."""
        with self._write() as session:
            result = session.execute(
                update(JobItemRow).where(JobItemRow.state == "running").values(state="queued")
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def claim(self) -> Claimed | None:
        """The oldest waiting article of the oldest unfinished job, marked running; None when
        no article waits."""
        with self._write() as session:
            row = session.execute(
                select(JobItemRow, JobRow)
                .join(JobRow, JobRow.pk == JobItemRow.job_pk)
                .where(JobItemRow.state == "queued", JobRow.status.in_(_OPEN))
                .order_by(JobRow.pk, JobItemRow.idx)
                .limit(1)
                .with_for_update(skip_locked=True, of=JobItemRow)
            ).first()
            if row is None:
                return None
            item, job = row
            item.state = "running"
            if job.status == "queued":
                job.status = "running"
                job.updated_at = datetime.now(UTC)
            return Claimed(
                job.id,
                item.pk,
                Article.model_validate_json(item.article),
                tuple(json.loads(item.notes or "[]")),
            )

    def finish(self, claimed: Claimed, article_id: str | None, error: str | None = None) -> None:
        """Record how a claimed article ended: stored as `article_id`, or failed with `error`.
        The job is done when its last article is."""
        now = datetime.now(UTC)
        with self._write() as session:
            item = session.get(JobItemRow, claimed.item, with_for_update=True)
            if item is None or item.state not in _OPEN:
                return  # its job was deleted, or it was finished already
            item.state = "failed" if error is not None else "done"
            item.article_id = article_id or item.article_id
            item.error = error
            item.article = ""  # stored now (or failed): the queue keeps no copy
            job = session.get(JobRow, item.job_pk, with_for_update=True)
            assert job is not None
            job.done += 1
            job.updated_at = now
            if job.done >= job.total and job.status in _OPEN:
                job.status = "done"

    def cancel(self, job_id: str) -> bool:
        """Cancel an unfinished job: its articles not claimed yet are left out; the one being
        analysed is finished (or stopped by its runner). False if there is no such job; a job
        already finished stays as it ended."""
        with self._write() as session:
            job = session.scalar(select(JobRow).where(JobRow.id == job_id).with_for_update())
            if job is None:
                return False
            if job.status not in _OPEN:
                return True
            job.status = "cancelled"
            job.updated_at = datetime.now(UTC)
            session.execute(
                update(JobItemRow)
                .where(JobItemRow.job_pk == job.pk, JobItemRow.state == "queued")
                .values(state="cancelled", article="")
            )
            return True

    def fail(self, job_id: str, error: str) -> None:
        """End a job whose articles cannot be analysed at all (a model is missing)."""
        with self._write() as session:
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id)
                .values(status="failed", error=error, updated_at=datetime.now(UTC))
            )
            session.execute(
                update(JobItemRow)
                .where(
                    JobItemRow.job_pk
                    == select(JobRow.pk).where(JobRow.id == job_id).scalar_subquery(),
                    JobItemRow.state.in_(_OPEN),
                )
                .values(state="failed", error=error, article="")
            )
