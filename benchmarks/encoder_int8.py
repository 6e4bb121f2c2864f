"""The encoder pass with its int8 weights folded to float32 (as onnxruntime ran the shipped file
until issue 17) against the int8 products spinscope runs (`spinscope.ml.encoder.int8_products`):
time per pass on one thread, and how far the vectors move.

Each article's non-empty lines are its units (no spaCy parse, so that only the encoder is
timed). The two sessions run in turn, twice each, and the faster run of each is kept:

    SPINSCOPE_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/encoder_int8.py
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import onnx

from spinscope.document import Span
from spinscope.ml.encoder import EncodedUnit, Encoder, _tap, load_graph, session

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polnear" / "dev" / "text"


def folded() -> Encoder:
    """An encoder whose session is the shipped graph as it is (onnxruntime folds the weights)."""
    encoder = Encoder(threads=1)
    model = load_graph()
    model.graph.output.append(onnx.ValueInfoProto(name=_tap(model)))
    encoder.session = session(model, threads=1)
    return encoder


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of .txt articles")
    parser.add_argument("--articles", type=int, default=40)
    args = parser.parse_args()
    paths = sorted(args.data.glob("*.txt"))[: args.articles]
    if not paths:
        raise SystemExit(f"no .txt articles in {args.data}")
    texts = [path.read_text("utf-8") for path in paths]
    spans = [
        [Span.of(text, start, start + len(line)) for start, line in lines(text)] for text in texts
    ]
    encoders = {"float32 (folded)": folded(), "int8 products": Encoder(threads=1)}
    seconds = dict.fromkeys(encoders, float("inf"))
    units: dict[str, list[list[EncodedUnit]]] = {}
    for _ in range(2):
        for name, encoder in encoders.items():
            began = time.perf_counter()
            units[name] = [encoder.encode(t, s) for t, s in zip(texts, spans, strict=True)]
            seconds[name] = min(seconds[name], time.perf_counter() - began)
    pieces = sum(len(u.offsets) for article in units["int8 products"] for u in article)
    print(f"{len(texts)} articles, {sum(map(len, spans))} lines, {pieces} word pieces")
    for name, spent in seconds.items():
        print(f"{name}: {spent:.2f} s ({len(texts) / spent:.2f} articles/s)")
    old, new = units["float32 (folded)"], units["int8 products"]
    pairs = [(a, b) for x, y in zip(old, new, strict=True) for a, b in zip(x, y, strict=True)]
    figures = {
        "sentence": np.array([float(a.vector @ b.vector) for a, b in pairs]),
        "token": np.concatenate([cosines(a.tokens, b.tokens) for a, b in pairs if len(a.tokens)]),
        "tapped": np.concatenate(
            [cosines(p, q) for a, b in pairs for p, q in zip(a.tapped, b.tapped, strict=True)]
        ),
    }
    for name, values in figures.items():
        print(
            f"{name} cosine, int8 against float32: mean {values.mean():.4f}, "
            f"1st percentile {np.percentile(values, 1):.4f}, min {values.min():.4f}"
        )


def lines(text: str) -> list[tuple[int, str]]:
    """(start, line) of each non-empty line of `text`."""
    result, start = [], 0
    for line in text.split("\n"):
        if line.strip():
            result.append((start, line))
        start += len(line) + 1
    return result


if __name__ == "__main__":
    main()
