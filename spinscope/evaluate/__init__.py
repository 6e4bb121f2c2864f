"""Evaluation harnesses: score spinscope's layers against annotated data in `../shared/data`.

Each benchmark module reads its data's official format, scores with the official metrics, and
declares how `spinscope eval` runs it (a `Benchmark`, which its layer names); `evaluate` runs
one.
"""

from __future__ import annotations

from spinscope.evaluate.benchmark import Benchmark, Result, Run, evaluate, load

__all__ = ["Benchmark", "Result", "Run", "evaluate", "load"]
