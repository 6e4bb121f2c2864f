"""`spinscope export corrections`: the reviewed articles of a store as training data
(`spinscope.output.training`), for `spinscope train LAYER --extra` and `spinscope eval`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from spinscope.cli.common import DbOption, fail
from spinscope.errors import SpinscopeError
from spinscope.output.style import counted
from spinscope.output.training import FORMATS

export_app = typer.Typer(help="Export what the store holds.", no_args_is_help=True)


@export_app.command()
def corrections(
    out: Annotated[
        Path,
        typer.Argument(help="The folder to write (made if absent).", show_default=False),
    ],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="; ".join(f"{name}: {holds}" for name, holds in FORMATS.items()) + ".",
        ),
    ] = "semeval2023",
    db: DbOption = None,
) -> None:
    """Write the articles reviewers corrected as training data: only what they confirmed,
    edited or added is gold."""
    from spinscope.output.training import KINDS, TrainingFormat, write_training_data
    from spinscope.store import Store

    if format not in KINDS:
        fail(f"no format {format!r}; the formats are: {', '.join(KINDS)}", 2)
    try:
        with Store(db) as store:
            written = write_training_data(
                store.reviewed(KINDS[format]), out, cast(TrainingFormat, format)
            )
    except (SpinscopeError, OSError) as exc:
        fail(str(exc))
    found = ", ".join(counted(n, f"{kind} findings") for kind, n in written.findings.items())
    typer.echo(
        f"Wrote {counted(written.articles, 'reviewed articles')} ({found}) to {out} as {format}."
    )
