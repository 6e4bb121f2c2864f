"""Where an analysing process's memory goes: what each stage of the analysis allocates.

    python benchmarks/memory_stages.py [--data DIR]

DIR holds `*.txt` articles (default: the PolNeAR dev texts, as `bench_analyze.py` reads). One
process loads the models by analysing the bundled sample article (the resident set then is
printed), then analyses every article stage by stage as the default pipeline runs them (the
spaCy parse, the shared encoder pass, each default layer) and prints, per stage, the most it
allocated above what it started with (numpy arrays and Python objects, by `tracemalloc`; what
C code allocates outside numpy, onnxruntime's buffers among it, is not seen): the median over
the articles, the most, and the longest article's. Last, the process's resident set and its
peak (`/proc/self/status`), which is what `bench_analyze.py` reports per worker. Run it in an
environment without torch (`pip install -e .`): spaCy imports torch when it is installed, and
the process then holds some 180 MB more.
"""

from __future__ import annotations

import argparse
import statistics
import tracemalloc
from pathlib import Path

from spinscope.document import Article
from spinscope.ingest import sample_article
from spinscope.layers import Findings, resolve
from spinscope.parse import load_nlp, parse
from spinscope.pipeline import DEFAULT_LAYERS, Pipeline

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear" / "dev" / "text"


def resident() -> str:
    """The process's resident set and its peak so far, in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    now, peak = (int(fields[key].split()[0]) // 1024 for key in ("VmRSS", "VmHWM"))
    return f"resident {now} MB, peak {peak} MB"


def _start() -> int:
    """Start measuring a stage: the bytes allocated now."""
    tracemalloc.reset_peak()
    return tracemalloc.get_traced_memory()[0]


def _since(began: int) -> int:
    """The most bytes allocated above `began` since `_start`."""
    return tracemalloc.get_traced_memory()[1] - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    paths = sorted(args.data.glob("*.txt"))
    if not paths:
        parser.error(f"{args.data}: no *.txt articles there")
    Pipeline().analyze(sample_article().text)  # the models load on first use
    print(f"models loaded: {resident()}")
    layers = resolve(list(DEFAULT_LAYERS))
    nlp = load_nlp()
    peaks: dict[str, list[int]] = {}
    lengths = []
    tracemalloc.start()
    for path in paths:
        text = path.read_text(encoding="utf-8")
        lengths.append(len(text))
        began = _start()
        parsed = parse(Article(id=path.stem, text=text), nlp)
        peaks.setdefault("spaCy parse (and language check)", []).append(_since(began))
        began = _start()
        _ = parsed.units
        peaks.setdefault("encoder pass", []).append(_since(began))
        found: Findings = {}
        for layer in layers:
            began = _start()
            found[layer.name] = layer.run(parsed, found)
            peaks.setdefault(layer.name, []).append(_since(began))
    tracemalloc.stop()
    longest = max(range(len(paths)), key=lengths.__getitem__)
    print(f"{len(paths)} articles; allocated by each stage above its start, in MB:")
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
