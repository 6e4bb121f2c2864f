"""What a layer's benchmark declares, and the one runner over it.

Every `spinscope eval NAME` does the same steps: read the gold data, keep spinscope's validation
split if asked, then either run the layer (and perhaps write its predictions in the benchmark's
official format) or read a predictions file instead, and score. A benchmark module declares the
parts that differ as a `Benchmark` (`BENCHMARK`, or several under other names), and its layer
names it: `register(..., benchmark="spinscope.evaluate.frames:GENRE")`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.table import Table

from spinscope.document import Analysis
from spinscope.errors import DataError, UsageError

Split = Literal["all", "validation"]

#: What refines each analysis before it is scored (the LLM backend), or None.
Refine = Callable[[Analysis], Analysis] | None


@dataclass(frozen=True)
class Run:
    """How the layer runs over the gold articles: in `workers` processes, each analysis
    passed through `refine` first when given."""

    workers: int = 1
    refine: Refine = None


@dataclass(frozen=True)
class Result:
    """A benchmark's scores: `data` for `--json`, `table` for people."""

    data: dict[str, Any]
    table: Table


@dataclass(frozen=True)
class Benchmark:
    """One benchmark (see the module's docstring).

    - `data`: what `--data` holds, for the help and the error messages.
    - `read(data)`: the gold; `score(gold, found)`: the `Result`.
    - `predict(gold, run)`: what the layer finds in the gold's articles.
    - `read_predictions(path, gold)` and `write_predictions(path, found, gold)`: the official
      predictions format (`predictions` says whether it is a FILE or a DIR).
    - `subset(gold, keep)`: the gold of the articles whose id `keep` accepts, for
      `--split validation` (None: the data has its own held-out split, or none).
    - `workers` and `llm`: whether the layer can run in several processes, and be refined by an
      LLM, here.
    - `level`: the name of the way this one scores (`--level`), and `levels` the other ways to
      score the same data, each a benchmark of its own.
    """

    name: str
    data: str
    read: Callable[[Path], Any]
    predict: Callable[[Any, Run], Any]
    score: Callable[[Any, Any], Result]
    read_predictions: Callable[[Path, Any], Any]
    write_predictions: Callable[[Path, Any, Any], None]
    subset: Callable[[Any, Callable[[str], bool]], Any] | None = None
    predictions: Literal["FILE", "DIR"] = "FILE"
    workers: bool = False
    llm: bool = False
    level: str | None = None
    levels: Mapping[str, Benchmark] = field(default_factory=dict)

    def at(self, level: str | None) -> Benchmark:
        """This benchmark scored at `level` (None: its default)."""
        if level is None or level == self.level:
            return self
        if level not in self.levels:
            known = ", ".join([self.level, *self.levels]) if self.level else "none"
            raise UsageError(f"eval {self.name}: no level {level!r} (levels: {known})")
        return self.levels[level]


def load(reference: str) -> Benchmark:
    """The benchmark a layer names: `module` (its `BENCHMARK`) or `module:NAME`."""
    module, _, name = reference.partition(":")
    found = getattr(importlib.import_module(module), name or "BENCHMARK")
    if not isinstance(found, Benchmark):
        raise TypeError(f"{reference} is not a Benchmark")
    return found


def evaluate(
    benchmark: Benchmark,
    data: Path,
    *,
    split: Split = "all",
    level: str | None = None,
    predictions: Path | None = None,
    score: Path | None = None,
    run: Run = Run(),
) -> Result:
    """Score `benchmark`'s layer against the gold in `data`: run it (writing its predictions to
    `predictions` when given), or re-score the predictions in `score` without running it."""
    from spinscope.train.split import is_validation

    benchmark = benchmark.at(level)
    name = f"eval {benchmark.name}"
    if predictions is not None and score is not None:
        kind = benchmark.predictions
        raise UsageError(
            f"give --predictions {kind} (run and write) or --score {kind} (re-score), not both"
        )
    if run.refine is not None and not benchmark.llm:
        raise UsageError(f"{name} takes no --llm")
    if run.refine is not None and score is not None:
        raise UsageError("--llm refines new predictions; it does not go with --score")
    if run.workers > 1 and not benchmark.workers:
        raise UsageError(f"{name} runs in one process: it takes no --workers")
    if split != "all" and benchmark.subset is None:
        raise UsageError(f"{name} takes no --split: {benchmark.data} is scored whole")
    gold = benchmark.read(data)
    if split == "validation" and benchmark.subset is not None:
        gold = benchmark.subset(gold, is_validation)
    if score is not None:
        found = benchmark.read_predictions(score, gold)
    else:
        found = benchmark.predict(gold, run)
        if predictions is not None:
            benchmark.write_predictions(predictions, found, gold)
    return benchmark.score(gold, found)


def require_dir(path: Path) -> Path:
    """`path`, which must be a directory (a `DataError` that names it otherwise)."""
    if not path.is_dir():
        raise DataError(f"{path}: no such directory")
    return path


def only(found: Mapping[str, Any], ids: Iterable[str]) -> dict[str, Any]:
    """The entries of `found` (read from a predictions file) for the articles in `ids`."""
    wanted = set(ids)
    return {key: value for key, value in found.items() if key in wanted}
