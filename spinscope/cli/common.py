"""What the commands share: messages and the error policy on stderr, and the options several
commands take (ingest, `--llm`, `--max-seconds`, `--layers`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import typer
from rich.table import Table

from spinscope.errors import SpinscopeError, UsageError
from spinscope.ingest import IngestOptions
from spinscope.llm import KEY_ENV, MODEL_ENV, LLMOptions
from spinscope.pipeline import DEFAULT_LAYERS

# --- messages on stderr -------------------------------------------------------------------


def say(label: str, color: str, source: str, message: str) -> None:
    typer.echo(f"{typer.style(label, fg=color, bold=True)}: {source}: {message}", err=True)


def fail(message: str, status: int = 1) -> NoReturn:
    typer.echo(f"{typer.style('error', fg='red', bold=True)}: {message}", err=True)
    raise typer.Exit(status)


@contextmanager
def failures(written: str) -> Iterator[None]:
    """A command's errors as one `error:` line and its exit status: 2 for usage errors, 1 for
    the others; `written` names what an OSError failed to write when it names no file."""
    try:
        yield
    except UsageError as exc:
        fail(str(exc), status=2)
    except SpinscopeError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {exc.filename or written}: {exc.strerror or exc}")


@dataclass
class Report:
    """Counts the outcome of each input and prints errors and warnings on stderr."""

    quiet: bool = False
    analysed: int = 0
    failed: int = 0

    def error(self, source: str, reason: str) -> None:
        self.failed += 1
        say("error", "red", source, reason)

    def warning(self, source: str, message: str) -> None:
        if not self.quiet:
            say("warning", "yellow", source, message)

    def llm(self, source: str, line: str) -> None:
        """What the `--llm` refinement of one input cost and gave (`RefineReport.line`)."""
        if not self.quiet:
            say("llm", "cyan", source, line)

    def summary(self) -> None:
        if not self.quiet:
            typer.echo(f"{self.analysed} analysed, {self.failed} failed", err=True)


# --- options ------------------------------------------------------------------------------


def ingest_options(max_bytes: int, allow_private: bool, columns: list[str]) -> IngestOptions:
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


def llm_options(
    url: str | None,
    model: str | None,
    key: str | None,
    cache: Path | None,
    max_tokens: int | None = None,
    timeout: float | None = None,
    retries: int | None = None,
) -> LLMOptions | None:
    """The `--llm` options of a command; None without `--llm` (then the others are refused)."""
    if url is None:
        options = {
            "--llm-model": model,
            "--llm-key": key,
            "--llm-cache": cache,
            "--llm-max-tokens": max_tokens,
            "--llm-timeout": timeout,
            "--llm-retries": retries,
        }
        given = [name for name, value in options.items() if value is not None]
        if given:
            raise UsageError(f"{', '.join(given)} only go with --llm URL")
        return None
    try:
        return LLMOptions.from_env(
            url,
            model=model,
            key=key,
            cache_dir=cache,
            max_tokens=max_tokens,
            timeout=timeout,
            retries=retries,
        )
    except ValueError as exc:
        raise UsageError(f"--llm: {exc}") from None


#: The store's database, for the commands that read or write it (`serve`, `export`).
DbOption = Annotated[
    str | None,
    typer.Option(
        help="The database: a file path or sqlite:///PATH, or postgresql://USER@HOST/DB. "
        "Default: spinscope.db in the user's data folder.",
        metavar="URL",
    ),
]
LLMOption = Annotated[
    str | None,
    typer.Option(
        "--llm",
        metavar="URL",
        help="Refine the findings of the layers that allow it (see docs/llm.md) with an "
        "OpenAI-compatible chat endpoint (its base URL, e.g. http://localhost:8000/v1). Sends "
        "the article text there.",
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

LLMMaxTokensOption = Annotated[
    int | None,
    typer.Option(
        "--llm-max-tokens",
        metavar="N",
        min=1,
        help="The longest --llm answer asked for, in tokens (default: what full lists of the "
        "refined layers' items take, see docs/llm.md); a longer one is cut off and leaves "
        "that article unrefined, with a warning.",
        show_default=False,
    ),
]
LLMTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--llm-timeout",
        metavar="SECONDS",
        min=0.001,
        help=f"How long to wait for each --llm answer (default: {LLMOptions.timeout:g}); an "
        "answer not in time leaves that article unrefined, with a warning, and is not asked "
        "for again.",
        show_default=False,
    ),
]
LLMRetriesOption = Annotated[
    int | None,
    typer.Option(
        "--llm-retries",
        metavar="N",
        min=0,
        help=f"More tries of an --llm request after a connection error, HTTP 429 or 5xx "
        f"(default: {LLMOptions.retries}).",
        show_default=False,
    ),
]

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


def budget(max_seconds: float) -> float | None:
    return max_seconds or None


def layer_names(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if not names:
        example = ",".join(DEFAULT_LAYERS[:2])
        raise UsageError(f"--layers names no layer; e.g. --layers {example}")
    return names


def declared(kind: Literal["trainer", "benchmark"]) -> dict[str, str]:
    """The trainer (or benchmark) each registered layer declares, by the layer's name and by
    its module's own name (`checkworthiness` for the claims layer's)."""
    from spinscope.layers import registered

    found = {layer.name: getattr(layer, kind) for layer in registered() if getattr(layer, kind)}
    for reference in list(found.values()):
        found.setdefault(reference.partition(":")[0].rpartition(".")[2], reference)
    return found


def listing(title: str, column: str, declared: dict[str, str], data: Callable[[str], str]) -> Table:
    """A table of what `declared` names (from `declared(...)`), each once, with the names it
    answers to and the data it reads (`data(reference)`)."""
    names: dict[str, list[str]] = {}
    for name, reference in declared.items():
        names.setdefault(reference, []).append(name)
    table = Table(title=title, title_justify="left")
    table.add_column(column)
    table.add_column("DATA")
    for reference, aliases in names.items():
        table.add_row(" or ".join(aliases), data(reference))
    return table
