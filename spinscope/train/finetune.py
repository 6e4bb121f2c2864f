"""Fine-tuning the encoder's last layers together with a word tagger (torch, training only).

The tagger reads what `spinscope.ml.features.word_features` gives it, but from a fine-tuned copy
of the encoder's last layers run on the states the shared pass tapped before them
(`EncodedUnit.tapped`, see `spinscope.ml.transformer`), followed by any extra features of each
word the caller gives (a layer's parse and rule features, say). Training never re-runs the
lower layers: the tapped states of every training article are computed once, by the shared pass.

Recipe (chosen on the inner fold of the training articles; see docs/benchmarks.md): the head
is first trained alone on the frozen encoder's features, then the head and the copied layers
together, AdamW with a linear warm-up and decay, dropout 0.1, gradients clipped at 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from spinscope.arrays import Matrix
from spinscope.errors import SpinscopeError
from spinscope.ml.encoder import DIM, LAYER_NORMS, LINEARS, TAP_LAYER
from spinscope.ml.features import Words, word_features
from spinscope.ml.heads import Head
from spinscope.ml.transformer import HEADS, base_layers
from spinscope.parse import Parsed
from spinscope.train import Progress

if TYPE_CHECKING:
    import torch


#: torch's threads. One: with two, the same run gave weights differing in the last bits (its
#: parallel reductions sum in varying order), and on a core shared with another job torch's
#: spinning threads made training ten times slower.
THREADS = 1


@dataclass(frozen=True)
class Recipe:
    """How the layers and the head are trained (defaults: the measured recipe)."""

    first: int = TAP_LAYER  # the first encoder layer copied and trained
    hidden: int = 256
    head_epochs: int = 3
    epochs: int = 6
    lr: float = 3e-4
    head_lr: float = 1e-3
    dropout: float = 0.1
    weight_decay: float = 0.01
    batch_words: int = 512  # words per batch while the head trains alone
    batch_tokens: int = 1024  # chunk rows × padded length per batch while the layers train
    #: a label's positive words weigh (its negatives / its positives) ** this in the loss:
    #: 0 weighs every word alike, 0.5 by the square root of the imbalance
    positive_weight: float = 0.0


def require_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise SpinscopeError("fine-tuning needs torch: `pip install 'spinscope[train]'`") from None


@dataclass(frozen=True)
class _Unit:
    """One sentence of a training article: its chunks' tapped states and its words."""

    tapped: tuple[Matrix, ...]
    #: per word: indices of its pieces in the unit's tokens (chunks concatenated, no specials)
    pieces: list[npt.NDArray[np.int64]]
    labels: npt.NDArray[np.float32]  # (words, labels)
    extra: Matrix  # (words, extra features)

    @property
    def rows(self) -> int:
        return sum(len(t) for t in self.tapped)


def _units(
    parsed: Parsed, words: Words, labels: npt.NDArray[np.bool_], extra: Matrix | None = None
) -> list[_Unit]:
    extra = np.zeros((len(labels), 0), np.float32) if extra is None else extra
    result = []
    for index, encoded in enumerate(parsed.units):
        mine = np.flatnonzero(words.sentence == index)
        result.append(
            _Unit(
                encoded.tapped,
                [words.pieces[w] for w in mine],
                labels[mine].astype(np.float32),
                extra[mine].astype(np.float32),
            )
        )
    return result


def fine_tune(
    articles: Sequence[tuple[Parsed, Words, npt.NDArray[np.bool_]]],
    labels: tuple[str, ...],
    recipe: Recipe = Recipe(),
    *,
    extras: Sequence[Matrix] | None = None,
    seed: int = 0,
    progress: Progress = lambda message: None,
) -> tuple[list[dict[str, Matrix]], Head]:
    """Train copies of the encoder's layers `recipe.first`… and a tagger head on `articles`
    (each: the parse, its words, and a (words, labels) bool matrix). With `extras` (one
    (words, k) matrix per article, the same k for all), the head reads each word's k extra
    features after its word and sentence vectors, unscaled. Returns the layers' weights
    (Hugging Face names, matrices (in, out)) and the head (thresholds 0.5)."""
    require_torch()
    import torch
    from torch.nn import functional as F

    if extras is None:
        extras = [np.zeros((len(y), 0), np.float32) for _, _, y in articles]
    torch.manual_seed(seed)
    torch.set_num_threads(THREADS)
    rng = np.random.default_rng(seed)
    model = _new_tagger(recipe, len(labels), extras[0].shape[1] if extras else 0)
    Y = np.vstack([y for _, _, y in articles]).astype(np.float32)
    prior = torch.as_tensor(np.clip(Y.mean(axis=0), 1e-4, 1 - 1e-4))
    with torch.no_grad():  # every output starts at its label's base rate
        model.head[-1].bias.copy_(torch.log(prior / (1 - prior)))
    # None, not ones, when unweighted: the loss then computes exactly as it always has
    weight = ((1 - prior) / prior) ** recipe.positive_weight if recipe.positive_weight else None

    X = torch.as_tensor(
        np.vstack(
            [
                np.hstack([word_features(parsed).X, extra])
                for (parsed, _, _), extra in zip(articles, extras, strict=True)
            ]
        )
    )
    Yt = torch.as_tensor(Y)
    optimiser = torch.optim.AdamW(
        model.head.parameters(), lr=recipe.head_lr, weight_decay=recipe.weight_decay
    )
    schedule = _warmup_linear(
        optimiser, recipe.head_epochs * math.ceil(len(X) / recipe.batch_words)
    )
    for epoch in range(recipe.head_epochs):
        model.train()
        order = torch.as_tensor(rng.permutation(len(X)))
        total = 0.0
        for start in range(0, len(order), recipe.batch_words):
            rows = order[start : start + recipe.batch_words]
            loss = F.binary_cross_entropy_with_logits(
                model.head(X[rows]), Yt[rows], pos_weight=weight
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(rows)
        progress(f"head alone, epoch {epoch + 1}/{recipe.head_epochs}: loss {total / len(X):.4f}")
    del X, Yt

    units = [
        u
        for (parsed, words, y), extra in zip(articles, extras, strict=True)
        for u in _units(parsed, words, y, extra)
        if u.pieces
    ]
    optimiser = torch.optim.AdamW(
        [
            {"params": model.head.parameters(), "lr": recipe.head_lr},
            {"params": model.layers.parameters(), "lr": recipe.lr},
        ],
        weight_decay=recipe.weight_decay,
    )
    schedule = _warmup_linear(optimiser, recipe.epochs * len(_plan(units, recipe, None)))
    for epoch in range(recipe.epochs):
        model.train()
        total = count = 0.0
        for batch in _plan(units, recipe, rng):
            inputs = _batch([units[i] for i in batch])
            loss = F.binary_cross_entropy_with_logits(model(inputs), inputs["y"], pos_weight=weight)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            total += loss.item() * len(inputs["y"])
            count += len(inputs["y"])
        progress(f"layers and head, epoch {epoch + 1}/{recipe.epochs}: loss {total / count:.4f}")
    model.eval()
    return model.export(), model.head_export(labels)


def _plan(
    units: Sequence[_Unit], recipe: Recipe, rng: np.random.Generator | None
) -> list[list[int]]:
    """Batches of unit indices: by length (jittered when `rng` shuffles), each under the token
    budget (chunk rows × the longest chunk), in shuffled order when `rng` is given."""
    length = np.asarray([u.rows for u in units], dtype=float)
    if rng is not None:
        length = length + rng.uniform(0, 8, len(units))
    batches: list[list[int]] = []
    current: list[int] = []
    chunks = width = 0
    for i in np.argsort(length, kind="stable").tolist():
        unit_width = max(len(t) for t in units[i].tapped)
        unit_chunks = len(units[i].tapped)
        if current and (chunks + unit_chunks) * max(width, unit_width) > recipe.batch_tokens:
            batches.append(current)
            current, chunks, width = [], 0, 0
        current.append(i)
        chunks += unit_chunks
        width = max(width, unit_width)
    if current:
        batches.append(current)
    if rng is not None:
        rng.shuffle(batches)
    return batches


def _batch(units: Sequence[_Unit]) -> dict[str, Any]:
    """Padded chunks and the index tensors that pool them into word and sentence vectors
    exactly as `word_features` does."""
    import torch

    chunks = [t for u in units for t in u.tapped]
    width = max(len(t) for t in chunks)
    x = np.zeros((len(chunks), width, DIM), np.float32)
    mask = np.zeros((len(chunks), width), bool)
    row_unit: list[int] = []  # per chunk row (specials included): its unit
    row_position: list[int] = []  # ... and its flat position in the padded batch
    piece_position: list[int] = []
    piece_word: list[int] = []
    piece_weight: list[float] = []
    word_unit: list[int] = []
    has_piece: list[bool] = []
    c = 0
    for u, unit in enumerate(units):
        token_positions: list[int] = []  # flat positions of the unit's tokens (no specials)
        for tapped in unit.tapped:
            n = len(tapped)
            x[c, :n] = tapped
            mask[c, :n] = True
            positions = c * width + np.arange(n)
            row_position.extend(positions.tolist())
            row_unit.extend([u] * n)
            token_positions.extend(positions[1:-1].tolist())
            c += 1
        for pieces in unit.pieces:
            word = len(word_unit)
            word_unit.append(u)
            has_piece.append(len(pieces) > 0)
            for p in pieces.tolist():
                piece_position.append(token_positions[p])
                piece_word.append(word)
                piece_weight.append(1.0 / len(pieces))
    t = torch.as_tensor
    return {
        "x": t(x),
        "mask": t(mask),
        "units": len(units),
        "row_position": t(np.asarray(row_position, dtype=np.int64)),
        "row_unit": t(np.asarray(row_unit, dtype=np.int64)),
        "unit_rows": t(np.asarray([u.rows for u in units], dtype=np.float32)),
        "piece_position": t(np.asarray(piece_position, dtype=np.int64)),
        "piece_word": t(np.asarray(piece_word, dtype=np.int64)),
        "piece_weight": t(np.asarray(piece_weight, dtype=np.float32)),
        "word_unit": t(np.asarray(word_unit, dtype=np.int64)),
        "has_piece": t(np.asarray(has_piece, dtype=bool)),
        "extra": t(np.vstack([u.extra for u in units])),
        "y": t(np.vstack([u.labels for u in units])),
    }


def _warmup_linear(optimiser: Any, steps: int, warmup: float = 0.06) -> Any:
    import torch

    rise = max(1, int(steps * warmup))
    return torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / rise, max(0.0, (steps - s) / max(1, steps - rise)))
    )


def _torch_modules() -> Any:
    """The torch classes, defined on first use so that importing this module needs no torch."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class Layer(nn.Module):  # type: ignore[misc]
        """One BERT layer, parameters named as the encoder's (`attention.self.query`, …)."""

        def __init__(self, weights: dict[str, Matrix], dropout: float) -> None:
            super().__init__()
            self.linears = nn.ModuleDict()
            for name in LINEARS:
                w = weights[name + ".weight"]  # (in, out)
                linear = nn.Linear(w.shape[0], w.shape[1])
                with torch.no_grad():
                    linear.weight.copy_(torch.as_tensor(w.T.copy()))
                    linear.bias.copy_(torch.as_tensor(weights[name + ".bias"].copy()))
                self.linears[name.replace(".", "/")] = linear
            self.norms = nn.ModuleDict()
            for name in LAYER_NORMS:
                norm = nn.LayerNorm(DIM, eps=1e-12)
                with torch.no_grad():
                    norm.weight.copy_(torch.as_tensor(weights[name + ".weight"].copy()))
                    norm.bias.copy_(torch.as_tensor(weights[name + ".bias"].copy()))
                self.norms[name.replace(".", "/")] = norm
            self.dropout = dropout

        def linear(self, name: str, x: torch.Tensor) -> torch.Tensor:
            result: torch.Tensor = self.linears[name.replace(".", "/")](x)
            return result

        def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            batch, length, _ = x.shape
            size = DIM // HEADS

            def heads(h: torch.Tensor) -> torch.Tensor:
                return h.view(batch, length, HEADS, size).transpose(1, 2)

            context = F.scaled_dot_product_attention(
                heads(self.linear("attention.self.query", x)),
                heads(self.linear("attention.self.key", x)),
                heads(self.linear("attention.self.value", x)),
                attn_mask=mask[:, None, None, :],
                dropout_p=self.dropout if self.training else 0.0,
            )
            context = context.transpose(1, 2).reshape(batch, length, DIM)
            drop = nn.functional.dropout
            norm1, norm2 = (self.norms[n.replace(".", "/")] for n in LAYER_NORMS)
            h = norm1(
                drop(self.linear("attention.output.dense", context), self.dropout, self.training)
                + x
            )
            inner = F.gelu(self.linear("intermediate.dense", h))
            out = drop(self.linear("output.dense", inner), self.dropout, self.training)
            result: torch.Tensor = norm2(out + h)
            return result

        def export(self) -> dict[str, Matrix]:
            weights: dict[str, Matrix] = {}
            for key, linear in self.linears.items():
                name = key.replace("/", ".")
                weights[name + ".weight"] = linear.weight.detach().numpy().T.copy()
                weights[name + ".bias"] = linear.bias.detach().numpy().copy()
            for key, norm in self.norms.items():
                name = key.replace("/", ".")
                weights[name + ".weight"] = norm.weight.detach().numpy().copy()
                weights[name + ".bias"] = norm.bias.detach().numpy().copy()
            return weights

    class Tagger(nn.Module):  # type: ignore[misc]
        def __init__(self, recipe: Recipe, labels: int, extra: int) -> None:
            super().__init__()
            self.layers = nn.ModuleList(
                Layer(weights, recipe.dropout) for weights in base_layers(recipe.first)
            )
            self.inputs = 2 * DIM + extra
            self.head = nn.Sequential(
                nn.Dropout(recipe.dropout),
                nn.Linear(self.inputs, recipe.hidden),
                nn.ReLU(),
                nn.Dropout(recipe.dropout),
                nn.Linear(recipe.hidden, labels),
            )

        def forward(self, b: dict[str, Any]) -> torch.Tensor:
            """Word logits of a batch made by `_batch`."""
            h = b["x"]
            for layer in self.layers:
                h = layer(h, b["mask"])
            flat = h.reshape(-1, DIM)
            sums = torch.zeros(b["units"], DIM).index_add_(
                0, b["row_unit"], flat[b["row_position"]]
            )
            sentence = F.normalize(sums / b["unit_rows"][:, None], dim=-1)
            pooled = torch.zeros(len(b["word_unit"]), DIM).index_add_(
                0, b["piece_word"], flat[b["piece_position"]] * b["piece_weight"][:, None]
            )
            unit_vector = sentence[b["word_unit"]]
            word = torch.where(b["has_piece"][:, None], pooled, unit_vector)
            logits: torch.Tensor = self.head(torch.cat([word, unit_vector, b["extra"]], dim=-1))
            return logits

        def export(self) -> list[dict[str, Matrix]]:
            return [layer.export() for layer in self.layers]

        def head_export(self, labels: tuple[str, ...]) -> Head:
            first, second = self.head[1], self.head[4]
            return Head(
                labels=labels,
                mean=np.zeros(self.inputs, np.float32),
                scale=np.ones(self.inputs, np.float32),
                weights=(
                    first.weight.detach().numpy().T.copy(),
                    second.weight.detach().numpy().T.copy(),
                ),
                biases=(first.bias.detach().numpy().copy(), second.bias.detach().numpy().copy()),
                thresholds=np.full(len(labels), 0.5, np.float32),
            )

    return Tagger


def _new_tagger(recipe: Recipe, labels: int, extra: int = 0) -> Any:
    """The torch tagger: the copied layers, and a head over word and sentence vectors and
    `extra` further features per word."""
    if recipe.first != TAP_LAYER:  # the layers copied must start where the encoder pass taps
        raise ValueError(f"the encoder pass taps layer {TAP_LAYER}, not {recipe.first}")
    return _torch_modules()(recipe, labels, extra)
