"""Throughput of `spinscope batch` with 1 and 2 workers, beside the pipeline's own per core.

    python benchmarks/bench_batch.py [--data DIR] [--layers A,B,…] [--engine local|ray]
                                     [--chunk-size N] [--json FILE]

Runs, each in a fresh process and a fresh output folder (in a temporary directory):

- `spinscope batch DIR --out run.parquet --workers 1`, then `--workers 2`: wall time of the
  whole command (start, model loads, reading, writing the Parquet chunks included), and
  articles/s; then the 2-worker command again on its own output, which must do no work (the
  time a resumed run spends finding that out);
- the pipeline alone, per core: `analyze_many` with one worker and the encoder on one thread
  (`SPINSCOPE_THREADS=1`), over the same articles, no files written (as
  `bench_analyze.py` measures it).

and prints the speedup of 2 workers over 1 and the batch run's throughput per worker against
the pipeline's per core. Default corpus: the 840 PolNeAR train texts
(`../shared/data/polnear/train/text`), long enough that the start-up is a small part. The issue's
goals: 2 workers ≥ 1.8 × 1 worker, and per worker within 10% of the pipeline per core.

Run it on a quiet machine: figures taken while other jobs use the cores mean nothing. The load
average before each run is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_analyze import machine  # type: ignore[import-not-found]

DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear" / "train" / "text"
)
#: One thread per worker everywhere (BLAS, OpenMP, the encoder): a worker is one core, so that
#: 1 worker is the per-core figure and 2 workers can be compared with it.
QUIET_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "SPINSCOPE_THREADS": "1",
    "RAY_AUTH_MODE": "disabled",
}


def batch_run(
    data: Path, out: Path, workers: int, layers: str, engine: str, chunk_size: int
) -> dict[str, Any]:
    script = Path(sys.executable).with_name("spinscope")
    command = [
        str(script),
        "batch",
        str(data),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--layers",
        layers,
        "--engine",
        engine,
        "--chunk-size",
        str(chunk_size),
    ]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **QUIET_ENV}, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"error: {' '.join(command)} failed:\n{done.stderr}")
    summary = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    if "bad records" in summary:
        summary = done.stderr.strip().splitlines()[-2]
    analysed = int(summary.split(": ")[1].split(" analysed")[0]) if ": " in summary else 0
    return {
        "workers": workers,
        "engine": engine,
        "summary": summary,
        "analysed": analysed,
        "seconds": seconds,
        "articles_per_s": analysed / seconds if analysed else None,
        "load_average_before": load,
    }


def pipeline_per_core(data: Path, layers: str) -> dict[str, Any]:
    """`analyze_many` on one worker, encoder on one thread, in a child process."""
    code = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from spinscope.document import Article\n"
        "from spinscope.pipeline import analyze_many\n"
        "paths = sorted(Path(sys.argv[1]).glob('*.txt'))\n"
        "items = ((Article(id=p.stem, text=p.read_text('utf-8')), None) for p in paths)\n"
        "start = time.perf_counter()\n"
        "n = sum(1 for _ in analyze_many(items, layers=tuple(sys.argv[2].split(','))))\n"
        "print(json.dumps({'articles': n, 'seconds': time.perf_counter() - start}))\n"
    )
    env = {**os.environ, **QUIET_ENV}
    load = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, "-c", code, str(data), layers],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    result["articles_per_s"] = result["articles"] / result["seconds"]
    result["load_average_before"] = load
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of .txt articles")
    parser.add_argument("--layers", help="comma-separated layers (default: the default layers)")
    parser.add_argument("--engine", choices=["local", "ray"], default="local")
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    from spinscope.pipeline import DEFAULT_LAYERS

    layers = args.layers or ",".join(DEFAULT_LAYERS)
    data = args.data.resolve()
    results: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "data": str(data),
        "layers": layers.split(","),
        "machine": machine(),
    }
    with tempfile.TemporaryDirectory() as scratch:
        runs = []
        for workers in (1, 2):
            out = Path(scratch) / f"run-{workers}.parquet"
            runs.append(batch_run(data, out, workers, layers, args.engine, args.chunk_size))
        rerun = batch_run(data, out, 2, layers, args.engine, args.chunk_size)
    results["batch"] = runs
    results["rerun_no_work"] = rerun
    results["pipeline_per_core"] = pipeline_per_core(data, layers)
    one, two = runs[0]["articles_per_s"], runs[1]["articles_per_s"]
    core = results["pipeline_per_core"]["articles_per_s"]
    results["speedup_2_over_1"] = two / one if one and two else None
    results["batch_per_worker_over_pipeline_per_core"] = {
        "1 worker": one / core if one else None,
        "2 workers": two / 2 / core if two else None,
    }
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
