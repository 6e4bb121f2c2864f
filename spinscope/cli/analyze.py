"""`spinscope analyze`: articles in, analyses out (the terminal summary, JSON, HTML, SemEval).

Error policy: record and continue. Each input that cannot be read or analysed gets one
`error: SOURCE: REASON` line on stderr and the others go on; notes on how an input was read
and analysis warnings get `warning: SOURCE: …` lines; the run ends with a count. Exit status:
0 when every input was analysed, 1 when any failed (or a `SpinscopeError` stopped the run),
2 for usage errors. With `--llm`, each article gets an `llm:` line (tokens sent and received,
seconds, findings refined and items dropped); an endpoint that cannot be reached stops the run
(every article would fail alike); a request that gives no usable answer (too slow, cut off,
refused, not JSON) leaves that article unrefined, with one warning that says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

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
    Report,
    budget,
    failures,
    ingest_options,
    llm_options,
)
from spinscope.document import Article
from spinscope.errors import InputError, UsageError
from spinscope.ingest import (
    RECORD_SUFFIXES,
    SAMPLE_SOURCE,
    IngestOptions,
    Loaded,
    read,
    sample_article,
)
from spinscope.ingest.base import DEFAULTS
from spinscope.output import Format, render_terminal
from spinscope.output.sinks import check_outputs, choose_format, sink
from spinscope.pipeline import MAX_SECONDS, analyze_many


@dataclass(frozen=True)
class Origin:
    """Where an article came from: `source` names it in messages."""

    source: str


def _label(source: str, article: Article) -> str:
    """A record of a JSONL/CSV file is named by its file and its article id."""
    if source.lower().endswith(RECORD_SUFFIXES) and "://" not in source:
        return f"{source} [{article.id}]"
    return source


def _articles(
    sources: list[str], sample: bool, options: IngestOptions, report: Report
) -> Iterator[tuple[Article | Loaded, Origin]]:
    """The articles of every input in order, with the notes on how each was read; read errors
    go to `report` as they come."""
    if sample:
        yield sample_article(), Origin(SAMPLE_SOURCE)
    for source in sources:
        for item in read(source, options):
            if isinstance(item, Loaded):
                yield item, Origin(_label(source, item.article))
            else:
                report.error(item.source, item.reason)


def analyze(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PATH",
            help="Files (.txt, .html, .jsonl, .csv, …), http(s) URLs, or - for stdin.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: from the --out suffix, else text).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write the output to FILE (and print the summary).", metavar="FILE"
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            help="Write one file per article to DIR, named after its input file.",
            metavar="DIR",
        ),
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Also analyse the bundled sample article.")
    ] = False,
    max_bytes: Annotated[
        int, typer.Option(help="Largest input read, in bytes (a record, for JSONL/CSV).", min=1)
    ] = DEFAULTS.max_bytes,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private", help="Fetch URLs on private, loopback or link-local addresses."
        ),
    ] = DEFAULTS.allow_private,
    columns: ColumnsOption = None,
    workers: Annotated[int, typer.Option(help="Analyse in this many worker processes.", min=1)] = 1,
    max_seconds: MaxSecondsOption = MAX_SECONDS,
    llm: LLMOption = None,
    llm_model: LLMModelOption = None,
    llm_key: LLMKeyOption = None,
    llm_cache: LLMCacheOption = None,
    llm_max_tokens: LLMMaxTokensOption = None,
    llm_timeout: LLMTimeoutOption = None,
    llm_retries: LLMRetriesOption = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print only errors: no summary beside files, no warnings, no count.",
        ),
    ] = False,
) -> None:
    """Analyse articles: who says what, and the claims with their sources."""
    sources = list(paths or [])
    report = Report(quiet=quiet)
    with failures("the output"):  # OSError: writing an output file
        if not sources and not sample:
            raise UsageError("give at least one PATH, URL or -, or --sample")
        if out is not None and out_dir is not None:
            raise UsageError("give --out FILE or --out-dir DIR, not both")
        fmt_ = choose_format(fmt, out)
        check_outputs(sources, len(sources) + sample, fmt_, out, out_dir)
        options = ingest_options(max_bytes, allow_private, columns or [])
        refinement = llm_options(
            llm, llm_model, llm_key, llm_cache, llm_max_tokens, llm_timeout, llm_retries
        )
        writer = sink(fmt_, out, out_dir, sources)
        to_files = out is not None or out_dir is not None
        summary = Console(highlight=False) if writer is None or (to_files and not quiet) else None
        items = _articles(sources, sample, options, report)
        analysed = analyze_many(
            items,
            workers=workers,
            max_seconds=budget(max_seconds),
            llm=refinement,
            on_refined=lambda refined, origin: report.llm(origin.source, refined.line()),
        )
        for result, origin in analysed:
            if isinstance(result, InputError):
                report.error(origin.source, result.reason)
                continue
            report.analysed += 1
            for message in result.warnings:
                report.warning(origin.source, message)
            if writer is not None:
                writer.write(result)
            if summary is not None:
                if report.analysed > 1:
                    summary.print()
                render_terminal(result, summary)
        if writer is not None:
            writer.close()
    report.summary()
    raise typer.Exit(1 if report.failed else 0)
