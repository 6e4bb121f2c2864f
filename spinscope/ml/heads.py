"""Trained heads over the encoder's vectors: small networks stored as `.npz` files in
`spinscope/models/<layer>/`, run with numpy alone (scikit-learn only trains them).

A head is a multi-layer perceptron with ReLU hidden layers and one sigmoid output per label
(a logistic regression is the case with no hidden layer), an input standardisation, and one
decision threshold per label chosen on data held out from its training.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from spinscope.arrays import Matrix
from spinscope.errors import ModelError
from spinscope.ml.calibration import Calibration

MODELS_DIR = Path(__file__).parents[1] / "models"


@dataclass(frozen=True)
class Head:
    labels: tuple[str, ...]
    mean: Matrix
    scale: Matrix
    weights: tuple[Matrix, ...]
    biases: tuple[Matrix, ...]
    thresholds: Matrix
    #: Settings the layer reads beside the weights (e.g. how to decode spans), JSON-able.
    meta: dict[str, Any] = field(default_factory=dict)

    def predict_proba(self, X: npt.ArrayLike) -> Matrix:
        """(n, len(labels)) probabilities for the rows of `X`."""
        h = (np.asarray(X, dtype=np.float32) - self.mean) / self.scale
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w + b
            if i < len(self.weights) - 1:
                np.maximum(h, 0, out=h)
        result: Matrix = (1.0 / (1.0 + np.exp(-np.clip(h, -30, 30)))).astype(np.float32)
        return result

    @property
    def calibration(self) -> Calibration:
        """What the probabilities of the findings it decides mean (`meta["calibration"]`, fitted
        on held-out data by its trainer; the identity where there is none)."""
        return Calibration.from_dict(self.meta.get("calibration"))

    def save(self, path: Path, card: dict[str, Any] | None = None) -> None:
        """Write the head to `path` (`.npz`), and its model card beside it (`.json`)."""
        arrays: dict[str, Matrix] = {
            "mean": self.mean,
            "scale": self.scale,
            "thresholds": self.thresholds,
        }
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            arrays[f"w{i}"] = w.astype(np.float32)
            arrays[f"b{i}"] = b.astype(np.float32)
        np.savez_compressed(
            path,
            labels=np.asarray(self.labels),
            meta=np.asarray(json.dumps(self.meta, sort_keys=True)),
            **arrays,  # type: ignore[arg-type]
        )
        if card is not None:
            path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")


def read_head(path: Path) -> Head:
    """A head written by `Head.save`."""
    try:
        with np.load(path, allow_pickle=False) as data:
            layers = sum(1 for name in data.files if name.startswith("w"))
            return Head(
                labels=tuple(str(label) for label in data["labels"]),
                mean=data["mean"],
                scale=data["scale"],
                weights=tuple(data[f"w{i}"] for i in range(layers)),
                biases=tuple(data[f"b{i}"] for i in range(layers)),
                thresholds=data["thresholds"],
                meta=json.loads(str(data["meta"])) if "meta" in data.files else {},
            )
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(f"cannot read the trained head {path}: {exc}") from exc


@functools.cache
def load_head(layer: str, name: str) -> Head:
    """The shipped head `models/<layer>/<name>.npz`, read once per process."""
    path = MODELS_DIR / layer / f"{name}.npz"
    if not path.exists():
        raise ModelError(
            f"the {layer} layer has no trained head {name!r} ({path}); "
            f"train it with `spinscope train {layer} --data DIR`"
        )
    return read_head(path)
