"""What every trainer shares: fitting a head with scikit-learn, turning it into a `Head`, and
writing the model card."""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import json
import platform
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from spinscope.arrays import Matrix
from spinscope.errors import SpinscopeError
from spinscope.ml.calibration import (
    CONFIDENT,
    Calibration,
    ece,
    ece_floor,
    is_uncertain,
    reliability,
)
from spinscope.ml.encoder import MODEL_ID
from spinscope.ml.heads import Head
from spinscope.version import __version__


def require_sklearn() -> None:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise SpinscopeError(
            "training needs scikit-learn: `pip install 'spinscope[train]'`"
        ) from None


def fit_mlp(
    X: Matrix,
    Y: npt.NDArray[np.bool_],
    labels: tuple[str, ...],
    *,
    hidden: int,
    alpha: float,
    seed: int,
    max_iter: int = 200,
) -> Head:
    """A one-hidden-layer network with one sigmoid output per label, fitted with Adam and early
    stopping on a tenth of the rows; thresholds start at 0.5 (callers tune them)."""
    from sklearn.neural_network import MLPClassifier

    mean = X.mean(axis=0).astype(np.float32)
    scale = X.std(axis=0).astype(np.float32)
    scale[scale == 0] = 1.0
    model = MLPClassifier(
        (hidden,),
        alpha=alpha,
        batch_size=256,
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=max_iter,
        random_state=seed,
    )
    targets = Y if Y.shape[1] > 1 else Y[:, 0]
    model.fit((X - mean) / scale, targets)
    return Head(
        labels=labels,
        mean=mean,
        scale=scale,
        weights=tuple(np.asarray(w, dtype=np.float32) for w in model.coefs_),
        biases=tuple(np.asarray(b, dtype=np.float32) for b in model.intercepts_),
        thresholds=np.full(len(labels), 0.5, dtype=np.float32),
    )


def fit_logistic(
    X: Matrix,
    Y: npt.NDArray[np.bool_],
    labels: tuple[str, ...],
    *,
    C: float,
    balanced: bool = False,
) -> Head:
    """One L2-regularised logistic regression per label over standardised `X` (a head with no
    hidden layer; its weights stay readable per input feature). A label that is always or never
    true in `Y` gets a constant output. Thresholds start at 0.5 (callers tune them)."""
    from sklearn.linear_model import LogisticRegression

    mean = X.mean(axis=0).astype(np.float32)
    scale = X.std(axis=0).astype(np.float32)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    weights = np.zeros((X.shape[1], len(labels)), dtype=np.float32)
    biases = np.zeros(len(labels), dtype=np.float32)
    for j in range(len(labels)):
        y = Y[:, j]
        if y.all() or not y.any():
            biases[j] = 10.0 if y.all() else -10.0
            continue
        model = LogisticRegression(
            C=C, max_iter=5000, class_weight="balanced" if balanced else None
        ).fit(Z, y)
        weights[:, j] = model.coef_[0]
        biases[j] = model.intercept_[0]
    return Head(
        labels=labels,
        mean=mean,
        scale=scale,
        weights=(weights,),
        biases=(biases,),
        thresholds=np.full(len(labels), 0.5, dtype=np.float32),
    )


def best_f1_threshold(
    scores: npt.NDArray[np.float32], gold: npt.NDArray[np.bool_], grid: tuple[float, ...]
) -> tuple[float, float]:
    """`(F1, threshold)`: the threshold of `grid` whose decisions `scores >= threshold` have the
    best F1 against `gold` (ties: the lower threshold)."""
    best = (-1.0, grid[0])
    for threshold in grid:
        decided = scores >= threshold
        tp = int((decided & gold).sum())
        f1 = 2 * tp / (int(decided.sum()) + int(gold.sum())) if tp else 0.0
        if f1 > best[0]:
            best = (f1, threshold)
    return best


def with_thresholds(head: Head, thresholds: list[float]) -> Head:
    return dataclasses.replace(head, thresholds=np.asarray(thresholds, dtype=np.float32))


def article_sentences(
    texts: Mapping[str, str], progress: Callable[[str], None] = lambda message: None
) -> dict[str, Matrix]:
    """Each article's sentence vectors, by id, from the same parse and encoder pass as the
    layers read at run time."""
    from spinscope.document import Article
    from spinscope.ml.features import sentence_vectors
    from spinscope.parse import load_nlp, parse

    nlp = load_nlp()
    found: dict[str, Matrix] = {}
    for done, (doc, text) in enumerate(texts.items()):
        if done % 100 == 0:
            progress(f"encoding articles {done + 1}-{min(done + 100, len(texts))} of {len(texts)}")
        found[doc] = sentence_vectors(parse(Article(id=doc, text=text), nlp).units)
    return found


#: The packages whose versions a model card records.
CARD_PACKAGES = (
    "scikit-learn",
    "torch",
    "afinn",
    "numpy",
    "onnx",
    "onnxruntime",
    "tokenizers",
    "spacy",
)


def versions() -> dict[str, str]:
    """The versions a model card records."""
    found = {"spinscope": __version__, "python": platform.python_version(), "encoder": MODEL_ID}
    for package in CARD_PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def today() -> str:
    return datetime.date.today().isoformat()


@dataclasses.dataclass(frozen=True)
class CardText:
    """What a model card says for people, from its machine-readable card: the title, the
    command that wrote it, its facts (label, Markdown: what it does, the data, the split, the
    seed…) and its sections (heading, Markdown: the figures, the limits). Every card has this
    outline (`templates/MODEL_CARD.md.j2`), and its versions last."""

    title: str
    command: str
    facts: list[tuple[str, str]]
    sections: list[tuple[str, str]]


def card_markdown(card: Mapping[str, Any], text: CardText) -> str:
    """`MODEL_CARD.md`: `text` in the one model-card template, with the card's date and
    versions."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(
        loader=PackageLoader("spinscope.train", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template("MODEL_CARD.md.j2").render(card=card, text=text)


def write_card(directory: Path, card: dict[str, Any], text: CardText) -> None:
    """`card.json` (the machine-readable card) and `MODEL_CARD.md` (the same, for people)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (directory / "MODEL_CARD.md").write_text(card_markdown(card, text), encoding="utf-8")


def reliability_card(
    raw: Sequence[float],
    correct: Sequence[bool],
    calibration: Calibration,
    shown: Sequence[bool] | None = None,
    confident: float | None = CONFIDENT,
) -> dict[str, Any]:
    """What a model card says of how sure a layer's scores are, on its validation data: the
    expected calibration error of the raw scores and of the calibrated ones, their reliability
    table, the confidence under which a finding is uncertain (`confident`, the layer's; None
    where it states none), and the share of the findings the layer shows (`shown`: those it
    decided; all of them when None) that are under it."""
    calibrated = calibration.apply(raw).tolist()
    decided = [p for p, show in zip(calibrated, shown or [True] * len(raw), strict=True) if show]
    return {
        "scores": len(raw),
        "ece_raw": ece(raw, correct),
        "ece": ece(calibrated, correct),
        "ece_floor": ece_floor(calibrated),
        "confident": confident,
        "shown": len(decided),
        "uncertain_share": sum(is_uncertain(p, confident) for p in decided) / max(len(decided), 1),
        "bins": [dataclasses.asdict(row) for row in reliability(calibrated, correct)],
    }


def reliability_text(r: dict[str, Any]) -> str:
    """A reliability section of a model card (`reliability_card`), in Markdown."""
    rows = "\n".join(
        f"| {b['low']:.1f}–{b['high']:.1f} | {b['count']} | {b['said']:.3f} | {b['right']:.3f} |"
        for b in r["bins"]
    )
    return (
        f"Scores are calibrated probabilities (Platt scaling, fitted on data held out from "
        f"training). On {r['scores']} validation scores, expected calibration error "
        f"(10 equal bins) **{r['ece']:.3f}** (raw scores: {r['ece_raw']:.3f}; perfectly "
        f"calibrated scores would show {r['ece_floor']:.3f} on so few, by chance). "
        + (
            f"A finding under {r['confident']} is marked uncertain: "
            f"{r['uncertain_share']:.0%} of the {r['shown']} the layer showed there."
            if r["confident"] is not None
            else "No score is taken as sure: every finding is marked uncertain, a suggestion."
        )
        + "\n\n"
        "| calibrated score | findings | mean score | share right |\n|---|---|---|---|\n" + rows
    )


def round_floats(value: Any, digits: int = 4) -> Any:
    """`value` with every float rounded, for cards that diff cleanly between runs."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [round_floats(v, digits) for v in value]
    return value
