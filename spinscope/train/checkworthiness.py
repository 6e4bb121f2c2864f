"""`spinscope train checkworthiness`: a head over the encoder's sentence vector.

Data: a CheckThat! 2024 Task 1 directory (`train.tsv`, `dev.tsv`). `dev.tsv` is the validation
set: it is only scored, at the end. `train.tsv` is split by sentence id (`INNER_SEED`): the
head is fitted on one part and the decision threshold is chosen on the other. ClaimBuster's
`claimbuster-2class.csv` is not used: each of its sentences is a CheckThat! sentence (the same
id), so it adds nothing but copies, and until issue 17 the copies this trainer took for new
sentences put 324 `dev.tsv` sentences into its fitting (`benchmarks/checkworthiness_cv.py`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spinscope.document import Span
from spinscope.evaluate.checkworthiness import (
    CheckworthySentence,
    read_checkworthy,
    score_checkworthiness,
)
from spinscope.layers.claims.checkworthiness import LAYER, SOURCE
from spinscope.ml.calibration import Calibration
from spinscope.ml.encoder import load_encoder
from spinscope.ml.heads import MODELS_DIR, Head
from spinscope.train import Progress
from spinscope.train.common import (
    CardText,
    best_f1_threshold,
    fit_mlp,
    reliability_card,
    reliability_text,
    require_sklearn,
    round_floats,
    today,
    versions,
    with_thresholds,
    write_card,
)
from spinscope.train.split import INNER_SEED, is_validation

#: What `--data` holds.
DATA = "a CheckThat! 2024 directory (train.tsv, dev.tsv)"

HIDDEN = 256
ALPHA = 1e-2
THRESHOLD_GRID = tuple(round(0.05 + 0.01 * i, 2) for i in range(91))


def train(
    data: Path,
    out: Path = MODELS_DIR / LAYER,
    *,
    seed: int = 0,
    limit: int | None = None,
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """Train the check-worthiness head from `data`; write it and its card into `out`."""
    require_sklearn()
    started = time.monotonic()
    sentences = read_checkworthy(data / "train.tsv")
    validation = read_checkworthy(data / "dev.tsv")
    fit = [s for s in sentences if not is_validation(s.id, seed=INNER_SEED)]
    calibrate = [s for s in sentences if is_validation(s.id, seed=INNER_SEED)]
    if limit is not None:
        fit, calibrate, validation = fit[: limit * 10], calibrate[:limit], validation[:limit]

    progress(f"encoding {len(fit) + len(calibrate) + len(validation)} sentences")
    X_fit, X_calibrate, X_validation = (_vectors(part) for part in (fit, calibrate, validation))
    progress(f"fitting on {len(fit)} sentences")
    head, cut, calibration = fit_head(
        X_fit, _labels(fit), X_calibrate, _labels(calibrate), seed=seed
    )

    progress(f"scoring {len(validation)} validation sentences")
    raw = head.predict_proba(X_validation)[:, 0]
    decided = raw >= cut
    result = score_checkworthiness(
        validation, {s.id: bool(d) for s, d in zip(validation, decided, strict=True)}
    )
    truth = _labels(validation)[:, 0].tolist()
    card: dict[str, Any] = round_floats(
        {
            "layer": LAYER,
            "source": SOURCE,
            "date": today(),
            "data": str(data),
            "split": {
                "rule": f"train.tsv split by sentence id (seed '{INNER_SEED}'): fit / threshold; "
                "dev.tsv scored only",
                "fit_sentences": len(fit),
                "threshold_sentences": len(calibrate),
                "validation_sentences": len(validation),
                "limit": limit,
            },
            "seed": seed,
            "model": {
                "head": f"MLP 384->{HIDDEN}->1 sigmoid, alpha {ALPHA}",
                "features": "sentence vector (mean-pooled, normalised)",
                # as the layer reads it: a calibrated probability
                "threshold": round(calibration(cut), 4),
                "raw_threshold": cut,
                "calibration": calibration.to_dict(),
            },
            "reliability": reliability_card(raw.tolist(), truth, calibration, decided.tolist()),
            "validation": {
                "precision": result.precision,
                "recall": result.recall,
                "f1": result.f1,
                "accuracy": result.accuracy,
            },
            "training_seconds": time.monotonic() - started,
            "versions": versions(),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    head.save(out / "head.npz")
    write_card(out, card, card_text(card))
    return card


def fit_head(
    X_fit: np.ndarray[Any, np.dtype[np.float32]],
    y_fit: np.ndarray[Any, np.dtype[np.bool_]],
    X_calibrate: np.ndarray[Any, np.dtype[np.float32]],
    y_calibrate: np.ndarray[Any, np.dtype[np.bool_]],
    *,
    seed: int,
) -> tuple[Head, float, Calibration]:
    """The head fitted on `X_fit`, its raw decision threshold (the best F1 of the positive
    class) and its calibration, both chosen on `X_calibrate`: `(head, threshold, calibration)`,
    the head carrying both."""
    head = fit_mlp(X_fit, y_fit, ("checkworthy",), hidden=HIDDEN, alpha=ALPHA, seed=seed)
    scores = head.predict_proba(X_calibrate)[:, 0]
    _, cut = best_f1_threshold(scores, y_calibrate[:, 0], THRESHOLD_GRID)
    calibration = Calibration.fit(scores.tolist(), y_calibrate[:, 0].tolist())
    head = dataclasses.replace(
        with_thresholds(head, [cut]), meta={"calibration": calibration.to_dict()}
    )
    return head, cut, calibration


def _vectors(sentences: Sequence[CheckworthySentence]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Sentence vectors, encoded as the lines of one text (the encoder batches them)."""
    encoder = load_encoder()
    rows = []
    for begin in range(0, len(sentences), 1000):
        lines = [s.text.replace("\n", " ") for s in sentences[begin : begin + 1000]]
        spans, position = [], 0
        for line in lines:
            spans.append(Span(start=position, end=position + len(line), text=line))
            position += len(line) + 1
        rows += [unit.vector for unit in encoder.encode("\n".join(lines), spans)]
    return np.vstack(rows) if rows else np.zeros((0, 384), dtype=np.float32)


def _labels(sentences: Sequence[CheckworthySentence]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    return np.asarray([[s.label] for s in sentences], dtype=bool).reshape(-1, 1)


def card_text(card: dict[str, Any]) -> CardText:
    """The model card for people (`spinscope.train.common.card_markdown`)."""
    v, s, m = card["validation"], card["split"], card["model"]
    return CardText(
        title="check-worthiness",
        command=f"spinscope train checkworthiness --data {card['data']}",
        facts=[
            (
                "What it does",
                f"scores how check-worthy a sentence is (0–1): {m['head']} over the frozen "
                f"encoder `{card['versions']['encoder']}` ({m['features']}). Decision "
                f"threshold {m['threshold']} (a calibrated probability; {m['raw_threshold']} "
                "before calibration), chosen for the best F1 on held-out sentences.",
            ),
            (
                "Data",
                "CLEF CheckThat! 2024 Task 1 English `train.tsv` (ClaimBuster is not used: "
                "its sentences are CheckThat!'s).",
            ),
            (
                "Split",
                f"{s['rule']}. Fitted on {s['fit_sentences']} sentences, threshold chosen on "
                f"{s['threshold_sentences']}, scored on the {s['validation_sentences']} "
                "sentences of `dev.tsv`.",
            ),
            ("Seed", f"{card['seed']}. Training took {card['training_seconds']:.0f} s."),
        ],
        sections=[
            (
                "Validation figures (CheckThat! 2024 Task 1 metric: the positive class)",
                "| P | R | F1 | accuracy |\n|---|---|---|---|\n"
                f"| {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | "
                f"{v['accuracy']:.3f} |",
            ),
            ("How sure a score is", reliability_text(card["reliability"])),
        ],
    )
