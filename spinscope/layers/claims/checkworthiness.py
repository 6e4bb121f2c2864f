"""Check-worthiness: how much a sentence asserts something a fact-checker should verify.

A head over the encoder's sentence vector, trained on CLEF CheckThat! 2024 Task 1 (English)
by `spinscope train checkworthiness`; its decision threshold was chosen, and its scores
calibrated, on sentences held out from that training. The claims layer scores every claim with
it; `score_sentences` scores any sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spinscope.document import Span
from spinscope.ml.encoder import EncodedUnit, load_encoder
from spinscope.ml.heads import Head, load_head

LAYER = "checkworthiness"
SOURCE = "checkworthiness/minilm-head@1"


def head() -> Head:
    return load_head(LAYER, "head")


def threshold() -> float:
    """Scores at or above this are check-worthy: the decision threshold chosen on held-out
    sentences, as a calibrated probability."""
    return round(head().calibration(float(head().thresholds[0])), 4)


def score_units(units: Sequence[EncodedUnit]) -> list[float]:
    """Scores of already encoded sentences (the article's shared encoder pass): the calibrated
    probability that each is check-worthy (`spinscope.ml.calibration`)."""
    if not units:
        return []
    vectors = np.vstack([unit.vector for unit in units])
    raw = head().predict_proba(vectors)[:, 0]
    return [float(p) for p in head().calibration.apply(raw)]


def score_sentences(sentences: Sequence[str]) -> list[float]:
    """Check-worthiness of each sentence, 0–1."""
    spans: list[Span] = []
    position = 0
    for sentence in sentences:
        line = sentence.replace("\n", " ")
        spans.append(Span(start=position, end=position + len(line), text=line))
        position += len(line) + 1
    text = "\n".join(span.text for span in spans)
    return score_units(load_encoder().encode(text, spans))
