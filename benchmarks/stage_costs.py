"""What each stage of the analysis costs an article: time, or memory.

    python benchmarks/stage_costs.py [--data DIR] [--limit N]
    python benchmarks/stage_costs.py --memory [--data DIR] [--limit N]

DIR holds `*.txt` articles (default: the PolNeAR dev texts, as `bench_analyze.py` reads). One
process loads the models by analysing the bundled sample article, then analyses every article
stage by stage as the default pipeline runs them: the spaCy parse (with the language check),
the shared encoder pass, each default layer.

Time: each stage's seconds over all the articles and its share of the whole; the quotes and
techniques layers' fine-tuned copies of the encoder's last layers (`retop`) are timed once
more, alone, on the same states, and shown as part of their layers. For the per-core figure,
run it with one thread everywhere (`SPINSCOPE_THREADS=1 OPENBLAS_NUM_THREADS=1`).

Memory (`--memory`): the resident set once the models are loaded; per stage, the most it
allocated above what it started with (numpy arrays and Python objects, by `tracemalloc`; what C
code allocates outside numpy, onnxruntime's buffers among it, is not seen): the median over the
articles, the most, and the longest article's; last, the process's resident set and its peak
(`/proc/self/status`), which is what `bench_analyze.py` reports per worker. Run it in an
environment without torch (`pip install -e .`): spaCy imports torch when it is installed, and
the process then holds some 180 MB more.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from spinscope.document import Article
from spinscope.ingest import sample_article
from spinscope.layers import Findings, resolve
from spinscope.layers.quotes.attribution import tagger as quotes_tagger
from spinscope.layers.techniques import tagger as techniques_tagger
from spinscope.ml.transformer import retop
from spinscope.parse import Parsed, load_nlp, parse
from spinscope.pipeline import DEFAULT_LAYERS, Pipeline

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear" / "dev" / "text"


def resident() -> str:
    """The process's resident set and its peak so far, in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    now, peak = (int(fields[key].split()[0]) // 1024 for key in ("VmRSS", "VmHWM"))
    return f"resident {now} MB, peak {peak} MB"


def analyse(name: str, text: str, measure: Callable[[str], AbstractContextManager[None]]) -> Parsed:
    """Analyse one article as the default pipeline does, each stage inside `measure(stage)`."""
    with measure("spaCy parse"):
        parsed = parse(Article(id=name, text=text), load_nlp())
    with measure("encoder pass"):
        _ = parsed.units
    found: Findings = {}
    for layer in resolve(list(DEFAULT_LAYERS)):
        with measure(layer.name):
            found[layer.name] = layer.run(parsed, found)
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, help="the first N articles only")
    parser.add_argument("--memory", action="store_true", help="memory in place of time")
    args = parser.parse_args()
    paths = sorted(args.data.glob("*.txt"))[: args.limit]
    if not paths:
        parser.error(f"{args.data}: no *.txt articles there")
    Pipeline().analyze(sample_article().text)  # the models load on first use
    texts = {path.stem: path.read_text(encoding="utf-8") for path in paths}
    (memory if args.memory else timing)(texts)


def timing(texts: dict[str, str]) -> None:
    seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def timed(stage: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - began

    copies = {"quotes": quotes_tagger().layers, "techniques": techniques_tagger().layers}
    copy_seconds = dict.fromkeys(copies, 0.0)
    for name, text in texts.items():
        units = analyse(name, text, timed).units
        for layer, layers in copies.items():
            began = time.perf_counter()
            retop(units, layers)
            copy_seconds[layer] += time.perf_counter() - began
    total = sum(seconds.values())
    print(f"{len(texts)} articles, {total:.1f} s in all ({len(texts) / total:.2f} articles/s)")
    print("stage | seconds | share")
    for stage, spent in seconds.items():
        print(f"{stage} | {spent:.1f} | {spent / total:.0%}")
        if stage in copy_seconds:
            copy = copy_seconds[stage]
            print(
                f"  of which its fine-tuned layers (timed alone) | {copy:.1f} | {copy / total:.0%}"
            )


def memory(texts: dict[str, str]) -> None:
    print(f"models loaded: {resident()}")
    peaks: dict[str, list[int]] = {}
    lengths = [len(text) for text in texts.values()]

    @contextlib.contextmanager
    def allocated(stage: str) -> Iterator[None]:
        tracemalloc.reset_peak()
        began = tracemalloc.get_traced_memory()[0]
        yield
        peaks.setdefault(stage, []).append(tracemalloc.get_traced_memory()[1] - began)

    tracemalloc.start()
    for name, text in texts.items():
        analyse(name, text, allocated)
    tracemalloc.stop()
    longest = max(range(len(lengths)), key=lengths.__getitem__)
    print(f"{len(texts)} articles; allocated by each stage above its start, in MB:")
    print(
        "stage | median | most (its article's characters) | "
        f"the longest article ({lengths[longest]:,})"
    )
    for stage, sizes in peaks.items():
        most = max(range(len(sizes)), key=sizes.__getitem__)
        print(
            f"{stage} | {statistics.median(sizes) / 1e6:.1f} | {sizes[most] / 1e6:.1f} "
            f"({lengths[most]:,}) | {sizes[longest] / 1e6:.1f}"
        )
    print(f"after the articles: {resident()}")


if __name__ == "__main__":
    main()
