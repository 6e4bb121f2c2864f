"""`spinscope eval NAME`: score a layer against annotated data, with the benchmark its layer
declares (`spinscope.evaluate.benchmark`): one command, the same steps for every layer."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from spinscope.cli.common import (
    LLMCacheOption,
    LLMKeyOption,
    LLMMaxTokensOption,
    LLMModelOption,
    LLMOption,
    LLMRetriesOption,
    LLMTimeoutOption,
    declared,
    fail,
    listing,
    llm_options,
)
from spinscope.errors import SpinscopeError, UsageError
from spinscope.evaluate.benchmark import Split
from spinscope.layers import registered


def evaluate(
    name: Annotated[
        str | None,
        typer.Argument(
            help="The layer (or its benchmark's name, e.g. checkworthiness for claims); "
            "without it, the benchmarks and the data each reads are listed.",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="The annotated data (`spinscope eval` lists what each reads)."),
    ] = None,
    split: Annotated[
        Split, typer.Option(help="Score every article, or only spinscope's validation split.")
    ] = "all",
    level: Annotated[
        str | None,
        typer.Option(
            help="Another way to score the same data (`spinscope eval` lists them).",
            show_default=False,
        ),
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(help="Also write the predictions there, in the official format."),
    ] = None,
    score: Annotated[
        Path | None,
        typer.Option(help="Score these predictions (a file or folder); the layer does not run."),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    llm: LLMOption = None,
    llm_model: LLMModelOption = None,
    llm_key: LLMKeyOption = None,
    llm_cache: LLMCacheOption = None,
    llm_max_tokens: LLMMaxTokensOption = None,
    llm_timeout: LLMTimeoutOption = None,
    llm_retries: LLMRetriesOption = None,
) -> None:
    """Score a layer against annotated data, with the official metrics of its benchmark."""
    from spinscope.evaluate.benchmark import Run, load
    from spinscope.evaluate.benchmark import evaluate as run_benchmark
    from spinscope.llm import LLMClient, refine_or_warn

    benchmarks = declared("benchmark")
    try:
        if name is None:
            Console(highlight=False).print(
                listing("spinscope eval NAME --data DATA", "NAME", benchmarks, _data)
            )
            return
        if name not in benchmarks:
            known = ", ".join(sorted(benchmarks))
            raise UsageError(f"no benchmark for {name!r}; these can be scored: {known}")
        if data is None:
            raise UsageError(f"eval {name} needs --data (the annotated data to score against)")
        options = llm_options(
            llm, llm_model, llm_key, llm_cache, llm_max_tokens, llm_timeout, llm_retries
        )
        refine = None
        if options is not None:
            # the layer the benchmark scores is the one refined
            scored = [layer for layer in registered() if layer.benchmark == benchmarks[name]]
            refine = functools.partial(refine_or_warn, client=LLMClient(options), layers=scored)
        result = run_benchmark(
            load(benchmarks[name]),
            data,
            split=split,
            level=level,
            predictions=predictions,
            score=score,
            run=Run(workers=workers, refine=refine),
        )
    except UsageError as exc:
        fail(str(exc), 2)
    except (SpinscopeError, OSError) as exc:  # the data, or the predictions written or read
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.data, indent=2))
    else:
        Console(highlight=False).print(result.table)


def _data(reference: str) -> str:
    """What the benchmark `reference` reads, and its levels."""
    from spinscope.evaluate.benchmark import load

    benchmark = load(reference)
    levels = [benchmark.level, *benchmark.levels] if benchmark.level else []
    return benchmark.data + (f" (--level {'|'.join(levels)})" if levels else "")
