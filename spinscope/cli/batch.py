"""`spinscope batch` (a corpus into Parquet, JSONL or the store, resumably) and `spinscope
report` (the corpus report of a batch output)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from spinscope.batch import BatchOptions, open_output, run_batch
from spinscope.batch import Summary as BatchSummary
from spinscope.batch.records import Engine
from spinscope.batch.run import is_database
from spinscope.cli.common import (
    ColumnsOption,
    LLMCacheOption,
    LLMKeyOption,
    LLMMaxTokensOption,
    LLMModelOption,
    LLMOption,
    LLMRetriesOption,
    LLMTimeoutOption,
    MaxSecondsOption,
    budget,
    failures,
    ingest_options,
    layer_names,
    llm_options,
    say,
)
from spinscope.errors import ExtraError, SpinscopeError, UsageError
from spinscope.ingest.base import DEFAULTS
from spinscope.pipeline import DEFAULT_LAYERS, MAX_SECONDS


@dataclass
class FirstErrors:
    """Prints the first `limit` bad records of a batch as `error:` lines (all of them are in
    its errors): a corpus of millions with a broken feed must not flood the terminal."""

    quiet: bool
    limit: int = 10
    seen: int = 0

    def __call__(self, where: str, reason: str) -> None:
        self.seen += 1
        if not self.quiet and self.seen <= self.limit:
            say("error", "red", where, reason)


class BatchProgress:
    """A Rich progress bar (rate, ETA when the record count is known), on stderr."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[counts]}"),
            console=console,
        )
        self.task = self.progress.add_task("batch", total=None, rate="", counts="")
        self._started = time.monotonic()  # the rate counts the start-up and model loads

    def __call__(self, summary: BatchSummary) -> None:
        work = summary.analysed + summary.failed
        elapsed = time.monotonic() - self._started
        rate = f"{work / elapsed:.2f} articles/s" if elapsed > 0 and work else ""
        counts = f"{summary.analysed} ok, {summary.skipped} skipped, {summary.failed} failed"
        self.progress.update(
            self.task, total=summary.total, completed=summary.read, rate=rate, counts=counts
        )


def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT",
            help="Files and folders: .txt, .html, .jsonl, .csv, .parquet, .warc(.gz); a folder "
            "is read recursively.",
            show_default=False,
        ),
    ],
    out: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            metavar="OUT",
            help="Output folder: a Parquet dataset (e.g. run.parquet), or JSONL of analyses "
            "when it ends in .jsonl; or the workbench's store: sqlite:///PATH or "
            "postgresql://USER@HOST/DB. Rerunning into it skips what is done.",
        ),
    ],
    workers: Annotated[
        int,
        typer.Option(help="Worker processes (Ray: actors), each loading the models once.", min=1),
    ] = 1,
    layers: Annotated[
        str, typer.Option(help="Layers to run, comma-separated.", metavar="A,B,…")
    ] = ",".join(DEFAULT_LAYERS),
    columns: ColumnsOption = None,
    max_bytes: Annotated[
        int, typer.Option(help="Largest input read, in bytes (per record in record files).", min=1)
    ] = DEFAULTS.max_bytes,
    chunk_size: Annotated[
        int, typer.Option(help="Records per committed chunk (the most work a kill loses).", min=1)
    ] = BatchOptions.chunk_size,
    name_fields: Annotated[
        str | None,
        typer.Option(
            metavar="REGEX",
            help="Fill outlet, published, author, title… of one-article files from the file "
            "name with the regex's named groups, e.g. "
            "'(?P<outlet>[^_]+)_(?P<published>\\d{4}-\\d{2}-\\d{2})_'.",
            show_default=False,
        ),
    ] = None,
    any_language: Annotated[
        bool,
        typer.Option(
            "--any-language",
            help="Analyse texts that do not look English (with a warning) instead of counting "
            "them as bad records.",
        ),
    ] = False,
    engine: Annotated[
        Engine, typer.Option(help="local: a process pool; ray: Ray Data (the ray extra).")
    ] = BatchOptions.engine,
    max_seconds: MaxSecondsOption = MAX_SECONDS,
    ray_address: Annotated[
        str | None,
        typer.Option(
            metavar="ADDR",
            help="Ray cluster to join (default: start a local Ray runtime).",
            show_default=False,
        ),
    ] = None,
    llm: LLMOption = None,
    llm_model: LLMModelOption = None,
    llm_key: LLMKeyOption = None,
    llm_cache: LLMCacheOption = None,
    llm_max_tokens: LLMMaxTokensOption = None,
    llm_timeout: LLMTimeoutOption = None,
    llm_retries: LLMRetriesOption = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")
    ] = False,
) -> None:
    """Analyse a corpus into Parquet tables, JSONL or the workbench's store, resumably: committed
    in chunks, bad records into OUT/errors/ (in the store: the batch_errors table), and a rerun
    skips what is done."""
    with failures("the output"):
        if ray_address is not None and engine != "ray":
            raise UsageError("--ray-address goes with --engine ray")
        try:
            options = BatchOptions(
                layers=layer_names(layers),
                workers=workers,
                chunk_size=chunk_size,
                english_only=not any_language,
                ingest=ingest_options(max_bytes, False, columns or []),
                name_fields=name_fields,
                engine=engine,
                ray_address=ray_address,
                max_seconds=budget(max_seconds),
                llm=llm_options(
                    llm, llm_model, llm_key, llm_cache, llm_max_tokens, llm_timeout, llm_retries
                ),
            )
        except ExtraError:
            raise
        except (ValueError, SpinscopeError) as exc:  # unknown layers among them
            raise UsageError(str(exc)) from None
        output = open_output(out, options.layers, options.llm_model)
        console = Console(stderr=True, highlight=False)
        bar = BatchProgress(console) if console.is_terminal and not quiet else None
        shown = FirstErrors(quiet)
        if bar is not None:
            with bar.progress:
                summary = run_batch(inputs, output, options, progress=bar, on_error=shown)
        else:
            summary = run_batch(inputs, output, options, on_error=shown)
    if not quiet:
        if summary.failed > shown.limit:
            typer.echo(f"… and {summary.failed - shown.limit:,} more bad records", err=True)
        typer.echo(summary.line(), err=True)
        if summary.llm is not None and summary.llm.articles:
            typer.echo(summary.llm.line(), err=True)
        if summary.failed and is_database(out):
            url = getattr(output, "url", out)  # the password hidden
            typer.echo(f"bad records and why: the batch_errors table of {url}", err=True)
        elif summary.failed:
            typer.echo(f"bad records and why: {Path(out) / 'errors'}/", err=True)
    raise typer.Exit(1 if summary.failed else 0)


def report(
    out: Annotated[
        Path, typer.Argument(metavar="OUT", help="The output folder of a `spinscope batch` run.")
    ],
    html: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write the report as one self-contained HTML page."),
    ] = None,
    csv_dir: Annotated[
        Path | None,
        typer.Option("--csv", metavar="DIR", help="Write the report's tables as CSV files there."),
    ] = None,
    uncertain: Annotated[
        bool,
        typer.Option(
            help="Count uncertain findings (suggestions: a calibrated score under 0.5), which "
            "the report leaves out by default."
        ),
    ] = False,
) -> None:
    """A corpus report of a batch output: each layer's rates, rankings and charts, by outlet
    and by week (`spinscope.corpus`)."""
    from spinscope.batch.report import report as write_report

    with failures("the report"):
        if html is None and csv_dir is None:
            raise UsageError("give --html FILE, --csv DIR, or both")
        if html is not None and not html.parent.is_dir():
            raise UsageError(f"--html {html}: there is no folder {html.parent}")
        parts, left = write_report(out, html, csv_dir, uncertain=uncertain)
    written = [str(p) for p in (html, csv_dir) if p is not None]
    typer.echo(f"{len(parts)} sections written to {' and '.join(written)}", err=True)
    if left:
        counts = ", ".join(f"{count} {name}" for name, count in left.items())
        typer.echo(f"left out as uncertain ({counts}): --uncertain counts them", err=True)
