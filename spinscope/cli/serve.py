"""`spinscope serve`: the workbench (web app and REST API) on hypercorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spinscope.cli.common import (
    DbOption,
    LLMCacheOption,
    LLMKeyOption,
    LLMMaxTokensOption,
    LLMModelOption,
    LLMOption,
    LLMRetriesOption,
    LLMTimeoutOption,
    MaxSecondsOption,
    budget,
    fail,
    llm_options,
)
from spinscope.errors import SpinscopeError, UsageError
from spinscope.pipeline import DEFAULT_LAYERS, MAX_SECONDS

#: Seconds a connection may stay without a complete request's headers (or idle between
#: requests) before `serve` closes it: a client that opens connections and never finishes its
#: headers cannot hold them.
HEADER_TIMEOUT_S = 5.0


def serve(
    db: DbOption = None,
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
    reviewers: Annotated[
        Path | None,
        typer.Option(
            help="A file naming the reviewers, one per line: NAME TOKEN. Writes must then "
            "carry a reviewer's token (or --token), and each correction is kept under the "
            "reviewer's name; anyone may read.",
            exists=True,
            dir_okay=False,
            show_default=False,
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
    llm_max_tokens: LLMMaxTokensOption = None,
    llm_timeout: LLMTimeoutOption = None,
    llm_retries: LLMRetriesOption = None,
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
    from spinscope.web.reviewers import read_reviewers

    if not is_loopback(host) and not token and not reviewers:
        fail(
            f"--host {host} is not a loopback address: set an API token with --token or "
            f"SPINSCOPE_TOKEN, or name the reviewers with --reviewers, so that nobody else "
            f"can write to the store",
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
            reviewers=read_reviewers(reviewers) if reviewers else {},
            analysis_threads=analysis_threads or Settings.analysis_threads,
            max_seconds=budget(max_seconds),
            allowed_hosts=tuple(hosts),
            llm=llm_options(
                llm, llm_model, llm_key, llm_cache, llm_max_tokens, llm_timeout, llm_retries
            ),
        )
        store = Store(db)
        workbench = Workbench(store, settings)
        if sample and store.count() == 0:
            typer.echo("Analysing the sample corpus (first start)…", err=True)
            typer.echo(f"Stored {workbench.load_samples()} sample articles.", err=True)
        workbench.run_jobs()
    except UsageError as exc:  # the --llm options
        fail(str(exc), 2)
    except (SpinscopeError, ValueError) as exc:
        fail(str(exc))
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
