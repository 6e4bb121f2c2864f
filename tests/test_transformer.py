"""The encoder's last layers (`spinscope.ml.transformer`): the encoder's own weights give back
the encoder's own output, and fine-tuned copies survive their storage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinscope.document import Article
from spinscope.errors import ModelError
from spinscope.ml.encoder import TAP_LAYER
from spinscope.ml.transformer import (
    TunedLayers,
    base_layers,
    read_tuned_layers,
    retop,
    save_tuned_layers,
    tuned_weights,
)
from spinscope.parse import load_nlp, parse

SAMPLE = Path(__file__).resolve().parents[1] / "spinscope" / "data" / "sample.txt"


def test_the_encoders_own_last_layers_give_back_its_output() -> None:
    """Both multiply in int8 on the same weights, each row quantised on its own step, so they
    agree but for float rounding; the layers in another order are far off."""
    parsed = parse(Article(id="sample", text=SAMPLE.read_text()), load_nlp())
    own = base_layers(TAP_LAYER)
    again = retop(parsed.units, TunedLayers(own))
    swapped = retop(parsed.units, TunedLayers([own[1], own[0]]))
    for first, second, other in zip(parsed.units, again, swapped, strict=True):
        assert np.array_equal(first.offsets, second.offsets)
        assert np.abs(first.tokens - second.tokens).max() < 0.05
        assert np.abs(first.vector - second.vector).max() < 1e-3
        assert float(first.vector @ other.vector) < 0.95


def test_tuned_layers_are_stored_as_small_differences(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    base = base_layers(TAP_LAYER)
    tuned = [
        {
            name: w + (0.01 * rng.standard_normal(w.shape)).astype(np.float32)
            for name, w in layer.items()
        }
        for layer in base
    ]
    save_tuned_layers(tmp_path / "layers.npz", TAP_LAYER, tuned)
    read = read_tuned_layers(tmp_path / "layers.npz")
    assert len(read) == len(tuned) == 2
    for mine, theirs in zip(tuned_weights(tmp_path / "layers.npz"), tuned, strict=True):
        for name, value in theirs.items():
            # matrices: int8 differences, at most half a step (max |delta| / 127 / 2) off
            assert np.abs(mine[name] - value).max() < 0.05 / 127
    with np.load(tmp_path / "layers.npz") as data:
        assert data["4.intermediate.dense.weight.delta"].dtype == np.int8


def test_a_broken_layers_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "layers.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match=r"layers\.npz"):
        read_tuned_layers(broken)
