"""A batch run: read the inputs, skip what is done, analyse the rest, commit it in chunks.

Every record read is counted once as analysed, skipped (done in an earlier run with the same
model version, or an article id already seen in this run) or failed (it could not be read or
analysed; it goes to the errors with where it was read and why), so the counts always add up:
`read == analysed + skipped + failed`.

Chunks are made of consecutive records that are not skipped, in input order, so an interrupted
run and its rerun cut the same chunks as one uninterrupted run, and write the same files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from spinscope.batch.inputs import count_records, input_files
from spinscope.batch.output import Chunk, Output, open_output
from spinscope.document import Analysis, Article
from spinscope.errors import InputError, SpinscopeError
from spinscope.ingest import IngestOptions, Loaded, read
from spinscope.ingest.base import DEFAULTS
from spinscope.layers import resolve
from spinscope.pipeline import DEFAULT_LAYERS, analyze_many

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
    """

    layers: tuple[str, ...] = DEFAULT_LAYERS
    workers: int = 1
    chunk_size: int = CHUNK_SIZE
    english_only: bool = True
    ingest: IngestOptions = DEFAULTS
    name_fields: str | None = None
    engine: Engine = "local"
    ray_address: str | None = None

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be 1 or more, not {self.workers}")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be 1 or more, not {self.chunk_size}")
        resolve(self.layers)  # unknown layers fail here, before anything is read
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


@dataclass(frozen=True)
class _Context:
    """What travels with an article through the engine: where it was read, how, and the read
    errors that came just before it in the input (kept in input order)."""

    where: str
    notes: tuple[str, ...]
    before: tuple[InputError, ...] = ()


@dataclass
class _Reader:
    """The articles to analyse, in input order; counts what it skips."""

    files: list[str]
    options: BatchOptions
    done_ids: frozenset[str]
    done_wheres: frozenset[str]
    summary: Summary
    trailing: list[InputError] = field(default_factory=list)

    def __post_init__(self) -> None:
        pattern = self.options.name_fields
        self.pattern = re.compile(pattern) if pattern is not None else None

    def __iter__(self) -> Iterator[tuple[Article, _Context]]:
        seen: set[str] = set()
        before: list[InputError] = []
        for source in self.files:
            for item in read(source, self.options.ingest):
                if isinstance(item, InputError):
                    if item.source in self.done_wheres:
                        self.summary.read += 1
                        self.summary.skipped += 1
                    else:
                        before.append(item)  # counted when it is written, in order
                    continue
                article = item.article
                if self.pattern is not None and item.where is None:
                    article = _fields_from_name(article, source, self.pattern)
                if article.id in self.done_ids or article.id in seen:
                    self.summary.read += 1
                    self.summary.skipped += 1
                    continue
                seen.add(article.id)
                yield article, _Context(_where(source, item), item.notes, tuple(before))
                before = []
        self.trailing.extend(before)


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


def _where(source: str, item: Loaded) -> str:
    return item.where or source


Progress = Callable[[Summary], None]
Analyzer = Callable[
    [Iterable[tuple[Article, _Context]]], Iterator[tuple[Analysis | InputError, _Context]]
]


def _local_engine(options: BatchOptions) -> Analyzer:
    def analyze(
        items: Iterable[tuple[Article, _Context]],
    ) -> Iterator[tuple[Analysis | InputError, _Context]]:
        return analyze_many(
            items,
            layers=options.layers,
            workers=options.workers,
            english_only=options.english_only,
        )

    return analyze


def _engine(options: BatchOptions) -> Analyzer:
    if options.engine == "ray":
        raise SpinscopeError("the ray engine is not built yet; use --engine local")
    return _local_engine(options)


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
    done = output.done()
    reader = _Reader(files, options, done.ids, done.wheres, summary)
    chunk = Chunk()

    def add_error(where: str, article_id: str | None, stage: str, reason: str) -> None:
        summary.read += 1
        summary.failed += 1
        chunk.errors.append(
            {"where": where, "article_id": article_id, "stage": stage, "reason": reason}
        )
        full()

    def full() -> None:
        nonlocal chunk
        if len(chunk) >= options.chunk_size:
            output.commit(chunk)
            summary.chunks += 1
            chunk = Chunk()
        if progress is not None:
            progress(summary)

    try:
        for result, context in _engine(options)(reader):
            for error in context.before:
                add_error(error.source, None, "read", error.reason)
            if isinstance(result, InputError):
                add_error(context.where, result.source, "analyse", result.reason)
                continue
            if context.notes:  # how the input was read ("decoded as cp1252") travels with it
                warnings = [*context.notes, *result.warnings]
                result = result.model_copy(update={"warnings": warnings})
            summary.read += 1
            summary.analysed += 1
            chunk.analyses.append((result, context.where))
            full()
        for error in reader.trailing:
            add_error(error.source, None, "read", error.reason)
        if len(chunk):
            output.commit(chunk)
            summary.chunks += 1
    finally:
        output.close()
    if progress is not None:
        progress(summary)
    return summary
