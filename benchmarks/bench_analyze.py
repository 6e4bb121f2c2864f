"""Speed and memory of `spinscope analyze` on real news articles.

    python benchmarks/bench_analyze.py [--data DIR] [--layers A,B,…] [--repeats N] [--json FILE]

Measures, over the articles in DIR (`*.txt`, default: the PolNeAR dev texts in
`../shared/data/polnear/dev/text`):

- throughput, articles/second, of `spinscope.pipeline.analyze_many` with 1 and 2 worker
  processes: end to end (worker start and model load included) and steady state (from the
  first result to the last); one worker is measured twice, its encoder on one thread
  (`SPINSCOPE_THREADS=1`, the per-core figure) and on all cores (the default);
- warm latency per article: one `Pipeline`, models loaded, each article timed alone; and the
  floor under it: spaCy's parse and the encoder's pass, timed alone;
- cold start: wall time of the `spinscope analyze ARTICLE --format json` command, a fresh
  process each time (median of N runs), and of `spinscope --version` for comparison;
- peak memory: the largest resident set (`getrusage` maxrss) of the analysing process(es).

`--layers` names the layers run (default: the pipeline's `DEFAULT_LAYERS`); the cold start
always runs the command's defaults.

Every measurement runs in a fresh Python process, so one does not warm up the next.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear" / "dev" / "text"


def corpus(data: Path) -> list[Any]:
    from spinscope.document import Article

    paths = sorted(data.glob("*.txt"))
    if not paths:
        sys.exit(f"error: {data}: no .txt articles")
    return [Article(id=p.stem, text=p.read_bytes().decode("utf-8")) for p in paths]


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


# --- measurements, each run in a child process --------------------------------------------


def measure_throughput(data: Path, workers: int, layers: tuple[str, ...]) -> dict[str, Any]:
    from spinscope.document import Analysis
    from spinscope.pipeline import analyze_many

    articles = corpus(data)
    start = time.perf_counter()
    first = last = start
    failed = 0
    for result, _ in analyze_many(((a, None) for a in articles), layers=layers, workers=workers):
        last = time.perf_counter()
        if first == start:
            first = last
        failed += not isinstance(result, Analysis)
    total = last - start
    return {
        "workers": workers,
        "articles": len(articles),
        "failed": failed,
        "characters": sum(len(a.text) for a in articles),
        "seconds": total,
        "articles_per_s": len(articles) / total,
        "steady_articles_per_s": (len(articles) - 1) / (last - first) if last > first else None,
        "peak_rss_mb_main": peak_mb(resource.RUSAGE_SELF),
        "peak_rss_mb_worker": (
            peak_mb(resource.RUSAGE_SELF) if workers == 1 else peak_mb(resource.RUSAGE_CHILDREN)
        ),
    }


def measure_latency(data: Path, layers: tuple[str, ...]) -> dict[str, Any]:
    from spinscope.parse import load_nlp, parse
    from spinscope.pipeline import Pipeline

    articles = corpus(data)
    pipeline = Pipeline(layers)
    start = time.perf_counter()
    load_nlp()
    load_s = time.perf_counter() - start
    pipeline.analyze(articles[0])  # warm-up
    times = []
    for article in articles:
        start = time.perf_counter()
        pipeline.analyze(article)
        times.append(time.perf_counter() - start)
    parse_times, encode_times = [], []
    for article in articles:  # the floor: spaCy's parse, then the encoder's pass
        start = time.perf_counter()
        parsed = parse(article, load_nlp())
        middle = time.perf_counter()
        parsed.units  # noqa: B018 (computed on first access)
        parse_times.append(middle - start)
        encode_times.append(time.perf_counter() - middle)
    words = [len(a.text.split()) for a in articles]
    return {
        "parse_median_ms": 1000 * statistics.median(parse_times),
        "encode_median_ms": 1000 * statistics.median(encode_times),
        "articles": len(articles),
        "model_load_s": load_s,
        "median_words": statistics.median(words),
        "median_ms": 1000 * statistics.median(times),
        "mean_ms": 1000 * statistics.fmean(times),
        "p90_ms": 1000 * statistics.quantiles(times, n=10)[-1],
        "max_ms": 1000 * max(times),
        "peak_rss_mb": peak_mb(resource.RUSAGE_SELF),
    }


def in_child(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        sys.exit(f"error: benchmark child {args} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def cold_start(article: Path, repeats: int) -> dict[str, Any]:
    script = Path(sys.executable).with_name("spinscope")
    if not script.is_file():
        sys.exit(f"error: {script} not found; install spinscope in this environment")

    def wall(*args: str) -> list[float]:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([str(script), *args], stdout=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - start)
        return times

    analyze = wall("analyze", str(article), "--format", "json", "--quiet")
    version = wall("--version")
    return {
        "repeats": repeats,
        "article": article.name,
        "analyze_median_s": statistics.median(analyze),
        "analyze_min_s": min(analyze),
        "version_median_s": statistics.median(version),
    }


# --- report -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    import spacy

    from spinscope import __version__

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "spacy": spacy.__version__,
        "spinscope": __version__,
        "load_average_1min": os.getloadavg()[0],
    }


def print_report(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    m = results["machine"]
    table = Table(
        title=f"spinscope analyze, {results['throughput'][0]['articles']} articles",
        caption=(
            f"layers: {', '.join(results['layers'])}; "
            f"{m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, spaCy {m['spacy']}; "
            f"load average before: {m['load_average_1min']:.2f}"
        ),
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for run in results["throughput"]:
        who = f"{run['workers']} worker(s)"
        if run["workers"] == 1:
            who += f", encoder threads: {run['encoder_threads']}"
        table.add_row(f"throughput, {who}, end to end", f"{run['articles_per_s']:.2f} art/s")
        table.add_row(f"throughput, {who}, steady", f"{run['steady_articles_per_s']:.2f} art/s")
        table.add_row(f"peak RSS per worker, {who}", f"{run['peak_rss_mb_worker']:.0f} MB")
    lat = results["latency"]
    table.add_row("warm latency per article, median", f"{lat['median_ms']:.0f} ms")
    table.add_row(
        "warm latency per article, p90 / max", f"{lat['p90_ms']:.0f} / {lat['max_ms']:.0f} ms"
    )
    table.add_row(
        "  of which spaCy parse / encoder pass, median",
        f"{lat['parse_median_ms']:.0f} / {lat['encode_median_ms']:.0f} ms",
    )
    table.add_row("model load", f"{lat['model_load_s']:.2f} s")
    cold = results["cold_start"]
    table.add_row(
        f"cold start, analyze 1 article (median of {cold['repeats']})",
        f"{cold['analyze_median_s']:.2f} s",
    )
    table.add_row("cold start, spinscope --version (median)", f"{cold['version_median_s']:.2f} s")
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of .txt articles")
    parser.add_argument("--repeats", type=int, default=5, help="cold-start runs (median)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--layers", help="comma-separated layers (default: the default layers)")
    parser.add_argument("--child", choices=["throughput", "latency"], help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data: Path = args.data.resolve()
    from spinscope.pipeline import DEFAULT_LAYERS

    layers = tuple(args.layers.split(",")) if args.layers else DEFAULT_LAYERS
    chosen = ("--layers", ",".join(layers))

    if args.child == "throughput":
        print(json.dumps(measure_throughput(data, args.workers, layers)))
        return
    if args.child == "latency":
        print(json.dumps(measure_latency(data, layers)))
        return

    articles = sorted(data.glob("*.txt"))
    if not articles:
        sys.exit(f"error: {data}: no .txt articles")
    typical = sorted(articles, key=lambda p: p.stat().st_size)[len(articles) // 2]
    results = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "data": str(data),
        "machine": machine(),
        "layers": list(layers),
        "throughput": [
            {
                **in_child(
                    *("--child", "throughput", "--workers", str(w), "--data", str(data)),
                    *chosen,
                    env=env,
                ),
                "encoder_threads": env.get("SPINSCOPE_THREADS", "all cores"),
            }
            # One worker twice: its encoder on one core (the per-core figure) and on all cores.
            for w, env in ((1, {"SPINSCOPE_THREADS": "1"}), (1, {}), (2, {}))
        ],
        "latency": in_child("--child", "latency", "--data", str(data), *chosen),
        "cold_start": cold_start(typical, args.repeats),
    }
    results["load_average_1min_after"] = os.getloadavg()[0]
    print_report(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
