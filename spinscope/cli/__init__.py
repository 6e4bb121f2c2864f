"""The `spinscope` command line: thin commands over ingest, the pipeline, output, evaluation and
training, one module each (what they share is in `spinscope.cli.common`).

    spinscope analyze PATH|URL|- … [--format text|json|html|semeval] [--out FILE | --out-dir DIR]
                                   [--llm URL [--llm-model NAME] [--llm-key KEY] [--llm-cache DIR]
                                              [--llm-max-tokens N] [--llm-timeout SECONDS]
                                              [--llm-retries N]]
    spinscope batch INPUT… --out OUT [--workers N] [--layers A,B] [--column FIELD=NAME]
                                     [--engine local|ray [--ray-address ADDR]] [--llm URL …]
    spinscope report OUT --html FILE [--csv DIR]
    spinscope serve [--db URL] [--host HOST] [--port PORT] [--token TOKEN] [--layers A,B]
                    [--reviewers FILE] [--allow-private] [--no-sample] [--llm URL …]
    spinscope eval [NAME --data DATA [--split all|validation] [--level LEVEL]
                   [--predictions PATH | --score PATH] [--workers N] [--json] [--llm URL …]]
    spinscope train LAYER --data DIR [--out DIR] [--extra DIR]
    spinscope export corrections OUT [--format semeval2023|semeval2025|brat] [--db URL]
    spinscope schema
    spinscope --version

Exit status: 0 when all went well, 1 when an input or the run failed, 2 for usage errors.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from spinscope.cli.analyze import analyze
from spinscope.cli.batch import batch, report
from spinscope.cli.evaluate import evaluate
from spinscope.cli.export import export_app
from spinscope.cli.serve import serve
from spinscope.cli.train import train
from spinscope.version import __version__

app = typer.Typer(
    help="spinscope: who says what in news articles, and the claims with their sources.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


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


def schema() -> None:
    """Print the JSON Schema of the analysis JSON (`--format json`)."""
    from spinscope.document import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


app.command()(analyze)
app.command()(batch)
app.command()(report)
app.command("eval")(evaluate)
app.command()(train)
app.command()(schema)
app.command()(serve)
app.add_typer(export_app, name="export")

__all__ = ["app"]
