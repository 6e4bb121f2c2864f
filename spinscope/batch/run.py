"""A batch run: read the inputs, skip what is done, analyse the rest, commit it in chunks.

Every record read is counted once as analysed, skipped (done in an earlier run with the same
model version) or failed (it could not be read or analysed, its article id repeats one read
before in the run, or the output cannot hold it, as a field too long for a column of the
store; it goes to the errors with where it was read and why), so the counts always add up:
`read == analysed + skipped + failed`.

Chunks are made of consecutive records that are not skipped, in input order, so an interrupted
run and its rerun cut the same chunks as one uninterrupted run, and write the same files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from spinscope.batch.inputs import count_records, input_files
from spinscope.batch.output import Chunk, Done, Output, open_output
from spinscope.document import Analysis, Article
from spinscope.errors import InputError, require
from spinscope.ingest import IngestOptions, read
from spinscope.ingest.base import DEFAULTS
from spinscope.layers import resolve
from spinscope.pipeline import DEFAULT_LAYERS, MAX_SECONDS, analyze_many

Engine = Literal["local", "ray"]

#: The article fields `BatchOptions.name_fields` may fill.
NAME_FIELDS = ("outlet", "published", "author", "title", "language", "url")

#: Records per committed chunk, by default: at most this much work is redone after a kill.
CHUNK_SIZE = 256


@dataclass(frozen=True)
class BatchOptions:
    r"""How a batch run goes. The defaults here are the only place they are declared.

    layers -- the layers run (their requirements are added).
    workers -- worker processes (local engine) or actors (Ray), each with one pipeline.
    chunk_size -- records per committed chunk.
    english_only -- a text that does not look English is a bad record (else: analysed, with
                    a warning in its analysis).
    ingest -- how inputs are read (size cap, column mapping).
    name_fields -- a regular expression whose named groups (outlet, published, author, title,
                   language, url) fill those fields of a one-article file from its name (the
                   stem), where the file did not give them; e.g. for `nyt_2016-05-03_slug.txt`:
                   `(?P<outlet>[^_]+)_(?P<published>\d{4}-\d{2}-\d{2})_`.
    engine -- `local` (a process pool) or `ray` (Ray Data, the `ray` extra).
    ray_address -- the Ray cluster to join (None: start a local Ray runtime).
    max_seconds -- the time budget of one article's analysis: one that runs past it is a bad
                   record (see `Pipeline`); None for none.
    """

    layers: tuple[str, ...] = DEFAULT_LAYERS
    workers: int = 1
    chunk_size: int = CHUNK_SIZE
    english_only: bool = True
    ingest: IngestOptions = DEFAULTS
    name_fields: str | None = None
    engine: Engine = "local"
    ray_address: str | None = None
    max_seconds: float | None = MAX_SECONDS

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be 1 or more, not {self.workers}")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be 1 or more, not {self.chunk_size}")
        if self.max_seconds is not None and self.max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive, not {self.max_seconds}")
        resolve(self.layers)  # unknown layers fail here, before anything is read
        if self.engine == "ray":
            require("ray", "--engine ray", "ray")
        if self.name_fields is not None:
            try:
                groups = set(re.compile(self.name_fields).groupindex)
            except re.error as exc:
                raise ValueError(f"name_fields is not a regular expression: {exc}") from None
            unknown = sorted(groups - set(NAME_FIELDS))
            if unknown or not groups:
                raise ValueError(
                    f"name_fields must name groups among {', '.join(NAME_FIELDS)}"
                    + (f", not {', '.join(unknown)}" if unknown else "")
                )


@dataclass
class Summary:
    """The counts of a run; `read == analysed + skipped + failed` at every moment."""

    total: int | None = None  # the records expected, when known before reading
    read: int = 0
    analysed: int = 0
    skipped: int = 0
    failed: int = 0
    chunks: int = 0

    def line(self) -> str:
        return (
            f"{self.read} read: {self.analysed} analysed, {self.skipped} skipped (done before), "
            f"{self.failed} failed"
        )


class Skipped:
    """A record done in an earlier run (its article id, or its location for a bad record)."""


SKIPPED = Skipped()


@dataclass(frozen=True)
class Result:
    """An article's analysis, or why it failed, with where it was read and how."""

    outcome: Analysis | InputError
    where: str
    notes: tuple[str, ...] = ()


#: What an engine yields for each record, in input order.
Event = Skipped | InputError | Result
Progress = Callable[[Summary], None]


@dataclass(frozen=True)
class Record:
    """An article read and not done yet, with where it was read and how."""

    article: Article
    where: str
    notes: tuple[str, ...]


def records(source: str, options: BatchOptions, done: Done) -> Iterator[Record | Event]:
    """The records of one input, in order: the articles to analyse, read errors, and what an
    earlier run did (`SKIPPED`). Both engines read through this."""
    pattern = re.compile(options.name_fields) if options.name_fields is not None else None
    for item in read(source, options.ingest):
        if isinstance(item, InputError):
            yield SKIPPED if item.source in done.wheres else item
            continue
        article = item.article
        if pattern is not None and item.where is None:
            article = _fields_from_name(article, source, pattern)
        if article.id in done.ids:
            yield SKIPPED
        else:
            yield Record(article, item.where or source, item.notes)


def _fields_from_name(article: Article, source: str, pattern: re.Pattern[str]) -> Article:
    match = pattern.search(Path(source).stem)
    if match is None:
        return article
    found = {
        name: value
        for name, value in match.groupdict().items()
        if value and not getattr(article, name)
    }
    return article.model_copy(update=found) if found else article


def _local_events(files: list[str], options: BatchOptions, done: Done) -> Iterator[Event]:
    """The local engine: `analyze_many`'s process pool, in input order. The events between two
    articles travel with the second (the pool reads ahead), so the order is kept."""
    trailing: list[Event] = []

    def articles() -> Iterator[tuple[Article, tuple[Record, tuple[Event, ...]]]]:
        before: list[Event] = []
        for source in files:
            for item in records(source, options, done):
                if isinstance(item, Record):
                    yield item.article, (item, tuple(before))
                    before = []
                else:
                    before.append(item)
        trailing.extend(before)

    analysed = analyze_many(
        articles(),
        layers=options.layers,
        workers=options.workers,
        english_only=options.english_only,
        max_seconds=options.max_seconds,
    )
    for outcome, (record, before) in analysed:
        yield from before
        yield Result(outcome, record.where, record.notes)
    yield from trailing


def _events(files: list[str], options: BatchOptions, done: Done) -> Iterator[Event]:
    if options.engine == "ray":
        from spinscope.batch.ray_engine import ray_events

        return ray_events(files, options, done)
    return _local_events(files, options, done)


def run_batch(
    inputs: list[str],
    out: str | Output,
    options: BatchOptions = BatchOptions(),
    progress: Progress | None = None,
) -> Summary:
    """Analyse every record of `inputs` (files and folders) into `out` (a folder: Parquet, or
    JSONL when its name ends in `.jsonl`), skipping what an earlier run committed there."""
    output = open_output(out, options.layers) if isinstance(out, str) else out
    files = list(input_files(inputs))
    summary = Summary(total=count_records(files))
    seen: dict[str, str] = {}  # article id -> where it was read in this run
    chunk = Chunk()

    def add_error(where: str, article_id: str | None, stage: str, reason: str) -> None:
        summary.failed += 1
        chunk.errors.append(
            {"where": where, "article_id": article_id, "stage": stage, "reason": reason}
        )

    try:
        for event in _events(files, options, output.done()):
            summary.read += 1
            if isinstance(event, Skipped):
                summary.skipped += 1
            elif isinstance(event, InputError):
                add_error(event.source, None, "read", event.reason)
            else:
                outcome = event.outcome
                article_id = (
                    outcome.source if isinstance(outcome, InputError) else outcome.article.id
                )
                if article_id in seen:
                    reason = f"repeats the article id {article_id!r} of {seen[article_id]}"
                    add_error(event.where, article_id, "read", reason)
                elif isinstance(outcome, InputError):
                    seen[article_id] = event.where
                    add_error(event.where, article_id, "analyse", outcome.reason)
                elif (refused := output.refuse(outcome)) is not None:
                    seen[article_id] = event.where
                    add_error(event.where, article_id, "store", refused)
                else:
                    seen[article_id] = event.where
                    if event.notes:  # how the input was read ("decoded as cp1252") goes along
                        warnings = [*event.notes, *outcome.warnings]
                        outcome = outcome.model_copy(update={"warnings": warnings})
                    summary.analysed += 1
                    chunk.analyses.append((outcome, event.where))
            if len(chunk) >= options.chunk_size:
                output.commit(chunk)
                summary.chunks += 1
                chunk = Chunk()
            if progress is not None:
                progress(summary)
        if len(chunk):
            output.commit(chunk)
            summary.chunks += 1
    finally:
        output.close()
    if progress is not None:
        progress(summary)
    return summary
