"""Training: `spinscope train <layer> --data DIR` fits a layer's small heads over the frozen
encoder and writes them, with a model card, into `spinscope/models/<trainer>/`, with the trainer
module its layer names (`Trainer`).

Training needs the `train` extra (scikit-learn); nothing here is imported at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from spinscope.train.common import CardText

#: How a trainer reports what it is doing.
Progress = Callable[[str], None]


class Trainer(Protocol):
    """What a layer's trainer module provides (the module a layer names with `trainer=`):
    `DATA` says what its data holds; `train(data, out, seed=, limit=, progress=)` fits the
    layer's models from `data`, writes them with their model card into `out`, and returns the
    card (its `validation` scores among it); `card_text(card)` is what the card says for
    people, which the one template (`spinscope.train.common.card_markdown`) writes as
    `MODEL_CARD.md`.

    A trainer may also offer `cross_validate(data, *, folds=, seeds=, progress=)`: the same
    training, nested inside folds by article over all the data, each article's predictions
    from models that never saw it (narratives, entities, frames; `benchmarks/*_cv.py` print
    their figures)."""

    DATA: str

    def card_text(self, card: dict[str, Any]) -> CardText: ...

    def train(
        self,
        data: Path,
        out: Path,
        *,
        seed: int = 0,
        limit: int | None = None,
        progress: Progress = ...,
    ) -> dict[str, Any]: ...
