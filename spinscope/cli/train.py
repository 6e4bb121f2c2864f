"""`spinscope train LAYER`: fit a layer's models with the trainer its layer declares
(`spinscope.train.Trainer`)."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from spinscope.cli.common import declared, fail, listing
from spinscope.errors import SpinscopeError
from spinscope.train import Trainer


def train(
    layer: Annotated[
        str | None,
        typer.Argument(
            help="The layer to train, or its trainer's name (checkworthiness for claims); "
            "without it, the trainers and the data each reads are listed.",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="The training data (`spinscope train` lists what each reads)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the artifacts there instead of into the package.", metavar="DIR"),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    limit: Annotated[
        int | None,
        typer.Option(help="Use only the first N articles of each split (quick checks).", min=1),
    ] = None,
    extra: Annotated[
        Path | None,
        typer.Option(
            help="More training articles in the same format, all fitted on, never scored: "
            "reviewers' corrections (`spinscope export corrections`).",
            metavar="DIR",
        ),
    ] = None,
) -> None:
    """Train a layer from annotated data and write its models and model card into the package
    (or --out), with the trainer its layer declares (`spinscope.layers.register(...,
    trainer=...)`)."""
    from spinscope.ml.heads import MODELS_DIR

    trainers = declared("trainer")
    if layer is None:
        Console(highlight=False).print(
            listing("spinscope train LAYER --data DATA", "LAYER", trainers, _data)
        )
        return
    if layer not in trainers:
        fail(f"no trainer for {layer!r}; trainable: {', '.join(sorted(trainers))}", 2)
    if data is None:
        fail(f"train {layer} needs --data (the annotated data to train on)", 2)
    module = trainers[layer]
    name = module.rpartition(".")[2]  # a trainer writes models/<its name>/

    def progress(message: str) -> None:
        typer.echo(f"{name}: {message}", err=True)

    trainer: Trainer = importlib.import_module(module)
    more = {"extra": extra} if extra is not None else {}
    if more and not _takes_extra(module):
        taking = ", ".join(name for name, found in trainers.items() if _takes_extra(found))
        fail(f"train {layer} takes no --extra yet; those that do: {taking or 'none'}", 2)
    try:
        card = trainer.train(
            data, out or MODELS_DIR / name, seed=seed, limit=limit, progress=progress, **more
        )
    except (SpinscopeError, OSError) as exc:
        fail(str(exc))
    typer.echo(json.dumps(card["validation"], indent=2))


def _takes_extra(module: str) -> bool:
    """Whether the trainer `module` folds in extra data (`--extra`)."""
    trainer: Trainer = importlib.import_module(module)
    return "extra" in inspect.signature(trainer.train).parameters


def _data(module: str) -> str:
    trainer: Trainer = importlib.import_module(module)
    return trainer.DATA
