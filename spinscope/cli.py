"""The `spinscope` command line: a thin adapter over ingest, the pipeline, output and evaluation.

    spinscope analyze PATH|URL|- … [--format text|json|html|semeval] [--out FILE | --out-dir DIR]
                                   [--llm URL [--llm-model NAME] [--llm-key KEY] [--llm-cache DIR]]
    spinscope eval quotes --data DIR [--predictions DIR | --score DIR] [--json]
    spinscope eval narratives|genre|frames --data DIR [--split all|validation]
        [--predictions FILE | --score FILE]
    spinscope eval entities --data DIR [--split all|validation] [--predictions FILE | --score FILE]
    spinscope train LAYER --data DIR
    spinscope batch INPUT… --out OUT [--workers N] [--layers A,B] [--column FIELD=NAME]
                                     [--engine local|ray [--ray-address ADDR]] [--llm URL …]
    spinscope report OUT --html FILE [--csv DIR]
    spinscope serve [--db URL] [--host HOST] [--port PORT] [--token TOKEN] [--layers A,B]
                    [--allow-private] [--no-sample] [--llm URL …]
    spinscope schema
    spinscope --version

Error policy of `analyze`: record and continue. Each input that cannot be read or analysed gets
one `error: SOURCE: REASON` line on stderr and the others go on; notes on how an input was read
and analysis warnings get `warning: SOURCE: …` lines; the run ends with a count. Exit status:
0 when every input was analysed, 1 when any failed (or a `SpinscopeError` stopped the run),
2 for usage errors. With `--llm`, an endpoint that cannot be reached stops the run (every
article would fail alike); an answer that is not JSON leaves that article unrefined, with a
warning.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import typer
from rich.console import Console

from spinscope.batch import BatchOptions, open_output, run_batch
from spinscope.batch import Summary as BatchSummary
from spinscope.batch.records import Engine
from spinscope.batch.run import is_database
from spinscope.document import Analysis, Article, json_schema
from spinscope.errors import (
    DataError,
    ExtraError,
    InputError,
    SpinscopeError,
    UsageError,
)
from spinscope.evaluate import evaluate_quotes, score_prediction_files, scores_table
from spinscope.ingest import RECORD_SUFFIXES, IngestOptions, Loaded, read
from spinscope.ingest.base import DEFAULTS
from spinscope.ingest.text import article_from_text
from spinscope.llm import KEY_ENV, MODEL_ENV, LLMClient, LLMOptions, refine_or_warn
from spinscope.output import Format, render_terminal
from spinscope.output.sinks import check_outputs, choose_format, sink
from spinscope.pipeline import DEFAULT_LAYERS, MAX_SECONDS, analyze_many
from spinscope.version import __version__

#: Output format by `--out` suffix, when `--format` is not given.
#: How the bundled sample article is named in messages.
SAMPLE_SOURCE = "sample"

app = typer.Typer(
    help="spinscope: who says what in news articles, and the claims with their sources.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
eval_app = typer.Typer(
    help="Score spinscope's layers against annotated data.", no_args_is_help=True
)
app.add_typer(eval_app, name="eval")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spinscope {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """spinscope: who says what in news articles, and the claims with their sources."""


# --- messages on stderr -------------------------------------------------------------------


def _say(label: str, color: str, source: str, message: str) -> None:
    typer.echo(f"{typer.style(label, fg=color, bold=True)}: {source}: {message}", err=True)


def _fail(message: str, status: int = 1) -> NoReturn:
    typer.echo(f"{typer.style('error', fg='red', bold=True)}: {message}", err=True)
    raise typer.Exit(status)


@contextmanager
def _failures(written: str) -> Iterator[None]:
    """A command's errors as one `error:` line and its exit status: 2 for usage errors, 1 for
    the others; `written` names what an OSError failed to write when it names no file."""
    try:
        yield
    except UsageError as exc:
        _fail(str(exc), status=2)
    except SpinscopeError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {exc.filename or written}: {exc.strerror or exc}")


@dataclass
class _FirstErrors:
    """Prints the first `limit` bad records of a batch as `error:` lines (all of them are in
    its errors): a corpus of millions with a broken feed must not flood the terminal."""

    quiet: bool
    limit: int = 10
    seen: int = 0

    def __call__(self, where: str, reason: str) -> None:
        self.seen += 1
        if not self.quiet and self.seen <= self.limit:
            _say("error", "red", where, reason)


@dataclass
class Report:
    """Counts the outcome of each input and prints errors and warnings on stderr."""

    quiet: bool = False
    analysed: int = 0
    failed: int = 0

    def error(self, source: str, reason: str) -> None:
        self.failed += 1
        _say("error", "red", source, reason)

    def warning(self, source: str, message: str) -> None:
        if not self.quiet:
            _say("warning", "yellow", source, message)

    def summary(self) -> None:
        if not self.quiet:
            typer.echo(f"{self.analysed} analysed, {self.failed} failed", err=True)


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where an article came from: `source` names it in messages."""

    source: str


def sample_article() -> Article:
    """The short fictional news article bundled with spinscope (`spinscope/data/sample.txt`)."""
    resource = importlib.resources.files("spinscope").joinpath("data", "sample.txt")
    text = resource.read_text("utf-8")
    return article_from_text(text, id=SAMPLE_SOURCE, source=SAMPLE_SOURCE)


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


def _ingest_options(max_bytes: int, allow_private: bool, columns: list[str]) -> IngestOptions:
    mapping = {}
    for column in columns:
        name, sep, key = column.partition("=")
        if not sep or not name.strip() or not key.strip():
            raise UsageError(f"--column {column!r} is not FIELD=NAME, e.g. --column text=body")
        mapping[name.strip()] = key.strip()
    try:
        return IngestOptions(max_bytes=max_bytes, allow_private=allow_private, columns=mapping)
    except ValueError as exc:
        raise UsageError(f"--column/--max-bytes: {exc}") from None


def _llm_options(
    url: str | None, model: str | None, key: str | None, cache: Path | None
) -> LLMOptions | None:
    if url is None:
        given = [
            name
            for name, value in (("--llm-model", model), ("--llm-key", key), ("--llm-cache", cache))
            if value is not None
        ]
        if given:
            raise UsageError(f"{', '.join(given)} only go with --llm URL")
        return None
    try:
        return LLMOptions.from_env(url, model=model, key=key, cache_dir=cache)
    except ValueError as exc:
        raise UsageError(f"--llm: {exc}") from None


LLMOption = Annotated[
    str | None,
    typer.Option(
        "--llm",
        metavar="URL",
        help="Refine entity roles and narratives with an OpenAI-compatible chat endpoint "
        "(its base URL, e.g. http://localhost:8000/v1). Sends the article text there.",
        show_default=False,
    ),
]
LLMModelOption = Annotated[
    str | None,
    typer.Option(
        "--llm-model",
        metavar="NAME",
        help=f"The model's name on the --llm server (default: ${MODEL_ENV}).",
        show_default=False,
    ),
]
LLMKeyOption = Annotated[
    str | None,
    typer.Option(
        "--llm-key",
        metavar="KEY",
        help=f"API key for the --llm server (default: ${KEY_ENV}, which keeps it out of "
        "the process list).",
        show_default=False,
    ),
]
LLMCacheOption = Annotated[
    Path | None,
    typer.Option(
        "--llm-cache",
        metavar="DIR",
        help="Cache the --llm answers there (default: the user cache dir, spinscope/llm).",
        show_default=False,
    ),
]


def _eval_refiner(
    score: Path | None, url: str | None, model: str | None, key: str | None, cache: Path | None
) -> Callable[[Analysis], Analysis] | None:
    """For `eval … --llm`: what refines each analysis before it is scored (None without
    `--llm`). Rescoring a file (`--score`) runs nothing, so it takes no `--llm`."""
    try:
        options = _llm_options(url, model, key, cache)
    except UsageError as exc:
        _fail(str(exc), 2)
    if options is None:
        return None
    if score is not None:
        _fail("--llm refines new predictions; it does not go with --score", 2)
    return functools.partial(refine_or_warn, client=LLMClient(options))


# --- commands -----------------------------------------------------------------------------


#: `--column FIELD=NAME`, which `analyze` and `batch` share.
ColumnsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--column",
        metavar="FIELD=NAME",
        help="JSONL/CSV/Parquet: read article FIELD (text, title, id, …) from key NAME.",
        show_default=False,
    ),
]


#: `--max-seconds`, which `analyze`, `batch` and `serve` share.
MaxSecondsOption = Annotated[
    float,
    typer.Option(
        help="Time budget of one article's analysis, in seconds: an article still being "
        "analysed then fails (the others go on). 0: no budget.",
        min=0,
    ),
]


def _budget(max_seconds: float) -> float | None:
    return max_seconds or None


@app.command()
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
    with _failures("the output"):  # OSError: writing an output file
        if not sources and not sample:
            raise UsageError("give at least one PATH, URL or -, or --sample")
        if out is not None and out_dir is not None:
            raise UsageError("give --out FILE or --out-dir DIR, not both")
        fmt_ = choose_format(fmt, out)
        check_outputs(sources, len(sources) + sample, fmt_, out, out_dir)
        options = _ingest_options(max_bytes, allow_private, columns or [])
        llm_options = _llm_options(llm, llm_model, llm_key, llm_cache)
        writer = sink(fmt_, out, out_dir, sources)
        to_files = out is not None or out_dir is not None
        summary = Console(highlight=False) if writer is None or (to_files and not quiet) else None
        items = _articles(sources, sample, options, report)
        analysed = analyze_many(
            items, workers=workers, max_seconds=_budget(max_seconds), llm=llm_options
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


def _layers(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if not names:
        raise UsageError("--layers names no layer; e.g. --layers quotes,claims")
    return names


class _BatchProgress:
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


@app.command()
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
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")
    ] = False,
) -> None:
    """Analyse a corpus into Parquet tables, JSONL or the workbench's store, resumably: committed
    in chunks, bad records into OUT/errors/ (in the store: the batch_errors table), and a rerun
    skips what is done."""
    with _failures("the output"):
        if ray_address is not None and engine != "ray":
            raise UsageError("--ray-address goes with --engine ray")
        try:
            options = BatchOptions(
                layers=_layers(layers),
                workers=workers,
                chunk_size=chunk_size,
                english_only=not any_language,
                ingest=_ingest_options(max_bytes, False, columns or []),
                name_fields=name_fields,
                engine=engine,
                ray_address=ray_address,
                max_seconds=_budget(max_seconds),
                llm=_llm_options(llm, llm_model, llm_key, llm_cache),
            )
        except ExtraError:
            raise
        except (ValueError, SpinscopeError) as exc:  # unknown layers among them
            raise UsageError(str(exc)) from None
        output = open_output(out, options.layers, options.llm_model)
        console = Console(stderr=True, highlight=False)
        bar = _BatchProgress(console) if console.is_terminal and not quiet else None
        shown = _FirstErrors(quiet)
        if bar is not None:
            with bar.progress:
                summary = run_batch(inputs, output, options, progress=bar, on_error=shown)
        else:
            summary = run_batch(inputs, output, options, on_error=shown)
    if not quiet:
        if summary.failed > shown.limit:
            typer.echo(f"… and {summary.failed - shown.limit:,} more bad records", err=True)
        typer.echo(summary.line(), err=True)
        if summary.failed and is_database(out):
            url = getattr(output, "url", out)  # the password hidden
            typer.echo(f"bad records and why: the batch_errors table of {url}", err=True)
        elif summary.failed:
            typer.echo(f"bad records and why: {Path(out) / 'errors'}/", err=True)
    raise typer.Exit(1 if summary.failed else 0)


@app.command()
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
) -> None:
    """A corpus report of a batch output: techniques and narratives by outlet and week, the
    most-quoted speakers, unsourced claims by outlet, the most check-worthy claims."""
    from spinscope.batch.report import report as write_report

    with _failures("the report"):
        if html is None and csv_dir is None:
            raise UsageError("give --html FILE, --csv DIR, or both")
        if html is not None and not html.parent.is_dir():
            raise UsageError(f"--html {html}: there is no folder {html.parent}")
        parts = write_report(out, html, csv_dir)
    written = [str(p) for p in (html, csv_dir) if p is not None]
    typer.echo(f"{len(parts)} sections written to {' and '.join(written)}", err=True)


def _run_or_rescore(predictions: Path | None, score: Path | None, what: str = "FILE") -> None:
    """An eval command runs the layer (and may write `--predictions`) or re-scores a `--score`
    file; asking for both is a usage error."""
    if predictions is not None and score is not None:
        options = f"--predictions {what} (run and write) or --score {what} (re-score)"
        _fail(f"give {options}, not both", 2)


def _require_dir(path: Path) -> None:
    if not path.is_dir():
        raise DataError(f"{path}: no such directory")


Level = Literal["span", "paragraph"]
Split = Literal["all", "validation"]

#: Options the eval commands share.
SplitOption = Annotated[
    Split, typer.Option(help="Score every article, or only spinscope's validation split.")
]
PredictionsOption = Annotated[
    Path | None, typer.Option(help="Also write the predictions there, in the official format.")
]
ScoreOption = Annotated[
    Path | None,
    typer.Option(help="Score this predictions file; the layer does not run.", metavar="FILE"),
]
WorkersOption = Annotated[int, typer.Option(min=1, help="Worker processes.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")]


@eval_app.command("quotes")
def eval_quotes(
    data: Annotated[
        Path,
        typer.Option(help="PolNeAR-style directory: text/*.txt and attributions/*.ann."),
    ],
    predictions: Annotated[
        Path | None,
        typer.Option(help="Also write the predictions there, one .ann per article.", metavar="DIR"),
    ] = None,
    score: Annotated[
        Path | None,
        typer.Option(
            help="Score the .ann predictions in DIR; the pipeline does not run.", metavar="DIR"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Score quote attribution (who said what) against annotated articles."""
    _run_or_rescore(predictions, score, "DIR")
    try:
        _require_dir(data)
        if score is not None:
            _require_dir(score)
            scores = score_prediction_files(data, score)
        else:
            scores = evaluate_quotes(data, write_dir=predictions)
    except SpinscopeError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(scores.to_dict(), indent=2))
    else:
        Console(highlight=False).print(scores_table(scores))


@eval_app.command("techniques")
def eval_techniques(
    data: Annotated[
        Path,
        typer.Option(
            help="SemEval-2023 techniques directory: articles/, and spans/ or paragraph-labels.txt."
        ),
    ],
    level: Annotated[Level, typer.Option(help="Score spans or (line, technique) pairs.")] = "span",
    split: SplitOption = "all",
    predictions: PredictionsOption = None,
    score: ScoreOption = None,
    workers: WorkersOption = 1,
    as_json: JsonOption = False,
) -> None:
    """Score persuasion-technique detection with the official SemEval metrics."""
    from spinscope.evaluate.semeval import (
        read_paragraph_labels,
        read_spans,
        read_techniques_dir,
        write_paragraph_labels,
        write_spans,
    )
    from spinscope.evaluate.techniques import (
        paragraph_scores_table,
        paragraphs_from_spans,
        predict_techniques,
        score_paragraphs,
        score_spans,
        span_scores_table,
    )
    from spinscope.train.split import is_validation

    _run_or_rescore(predictions, score)
    try:
        _require_dir(data)
        gold = read_techniques_dir(data)
        if split == "validation":
            gold = gold.subset(aid for aid in gold.texts if is_validation(aid))
        if level == "span":
            gold.require_spans()
        if score is not None:
            if level == "span":
                spans = read_spans(score)
                result: Any = score_spans(gold, {a: s for a, s in spans.items() if a in gold.texts})
            else:
                labels = read_paragraph_labels(score)
                result = score_paragraphs(
                    gold, {k: v for k, v in labels.items() if k[0] in gold.texts}
                )
        else:
            found = predict_techniques(gold, workers=workers)
            lines = paragraphs_from_spans(gold.texts, found)
            if level == "span":
                result = score_spans(gold, found)
                if predictions is not None:
                    write_spans(predictions, found)
            else:
                result = score_paragraphs(gold, lines)
                if predictions is not None:
                    write_paragraph_labels(
                        predictions, {key: lines.get(key, ()) for key in gold.paragraphs}
                    )
    except (SpinscopeError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    elif level == "span":
        Console(highlight=False).print(span_scores_table(result))
    else:
        Console(highlight=False).print(paragraph_scores_table(result))


@eval_app.command("entities")
def eval_entities(
    data: Annotated[
        Path,
        typer.Option(
            help="SemEval-2025 Task 10 directory: documents/ and subtask-1-annotations.txt."
        ),
    ],
    split: SplitOption = "all",
    predictions: PredictionsOption = None,
    score: ScoreOption = None,
    as_json: JsonOption = False,
    llm: LLMOption = None,
    llm_model: LLMModelOption = None,
    llm_key: LLMKeyOption = None,
    llm_cache: LLMCacheOption = None,
) -> None:
    """Score entity framing with the gold mentions given (SemEval-2025 Task 10 subtask 1): fine-role
    exact match and main-role accuracy. With `--llm`, a gold mention inside an entity the LLM
    answered for takes that entity's role."""
    from spinscope.evaluate.entities import (
        predict_roles,
        read_framing_dir,
        read_roles,
        roles_table,
        score_roles,
        write_roles,
    )
    from spinscope.train.split import is_validation

    _run_or_rescore(predictions, score)
    refine = _eval_refiner(score, llm, llm_model, llm_key, llm_cache)
    try:
        gold = read_framing_dir(data)
        if split == "validation":
            gold = gold.subset(doc for doc in gold.texts if is_validation(doc))
        if score is not None:
            found = [m for m in read_roles(score) if m.doc in gold.texts]
        else:
            found = predict_roles(gold, refine=refine)
            if predictions is not None:
                write_roles(predictions, found)
        result = score_roles(gold.mentions, found)
    except (SpinscopeError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        Console(highlight=False).print(roles_table(result))


@eval_app.command("checkworthiness")
def eval_checkworthiness(
    data: Annotated[
        Path, typer.Option(help="CheckThat! TSV: Sentence_id, Text, class_label (Yes|No).")
    ],
    predictions: PredictionsOption = None,
    score: ScoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score check-worthiness decisions: F1, precision and recall of the positive class."""
    from spinscope.evaluate.checkworthiness import (
        checkworthiness_table,
        predict_checkworthiness,
        read_checkworthy,
        read_checkworthy_predictions,
        score_checkworthiness,
        write_checkworthy_predictions,
    )

    _run_or_rescore(predictions, score)
    try:
        gold = read_checkworthy(data)
        if score is not None:
            decided = read_checkworthy_predictions(score)
        else:
            decided = predict_checkworthiness(gold)
            if predictions is not None:
                write_checkworthy_predictions(predictions, decided)
        result = score_checkworthiness(gold, decided)
    except (SpinscopeError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        Console(highlight=False).print(checkworthiness_table(result))


@eval_app.command("narratives")
def eval_narratives(
    data: Annotated[
        Path,
        typer.Option(
            help="SemEval-2025 Task 10 directory: documents/ and subtask-2-annotations.txt."
        ),
    ],
    split: SplitOption = "all",
    predictions: PredictionsOption = None,
    score: ScoreOption = None,
    workers: WorkersOption = 1,
    as_json: JsonOption = False,
    llm: LLMOption = None,
    llm_model: LLMModelOption = None,
    llm_key: LLMKeyOption = None,
    llm_cache: LLMCacheOption = None,
) -> None:
    """Score narratives: samples-averaged F1 over narratives (coarse) and sub-narratives (fine),
    beside the baseline that answers Other for every article; with `--llm`, the narratives as
    the LLM refines them."""
    from spinscope.evaluate.narratives import (
        all_other,
        narratives_table,
        predict_narratives,
        read_narrative_labels,
        read_narratives_dir,
        score_narratives,
        write_narrative_labels,
    )
    from spinscope.train.split import is_validation

    _run_or_rescore(predictions, score)
    refine = _eval_refiner(score, llm, llm_model, llm_key, llm_cache)
    try:
        _require_dir(data)
        gold = read_narratives_dir(data)
        if split == "validation":
            gold = gold.subset(doc for doc in gold.labels if is_validation(doc))
        if score is not None:
            found = {d: v for d, v in read_narrative_labels(score).items() if d in gold.labels}
        else:
            found = predict_narratives(gold, workers=workers, refine=refine)
            if predictions is not None:
                write_narrative_labels(predictions, found)
        result = score_narratives(gold.labels, found)
        baseline = score_narratives(gold.labels, all_other(gold.labels))
    except (SpinscopeError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "all_other": baseline.to_dict()}, indent=2))
    else:
        Console(highlight=False).print(narratives_table(result, baseline))


GenreOrFrames = Literal["genre", "frames"]


def _eval_genre_or_frames(
    task: GenreOrFrames,
    data: Path,
    split: Split,
    predictions: Path | None,
    score: Path | None,
    workers: int,
    as_json: bool,
) -> None:
    """`eval genre` and `eval frames`: the same data directory, reader and pipeline run."""
    from spinscope.evaluate.frames import (
        format_frames,
        format_genres,
        label_scores_table,
        predict_genre_frames,
        read_frames,
        read_genre_framing_dir,
        read_genres,
        score_frames,
        score_genres,
    )
    from spinscope.taxonomy import FRAMES
    from spinscope.train.split import is_validation

    _run_or_rescore(predictions, score)
    try:
        _require_dir(data)
        gold = read_genre_framing_dir(data)
        truth: dict[str, Any] = gold.genres if task == "genre" else gold.frames
        if split == "validation":
            truth = {doc: v for doc, v in truth.items() if is_validation(doc)}
        if score is not None:
            read = read_genres if task == "genre" else read_frames
            found: dict[str, Any] = {d: v for d, v in read(score).items() if d in truth}
        else:
            genres, frames = predict_genre_frames(
                {doc: gold.texts[doc] for doc in truth}, workers=workers
            )
            found = dict(genres.items() if task == "genre" else frames.items())
            if predictions is not None:
                text = format_genres(genres) if task == "genre" else format_frames(frames)
                predictions.write_text(text, encoding="utf-8")
        if task == "genre":
            result = score_genres(truth, found)
            baseline = score_genres(truth, {doc: "opinion" for doc in truth})
            name = "always opinion"
        else:
            result = score_frames(truth, found)
            baseline = score_frames(truth, {doc: FRAMES for doc in truth})
            name = "all 14 frames"
    except (SpinscopeError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "baseline": baseline.to_dict()}, indent=2))
    else:
        title = (
            "Genre (SemEval-2023 Task 3 subtask 1)"
            if task == "genre"
            else "Frames (SemEval-2023 Task 3 subtask 2)"
        )
        table = label_scores_table(title, result, baseline, name, macro=task == "genre")
        Console(highlight=False).print(table)


_GENRE_FRAMING_DATA = typer.Option(
    help="SemEval-2023 Task 3 directory: articles/, genre-labels.txt, frame-labels.txt."
)


@eval_app.command("genre")
def eval_genre(
    data: Annotated[Path, _GENRE_FRAMING_DATA],
    split: SplitOption = "all",
    predictions: PredictionsOption = None,
    score: ScoreOption = None,
    workers: WorkersOption = 1,
    as_json: JsonOption = False,
) -> None:
    """Score genre (opinion, reporting, satire): macro-F1, beside always answering opinion."""
    _eval_genre_or_frames("genre", data, split, predictions, score, workers, as_json)


@eval_app.command("frames")
def eval_frames(
    data: Annotated[Path, _GENRE_FRAMING_DATA],
    split: SplitOption = "all",
    predictions: PredictionsOption = None,
    score: ScoreOption = None,
    workers: WorkersOption = 1,
    as_json: JsonOption = False,
) -> None:
    """Score frames (the 14 of the Policy Frames Codebook): micro-F1, beside answering all 14."""
    _eval_genre_or_frames("frames", data, split, predictions, score, workers, as_json)


@app.command()
def train(
    layer: Annotated[
        str,
        typer.Argument(
            help="The layer to train (quotes, claims, techniques, entities, narratives, genre, "
            "frames), or its trainer's name (checkworthiness for claims; frames trains genre "
            "and frames together)."
        ),
    ],
    data: Annotated[Path, typer.Option(help="The training data (see below).")],
    out: Annotated[
        Path | None,
        typer.Option(help="Write the artifacts there instead of into the package.", metavar="DIR"),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    limit: Annotated[
        int | None,
        typer.Option(help="Use only the first N articles of each split (quick checks).", min=1),
    ] = None,
) -> None:
    """Train LAYER from DATA and write its heads and model card into the package (or --out),
    with the trainer its layer declares (`spinscope.layers.register(..., trainer=...)`).

    techniques: a SemEval-2023 techniques directory (articles/, spans/).
    claims (checkworthiness): a CheckThat! 2024 directory (train.tsv, dev.tsv); ClaimBuster's
    claimbuster-2class.csv is used too when it lies in ../claimbuster/ beside it.
    quotes: the PolNeAR root (only its train/ folder is read; dev/ is left for `eval quotes`).
    narratives: a SemEval-2025 Task 10 directory (documents/, subtask-2-annotations.txt).
    genre, frames: a SemEval-2023 Task 3 genre-framing directory (articles/, genre-labels.txt,
    frame-labels.txt); trains the genre and frames layers, into models/frames/.
    entities: a SemEval-2025 Task 10 directory (documents/, subtask-1-annotations.txt).
    """
    import importlib

    from spinscope.layers import registered
    from spinscope.ml.heads import MODELS_DIR
    from spinscope.train import Trainer

    trainers = {found.name: found.trainer for found in registered() if found.trainer}
    trainers |= {module.rpartition(".")[2]: module for module in trainers.values()}
    if layer not in trainers:
        _fail(f"no trainer for {layer!r}; trainable: {', '.join(sorted(trainers))}", 2)
    module = trainers[layer]
    name = module.rpartition(".")[2]  # a trainer writes models/<its name>/

    def progress(message: str) -> None:
        typer.echo(f"{name}: {message}", err=True)

    try:
        trainer: Trainer = importlib.import_module(module)
        card = trainer.train(
            data, out or MODELS_DIR / name, seed=seed, limit=limit, progress=progress
        )
    except (SpinscopeError, OSError) as exc:
        _fail(str(exc))
    typer.echo(json.dumps(card["validation"], indent=2))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the analysis JSON (`--format json`)."""
    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


#: Seconds a connection may stay without a complete request's headers (or idle between
#: requests) before `serve` closes it: a client that opens connections and never finishes its
#: headers cannot hold them.
HEADER_TIMEOUT_S = 5.0


@app.command()
def serve(
    db: Annotated[
        str | None,
        typer.Option(
            help="The database: a file path or sqlite:///PATH, or postgresql://USER@HOST/DB. "
            "Default: spinscope.db in the user's data folder.",
            metavar="URL",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            metavar="NAME",
            help="A host name clients reach the server by (repeatable; '*' for any). The "
            "server answers to the loopback names and --host, and to these.",
            show_default=False,
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="API token that write requests must carry (Authorization: Bearer TOKEN); "
            "required when --host is not a loopback address.",
            envvar="SPINSCOPE_TOKEN",
        ),
    ] = None,
    layers: Annotated[
        str,
        typer.Option(help="The analysis layers, comma-separated."),
    ] = ",".join(DEFAULT_LAYERS),
    analysis_threads: Annotated[
        int | None,
        typer.Option(
            help="Analyses run at once; more wait, up to a limit, then get 503 "
            "(default: the workbench's Settings.analysis_threads).",
            min=1,
            show_default=False,
        ),
    ] = None,
    max_seconds: MaxSecondsOption = MAX_SECONDS,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private",
            help="Fetch URLs that resolve to private, loopback or link-local addresses.",
        ),
    ] = False,
    llm: LLMOption = None,
    llm_model: LLMModelOption = None,
    llm_key: LLMKeyOption = None,
    llm_cache: LLMCacheOption = None,
    sample: Annotated[
        bool,
        typer.Option(help="Analyse the bundled sample corpus when the database is empty."),
    ] = True,
) -> None:
    """Run the workbench: web app at http://HOST:PORT/ and REST API under /api/v1."""
    import asyncio

    from hypercorn.asyncio import serve as serve_asgi
    from hypercorn.config import Config

    from spinscope.store import Store
    from spinscope.web import Settings, Workbench, create_app, is_loopback

    if not is_loopback(host) and not token:
        _fail(
            f"--host {host} is not a loopback address: set an API token with --token or "
            f"SPINSCOPE_TOKEN so that nobody else can write to the store",
            2,
        )
    hosts = [*Settings.allowed_hosts, *(allowed_host or [])]
    if host not in ("0.0.0.0", "::"):
        hosts.append(host)
    elif not allowed_host:
        typer.echo(
            f"note: --host {host} listens on every address, but the server answers only to "
            f"the host names it knows ({', '.join(hosts)}): add --allowed-host NAME for "
            f"the names clients use",
            err=True,
        )
    try:
        settings = Settings(
            layers=tuple(name.strip() for name in layers.split(",") if name.strip()),
            allow_private=allow_private,
            token=token or None,
            analysis_threads=analysis_threads or Settings.analysis_threads,
            max_seconds=_budget(max_seconds),
            allowed_hosts=tuple(hosts),
            llm=_llm_options(llm, llm_model, llm_key, llm_cache),
        )
        store = Store(db)
        workbench = Workbench(store, settings)
        if sample and store.count() == 0:
            typer.echo("Analysing the sample corpus (first start)…", err=True)
            typer.echo(f"Stored {workbench.load_samples()} sample articles.", err=True)
        workbench.run_jobs()
    except (SpinscopeError, ValueError) as exc:
        _fail(str(exc))
    config = Config()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.keep_alive_timeout = HEADER_TIMEOUT_S
    config.loglevel = "WARNING"
    typer.echo(f"spinscope workbench on http://{host}:{port}/ (database {store.url})", err=True)
    try:
        asyncio.run(serve_asgi(create_app(workbench), config))  # type: ignore[arg-type]
    finally:
        workbench.close()
        store.close()
