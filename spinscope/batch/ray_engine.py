"""The Ray engine of `spinscope batch --engine ray` (the `ray` extra): Ray Data, an actor pool
with one `Pipeline` per actor (the models load once per actor), reading the inputs in Ray tasks.

    files ─ from_items ─ flat_map(read one file) ─ map_batches(_Analyzer actors) ─ driver
                             records, read errors,      analyses or failures      commits chunks
                             skips (done before)

The records are read by the same function as the local engine's (`records.records`: the same
ingest, ids, skips and errors), the analyses come from the same `Pipeline` under the same error
policy, and Ray Data keeps the input order (`preserve_order`), so the driver sees the same
events in the same order and cuts the same chunks: the output is the local engine's.

Without `--ray-address` a local Ray runtime is started for the run (on 127.0.0.1 when Ray was
not imported before: see `LOOPBACK_ENV`; no dashboard, a capped object store) and stopped after
it; with one, the run joins that cluster.
A runtime already started in the process (`ray.init` by the caller) is used as it is.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from typing import Any

from spinscope.batch.chunks import Done
from spinscope.batch.records import SKIPPED, BatchOptions, Event, Record, Result, records
from spinscope.document import Analysis, Article
from spinscope.errors import InputError, require
from spinscope.ingest.base import Loaded
from spinscope.llm import LLMOptions
from spinscope.pipeline import Pipeline, analyze_or_error

#: Records per batch handed to an actor: small, so that the actors share the work evenly.
BATCH_RECORDS = 4
#: The object store of a local runtime started here.
LOCAL_OBJECT_STORE = 512 * 1024**2
#: Ray Data's largest block made by reading, in bytes: a big input file is cut into blocks of
#: a few hundred articles, so that several actors can work on it.
MAX_BLOCK_BYTES = 1024**2

#: Set to 0 before Ray is imported, Ray takes the loopback address as the node's own.
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"

_COLUMNS = ("kind", "where", "article_id", "payload", "notes")


def _row(
    kind: str, where: str = "", article_id: str = "", payload: str = "", notes: str = ""
) -> dict[str, str]:
    return {
        "kind": kind,
        "where": where,
        "article_id": article_id,
        "payload": payload,
        "notes": notes,
    }


def _read(row: dict[str, Any], options: BatchOptions, done: Done) -> Iterator[dict[str, str]]:
    """The records of one input file, as rows, streamed (a Ray Data `flat_map`)."""
    for item in records(str(row["source"]), options, done):
        if isinstance(item, Record):
            article = item.article
            notes = json.dumps(item.notes)
            yield _row("article", item.where, article.id, article.model_dump_json(), notes)
        elif isinstance(item, InputError):
            yield _row("error", item.source, payload=item.reason)
        else:
            yield _row("skip")


class _Analyzer:
    """One Ray actor: one pipeline, models loaded once, articles analysed batch by batch."""

    def __init__(
        self,
        layers: tuple[str, ...],
        english_only: bool,
        max_seconds: float | None,
        llm: LLMOptions | None,
    ) -> None:
        os.environ.setdefault("SPINSCOPE_THREADS", "1")  # one encoder thread per actor
        self.pipeline = Pipeline(layers, english_only, max_seconds, llm=llm)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {name: [] for name in _COLUMNS}
        for i in range(len(batch["kind"])):
            row = {name: str(batch[name][i]) for name in _COLUMNS}
            if row["kind"] == "article":
                article = Article.model_validate_json(row["payload"])
                notes = tuple(json.loads(row["notes"]))
                outcome = analyze_or_error(self.pipeline, Loaded(article, notes))
                if isinstance(outcome, Analysis):
                    row["kind"], row["payload"] = "analysis", outcome.to_json(indent=None)
                else:
                    row["kind"], row["payload"] = "failed", outcome.reason
            for name in _COLUMNS:
                out[name].append(row[name])
        return out


def _connect(options: BatchOptions) -> bool:
    """Start or join Ray for the run; whether it was started here (and must be shut down)."""
    import ray

    if ray.is_initialized():
        return False
    env = {"env_vars": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}}
    if options.ray_address is not None:
        ray.init(address=options.ray_address, runtime_env=env, log_to_driver=False)
    else:
        ray.init(
            num_cpus=options.workers + 1,  # the actors, and one for the reading tasks
            include_dashboard=False,
            object_store_memory=LOCAL_OBJECT_STORE,
            runtime_env=env,
            log_to_driver=False,
        )
    return True


def ray_events(files: list[str], options: BatchOptions, done: Done) -> Iterator[Event]:
    """The events of the run (see `run.Event`), in input order, computed on Ray."""
    if options.ray_address is None:
        # Read when Ray is imported: a runtime started here then takes 127.0.0.1 as the node's
        # address (Ray would otherwise pick the machine's outward address, as for a cluster).
        os.environ.setdefault(LOOPBACK_ENV, "0")
    require("ray", "--engine ray", "ray")
    import ray
    import ray.data

    if not files:
        return
    started = _connect(options)
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.target_max_block_size = MAX_BLOCK_BYTES
        context.enable_progress_bars = False
        dataset = (
            ray.data.from_items([{"source": f} for f in files], override_num_blocks=len(files))
            .flat_map(functools.partial(_read, options=options, done=done), num_cpus=0.5)
            .map_batches(
                _Analyzer,
                fn_constructor_kwargs={
                    "layers": options.layers,
                    "english_only": options.english_only,
                    "max_seconds": options.max_seconds,
                    "llm": options.llm,
                },
                batch_size=BATCH_RECORDS,
                compute=ray.data.ActorPoolStrategy(size=options.workers),
                num_cpus=1,
            )
        )
        for row in dataset.iter_rows():
            yield _event(row)
    finally:
        if started:
            ray.shutdown()


def _event(row: dict[str, Any]) -> Event:
    kind, where, payload = row["kind"], row["where"], row["payload"]
    if kind == "skip":
        return SKIPPED
    if kind == "error":
        return InputError(where, payload)
    if kind == "analysis":
        return Result(Analysis.from_json(payload), where)
    return Result(InputError(row["article_id"], payload), where)
