"""A word tagger over the shared encoder pass: a trained head, and the tagger's own fine-tuned
copy of the encoder's last layers (`spinscope.ml.transformer`), which it runs on the states the
shared pass tapped before them."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from spinscope.ml.features import WordFeatures, word_features
from spinscope.ml.heads import MODELS_DIR, Head, load_head
from spinscope.ml.transformer import TunedLayers, read_tuned_layers, retop
from spinscope.parse import Parsed


@dataclass(frozen=True)
class Tagger:
    """A head and its fine-tuned encoder layers (none: the head reads the shared pass as it
    is)."""

    head: Head
    layers: TunedLayers | None = None

    def features(self, parsed: Parsed) -> WordFeatures:
        """The article's words with their vectors from the tagger's own layers."""
        units = retop(parsed.units, self.layers) if self.layers is not None else parsed.units
        return word_features(parsed, units)


@functools.cache
def load_tagger(layer: str, head: str, layers_file: str) -> Tagger:
    """The shipped tagger of `layer`: its head `<head>.npz` and, where it ships them, its
    fine-tuned layers `layers_file`, beside it in `models/<layer>/`; loaded once per process."""
    path = MODELS_DIR / layer / layers_file
    layers = read_tuned_layers(path) if path.exists() else None
    return Tagger(load_head(layer, head), layers)
