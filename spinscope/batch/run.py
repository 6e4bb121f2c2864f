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

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spinscope.batch.chunks import Chunk, Done, Output
from spinscope.batch.folder import ChunkDir, output_format
from spinscope.batch.inputs import count_records, input_files
from spinscope.batch.records import (
    DEFAULT_OPTIONS,
    BatchOptions,
    Event,
    Record,
    Result,
    Skipped,
    records,
)
from spinscope.errors import InputError
from spinscope.ingest.base import Loaded
from spinscope.llm import RefineReport, RefineTotals
from spinscope.pipeline import analyze_many


@dataclass
class Summary:
    """The counts of a run; `read == analysed + skipped + failed` at every moment. `llm` adds
    up what the LLM's refinement cost and gave, with `--llm` (the local engine's)."""

    total: int | None = None  # the records expected, when known before reading
    read: int = 0
    analysed: int = 0
    skipped: int = 0
    failed: int = 0
    chunks: int = 0
    llm: RefineTotals | None = None

    def line(self) -> str:
        return (
            f"{self.read} read: {self.analysed} analysed, {self.skipped} skipped (done before), "
            f"{self.failed} failed"
        )


Progress = Callable[[Summary], None]


def is_database(out: str) -> bool:
    """Whether `--out` names a database (`sqlite:///…`, `postgresql://…`), not a folder."""
    return "://" in out


def open_output(out: str, layers: tuple[str, ...], llm: str | None = None) -> Output:
    """The output `--out` names: the workbench's store for a database URL (`sqlite:///PATH`,
    `postgresql://…`), else a folder (Parquet, or JSONL when it ends in `.jsonl`). `llm` is the
    model that refines the analyses, if one does: the results depend on it."""
    if is_database(out):
        from spinscope.batch.store_output import StoreOutput

        return StoreOutput(out, layers, llm)
    return ChunkDir(Path(out), output_format(out), layers, llm)


def _local_events(
    files: list[str],
    options: BatchOptions,
    done: Done,
    on_refined: Callable[[RefineReport], None] | None = None,
) -> Iterator[Event]:
    """The local engine: `analyze_many`'s process pool, in input order. The events between two
    articles travel with the second (the pool reads ahead), so the order is kept."""
    trailing: list[Event] = []

    def articles() -> Iterator[tuple[Loaded, tuple[Record, tuple[Event, ...]]]]:
        before: list[Event] = []
        for source in files:
            for item in records(source, options, done):
                if isinstance(item, Record):
                    yield Loaded(item.article, item.notes), (item, tuple(before))
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
        llm=options.llm,
        on_refined=None if on_refined is None else lambda report, _: on_refined(report),
    )
    for outcome, (record, before) in analysed:
        yield from before
        yield Result(outcome, record.where)
    yield from trailing


def _events(
    files: list[str],
    options: BatchOptions,
    done: Done,
    on_refined: Callable[[RefineReport], None] | None,
) -> Iterator[Event]:
    if options.engine == "ray":
        from spinscope.batch.ray_engine import ray_events

        return ray_events(files, options, done)
    return _local_events(files, options, done, on_refined)


def run_batch(
    inputs: list[str],
    out: str | Output,
    options: BatchOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
    on_error: Callable[[str, str], None] | None = None,
) -> Summary:
    """Analyse every record of `inputs` (files and folders) into `out` (a folder: Parquet, or
    JSONL when its name ends in `.jsonl`), skipping what an earlier run committed there.
    `on_error(where, reason)` hears of each bad record as it goes to the errors."""
    output = open_output(out, options.layers, options.llm_model) if isinstance(out, str) else out
    files = list(input_files(inputs))
    summary = Summary(total=count_records(files))
    if options.llm is not None:
        summary.llm = RefineTotals(options.llm.model)
    seen: dict[str, str] = {}  # article id -> where it was read in this run
    chunk = Chunk()

    def add_error(where: str, article_id: str | None, stage: str, reason: str) -> None:
        summary.failed += 1
        chunk.errors.append(
            {"where": where, "article_id": article_id, "stage": stage, "reason": reason}
        )
        if on_error is not None:
            on_error(where, reason)

    try:
        totals = summary.llm
        on_refined = None if totals is None else totals.add
        for event in _events(files, options, output.done(), on_refined):
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
