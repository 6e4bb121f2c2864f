"""What one layer adds to the analysis of an article: its own run time, with the spaCy parse, the
shared encoder pass and the layers it requires already done (as they are in the default
pipeline).

    python benchmarks/layer_cost.py entities [--data DIR]

DIR holds `*.txt` articles (default: the PolNeAR dev texts, as `bench_analyze.py` reads).
Prints the median and 90th percentile in milliseconds, and the median of the rest of the
pipeline (`quotes`, `claims`, `techniques`) for comparison.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from spinscope.document import Article
from spinscope.layers import Findings, resolve
from spinscope.parse import load_nlp, parse
from spinscope.pipeline import DEFAULT_LAYERS

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear" / "dev" / "text"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layer")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    base = [name for name in DEFAULT_LAYERS if name != args.layer]
    layers = resolve([*base, args.layer])
    nlp = load_nlp()
    own, rest = [], []
    for path in sorted(args.data.glob("*.txt")):
        started = time.perf_counter()
        parsed = parse(Article(id=path.stem, text=path.read_text(encoding="utf-8")), nlp)
        _ = parsed.units  # the shared encoder pass, counted with the rest
        found: Findings = {}
        for layer in layers:
            began = time.perf_counter()
            found[layer.name] = layer.run(parsed, found)
            if layer.name == args.layer:
                own.append(time.perf_counter() - began)
        rest.append(time.perf_counter() - started - own[-1])
    own.sort()
    print(
        f"{args.layer}: {len(own)} articles; median {1000 * statistics.median(own):.1f} ms, "
        f"90th percentile {1000 * own[int(0.9 * (len(own) - 1))]:.1f} ms; the rest of the "
        f"pipeline: median {1000 * statistics.median(rest):.0f} ms"
    )


if __name__ == "__main__":
    main()
