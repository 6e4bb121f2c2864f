"""Seconds and peak memory of one long article, by length: does the cost grow linearly?

    python benchmarks/bench_long.py [--data DIR] [--sizes 10,100,500,2000] [--json FILE]

Each article is built by joining the PolNeAR texts in DIR (`*.txt`, default: the PolNeAR train
texts in `../shared/data/polnear/train/text`), in name order, with a blank line between them,
cut to SIZE kilobytes (1,000 bytes of UTF-8). Each size is analysed by the default pipeline in a
fresh Python process on one thread (`SPINSCOPE_THREADS=1`, as a batch worker runs): the models
are loaded and warmed on a short text first, then the article is timed alone. Peak memory is
that process's largest resident set (`getrusage` maxrss), models included.

The figures to read: seconds per KB at each size (linear cost: the same at every size) and the
peak memory at the largest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear" / "train" / "text"
)
WARM_UP = "NATO is slaughtering Ukrainians, Peskov said. “We will win,” he insisted.\n"


def long_text(data: Path, kilobytes: int) -> str:
    """The PolNeAR texts of `data`, joined, cut to `kilobytes` (at a character boundary)."""
    limit = kilobytes * 1000
    parts, size = [], 0
    for path in sorted(data.glob("*.txt")):
        text = path.read_text(encoding="utf-8").strip()
        parts.append(text)
        size += len(text.encode("utf-8")) + 2
        if size >= limit:
            break
    if size < limit:
        sys.exit(f"error: {data}: the texts make only {size:,} bytes, fewer than {limit:,}")
    return "\n\n".join(parts).encode("utf-8")[:limit].decode("utf-8", "ignore")


def measure(data: Path, kilobytes: int) -> dict[str, Any]:
    """In a child process: analyse one article of `kilobytes`."""
    from spinscope.document import Article
    from spinscope.pipeline import Pipeline

    text = long_text(data, kilobytes)
    pipeline = Pipeline(max_seconds=None)
    pipeline.analyze(WARM_UP)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    analysis = pipeline.analyze(Article(id=f"long-{kilobytes}k", text=text))
    seconds = time.perf_counter() - start
    return {
        "kilobytes": kilobytes,
        "characters": len(text),
        "seconds": seconds,
        "seconds_per_kb": seconds / kilobytes,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_mb_after_warm_up": before,
        "sentences": len(analysis.sentences),
        "quotes": len(analysis.quotes),
        "techniques": len(analysis.techniques),
        "entities": len(analysis.entities),
    }


def in_child(data: Path, kilobytes: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(kilobytes), "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SPINSCOPE_THREADS": "1", "OMP_NUM_THREADS": "1"},
    )
    if done.returncode != 0:
        sys.exit(f"error: the {kilobytes} KB run failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="10,100,500,2000", help="kilobytes, comma-separated")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.data, args.child)))
        return
    if not args.data.is_dir():
        sys.exit(f"error: {args.data}: no such directory (the PolNeAR texts)")
    sizes = [int(size) for size in args.sizes.split(",")]
    runs = []
    for kilobytes in sizes:
        run = in_child(args.data, kilobytes)
        runs.append(run)
        print(
            f"{kilobytes:>6} KB  {run['seconds']:8.1f} s  {run['seconds_per_kb']:.3f} s/KB  "
            f"peak {run['peak_rss_mb']:7.0f} MB  ({run['sentences']} sentences, "
            f"{run['quotes']} quotes, {run['techniques']} techniques)",
            flush=True,
        )
    results = {
        "machine": {
            "nproc": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "load_average_1min": os.getloadavg()[0],
        },
        "runs": runs,
    }
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
