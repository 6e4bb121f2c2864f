"""`spinscope train frames`: the genre and frames heads.

Data: a SemEval-2023 Task 3 genre-and-framing directory (`articles/`, `genre-labels.txt`,
`frame-labels.txt`). Split by article id as every trainer does (`spinscope.train.split`); as
for narratives (see `spinscope.train.narratives`), the frames threshold is chosen on `FOLDS`-fold
out-of-fold predictions over the training articles, and the shipped heads are fitted on all of
them. The validation articles are only scored, with the task's trivial baselines beside.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from spinscope.arrays import Matrix
from spinscope.evaluate.frames import read_genre_framing_dir, score_frames, score_genres
from spinscope.layers.frames import FRAMES_SOURCE, GENRE_CONFIDENT, GENRE_SOURCE, MODELS
from spinscope.ml.calibration import Calibration
from spinscope.ml.features import document_features
from spinscope.ml.heads import MODELS_DIR, Head
from spinscope.taxonomy import FRAMES, GENRES
from spinscope.train import Progress
from spinscope.train.common import (
    CardText,
    article_sentences,
    fit_logistic,
    reliability_card,
    reliability_text,
    require_sklearn,
    round_floats,
    today,
    versions,
    with_thresholds,
    write_card,
)
from spinscope.train.split import SEED, VALIDATION_FRACTION, split

#: What `--data` holds.
DATA = (
    "a SemEval-2023 Task 3 genre-framing directory (articles/, "
    "genre-labels.txt, frame-labels.txt); trains the genre and frames "
    "layers together"
)

FOLDS = 5
#: Inverse regularisation (chosen on out-of-fold predictions: genre 0.1 beat 0.003–0.03, with
#: balanced classes; frames 0.003 beat 0.01, 0.03 and 0.1).
C_GENRE = 0.1
C_FRAMES = 0.003
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 17))


def train(
    data: Path,
    out: Path = MODELS_DIR / MODELS,
    *,
    seed: int = 0,
    limit: int | None = None,
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """Train the genre and frames heads from `data`; write them and their card into `out`."""
    require_sklearn()
    started = time.monotonic()
    gold = read_genre_framing_dir(data)
    labelled = [doc for doc in gold.texts if doc in gold.genres and doc in gold.frames]
    training, validation = split(labelled)
    if limit is not None:
        training, validation = training[:limit], validation[:limit]
    sentences = article_sentences({doc: gold.texts[doc] for doc in training + validation}, progress)
    X = np.vstack([document_features(sentences[doc]) for doc in training])
    progress(f"choosing the frames threshold on {FOLDS}-fold predictions over {len(training)}")
    fitted = _fit(X, [gold.genres[d] for d in training], [gold.frames[d] for d in training], seed)
    genre_head, frames_head, threshold = fitted.genre, fitted.frames, fitted.threshold
    genre_calibration, frames_calibration = genre_head.calibration, frames_head.calibration
    frames_truth = {doc: gold.frames[doc] for doc in training}

    progress(f"scoring {len(validation)} validation articles")
    X_val = np.vstack([document_features(sentences[doc]) for doc in validation])
    genre_truth = {doc: gold.genres[doc] for doc in validation}
    frames_val = {doc: gold.frames[doc] for doc in validation}
    P_genre_val = genre_head.predict_proba(X_val)
    genre = score_genres(genre_truth, _genres(validation, P_genre_val))
    P_val = frames_head.predict_proba(X_val)
    frames = score_frames(frames_val, _frames_at(validation, P_val, threshold))
    genre_shown = _shown_genres(P_genre_val, [gold.genres[d] for d in validation])
    frames_shown = _shown_frames(P_val, [gold.frames[d] for d in validation], threshold)
    majority = max(GENRES, key=lambda g: sum(gold.genres[d] == g for d in training))
    genre_baseline = score_genres(genre_truth, {doc: majority for doc in validation})
    frequent = _frequent_frames(frames_truth)
    frames_baseline = score_frames(frames_val, {doc: frequent for doc in validation})

    card: dict[str, Any] = round_floats(
        {
            "layer": "genre, frames",
            "source": [GENRE_SOURCE, FRAMES_SOURCE],
            "date": today(),
            "data": str(data),
            "split": {
                "rule": f"article id hashed (seed '{SEED}'): {VALIDATION_FRACTION:.0%} "
                f"validation, scored only; the rest fit the heads, with the frames threshold "
                f"chosen on {FOLDS}-fold out-of-fold predictions over them",
                "training_articles": len(training),
                "validation_articles": len(validation),
                "limit": limit,
            },
            "seed": seed,
            "model": {
                "features": "normalised mean of the sentence vectors + title line vector (768)",
                "genre": f"logistic regression per genre, balanced, C {C_GENRE}; the most likely",
                "frames": f"logistic regression per frame, C {C_FRAMES}; threshold {threshold}",
            },
            "tune_out_of_fold": {
                "genre_macro_f1": fitted.tuned_genre,
                "frames_micro_f1": fitted.tuned_frames,
            },
            "reliability": {
                "genre": reliability_card(
                    *genre_shown, genre_calibration, confident=GENRE_CONFIDENT
                ),
                "frames": reliability_card(*frames_shown, frames_calibration),
            },
            "validation": {
                "genre_macro_f1": genre.f1,
                "genre_accuracy": genre.other_f1,
                "frames_micro_f1": frames.f1,
                "frames_macro_f1": frames.other_f1,
                "genre_baseline": {"rule": f"always {majority}", "macro_f1": genre_baseline.f1},
                "frames_baseline": {
                    "rule": "always the training articles' most frequent frames: "
                    + ", ".join(sorted(frequent)),
                    "micro_f1": frames_baseline.f1,
                },
            },
            "training_seconds": time.monotonic() - started,
            "versions": versions(),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    genre_head.save(out / "genre.npz")
    frames_head.save(out / "frames.npz")
    write_card(out, card, card_text(card))
    return card


@dataclasses.dataclass(frozen=True)
class _Fitted:
    """The calibrated heads fitted on every row given, the frames threshold, and the
    out-of-fold genre macro-F1 and frames micro-F1 the threshold was chosen with."""

    genre: Head
    frames: Head
    threshold: float
    tuned_genre: float
    tuned_frames: float


def _fit(X: Matrix, genres: Sequence[str], frames: Sequence[frozenset[str]], seed: int) -> _Fitted:
    """The heads on the articles of `X` (their `genres` and `frames`): the frames threshold
    chosen, and both calibrations fitted, on `FOLDS`-fold out-of-fold predictions over them."""
    from sklearn.model_selection import KFold

    Y_genre = _onehot([{genre} for genre in genres], GENRES)
    Y_frames = _onehot(frames, FRAMES)
    P_genre = np.zeros(Y_genre.shape, np.float32)
    P_frames = np.zeros(Y_frames.shape, np.float32)
    for fit, held in KFold(min(FOLDS, len(X)), shuffle=True, random_state=seed).split(X):
        P_genre[held] = _genre_head(X[fit], Y_genre[fit]).predict_proba(X[held])
        P_frames[held] = _frames_head(X[fit], Y_frames[fit]).predict_proba(X[held])
    ids = [str(i) for i in range(len(X))]
    frames_truth = dict(zip(ids, frames, strict=True))
    tuned_frames, threshold = max(
        (score_frames(frames_truth, _frames_at(ids, P_frames, t)).f1, t) for t in THRESHOLDS
    )
    tuned_genre = score_genres(dict(zip(ids, genres, strict=True)), _genres(ids, P_genre)).f1
    genre_calibration = Calibration.fit(*_shown_genres(P_genre, genres))
    frames_calibration = Calibration.fit(*_shown_frames(P_frames, frames, threshold))
    genre_head = dataclasses.replace(
        _genre_head(X, Y_genre), meta={"calibration": genre_calibration.to_dict()}
    )
    frames_head = dataclasses.replace(
        with_thresholds(_frames_head(X, Y_frames), [threshold] * len(FRAMES)),
        meta={"calibration": frames_calibration.to_dict()},
    )
    return _Fitted(genre_head, frames_head, threshold, tuned_genre, tuned_frames)


@dataclasses.dataclass(frozen=True)
class CrossValidated:
    """One run of `cross_validate`: each article's genre and frames, and every genre and frame
    shown with its calibrated score and whether it is right, all from heads that never saw the
    article; and the trivial baselines' answers (each fold's training articles' most common
    genre and most frequent frames)."""

    genres: dict[str, str]
    frames: dict[str, frozenset[str]]
    baseline_genres: dict[str, str]
    baseline_frames: dict[str, frozenset[str]]
    genre_scores: list[float]
    genre_correct: list[bool]
    frame_scores: list[float]
    frame_correct: list[bool]


def cross_validate(
    data: Path,
    *,
    folds: int = FOLDS,
    seeds: Sequence[int] = (1,),
    progress: Progress = lambda message: None,
) -> list[CrossValidated]:
    """Nested cross-validation over every labelled article of `data`, once per seed of the
    outer folds: each article's genre and frames from heads fitted, and threshold and
    calibrations chosen, on the other folds only, as `train` (seed 0) fits and chooses them.
    The strengths (`C_GENRE`, `C_FRAMES`) stay as shipped: they were chosen on out-of-fold
    predictions over the training split, which the outer folds' held-out articles were partly
    in, so the figures lean slightly optimistic."""
    require_sklearn()
    from sklearn.model_selection import KFold

    gold = read_genre_framing_dir(data)
    docs = sorted(doc for doc in gold.texts if doc in gold.genres and doc in gold.frames)
    sentences = article_sentences({doc: gold.texts[doc] for doc in docs}, progress)
    X = np.vstack([document_features(sentences[doc]) for doc in docs])
    genres = [gold.genres[doc] for doc in docs]
    frames = [gold.frames[doc] for doc in docs]
    runs = []
    for seed in seeds:
        run = CrossValidated({}, {}, {}, {}, [], [], [], [])
        for k, (fit, held) in enumerate(KFold(folds, shuffle=True, random_state=seed).split(X)):
            progress(f"seed {seed}, fold {k + 1} of {folds}: {len(held)} articles held out")
            fitted = _fit(X[fit], [genres[i] for i in fit], [frames[i] for i in fit], 0)
            held_docs = [docs[i] for i in held]
            P_genre, P_frames = (h.predict_proba(X[held]) for h in (fitted.genre, fitted.frames))
            run.genres.update(_genres(held_docs, P_genre))
            run.frames.update(_frames_at(held_docs, P_frames, fitted.threshold))
            majority = max(GENRES, key=[genres[i] for i in fit].count)
            frequent = _frequent_frames({docs[i]: frames[i] for i in fit})
            run.baseline_genres.update(dict.fromkeys(held_docs, majority))
            run.baseline_frames.update(dict.fromkeys(held_docs, frequent))
            raw, right = _shown_genres(P_genre, [genres[i] for i in held])
            run.genre_scores.extend(fitted.genre.calibration.apply(raw).tolist())
            run.genre_correct.extend(right)
            raw, right = _shown_frames(P_frames, [frames[i] for i in held], fitted.threshold)
            run.frame_scores.extend(fitted.frames.calibration.apply(raw).tolist())
            run.frame_correct.extend(right)
        runs.append(run)
    return runs


def _genre_head(X: Matrix, Y: npt.NDArray[np.bool_]) -> Head:
    return fit_logistic(X, Y, GENRES, C=C_GENRE, balanced=True)


def _frames_head(X: Matrix, Y: npt.NDArray[np.bool_]) -> Head:
    return fit_logistic(X, Y, FRAMES, C=C_FRAMES)


def _shown_genres(P: Matrix, truth: Sequence[str]) -> tuple[list[float], list[bool]]:
    """The genre the layer shows for each article (the most likely), with its probability and
    whether it is the article's: what the genre's scores are calibrated on."""
    shown = [int(np.argmax(p)) for p in P]
    return (
        [float(p[j]) for p, j in zip(P, shown, strict=True)],
        [GENRES[j] == genre for j, genre in zip(shown, truth, strict=True)],
    )


def _shown_frames(
    P: Matrix, truth: Sequence[frozenset[str]], threshold: float
) -> tuple[list[float], list[bool]]:
    """The frames the layer shows for each article (those at the threshold), each with its
    probability and whether the article uses it."""
    scores, correct = [], []
    for p, frames in zip(P, truth, strict=True):
        for j in np.flatnonzero(p >= threshold):
            scores.append(float(p[j]))
            correct.append(FRAMES[j] in frames)
    return scores, correct


def _onehot(
    labels: Sequence[set[str] | frozenset[str]], names: Sequence[str]
) -> npt.NDArray[np.bool_]:
    rows = [[name in found for name in names] for found in labels]
    return np.array(rows, dtype=bool).reshape(len(labels), len(names))


def _genres(docs: Sequence[str], P: Matrix) -> dict[str, str]:
    return {doc: GENRES[int(np.argmax(p))] for doc, p in zip(docs, P, strict=True)}


def _frames_at(docs: Sequence[str], P: Matrix, threshold: float) -> dict[str, frozenset[str]]:
    return {
        doc: frozenset(f for f, q in zip(FRAMES, p, strict=True) if q >= threshold)
        for doc, p in zip(docs, P, strict=True)
    }


def _frequent_frames(frames: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The trivial baseline's answer for every article: the most frequent frames, as many as
    give the best micro-F1 on the training articles."""
    ranked = sorted(FRAMES, key=lambda f: -sum(f in found for found in frames.values()))
    best = max(
        (score_frames(frames, {doc: frozenset(ranked[:k]) for doc in frames}).f1, -k)
        for k in range(1, len(FRAMES) + 1)
    )
    return frozenset(ranked[: -best[1]])


def card_text(card: dict[str, Any]) -> CardText:
    """The model card for people (`spinscope.train.common.card_markdown`)."""
    v, s, m, t = card["validation"], card["split"], card["model"], card["tune_out_of_fold"]
    gb, fb = v["genre_baseline"], v["frames_baseline"]
    tune = f"{t['genre_macro_f1']:.3f} | {t['frames_micro_f1']:.3f}"
    validation = (
        f"**{v['genre_macro_f1']:.3f}** (accuracy {v['genre_accuracy']:.3f}) | "
        f"**{v['frames_micro_f1']:.3f}** (macro {v['frames_macro_f1']:.3f})"
    )
    baseline = f"{gb['macro_f1']:.3f} ({gb['rule']}) | {fb['micro_f1']:.3f} ({fb['rule']})"
    return CardText(
        title="genre and frames",
        command=f"spinscope train frames --data {card['data']}",
        facts=[
            (
                "What it does",
                "an article's genre (opinion, reporting, satire) and its frames (the 14 of the "
                "Policy Frames Codebook), SemEval-2023 Task 3 subtasks 1 and 2, from heads over "
                f"the frozen encoder `{card['versions']['encoder']}` ({m['features']}). "
                f"Genre: {m['genre']}. Frames: {m['frames']}.",
            ),
            ("Data", "SemEval-2023 Task 3 English training release, genre and framing labels."),
            (
                "Split",
                f"{s['rule']}. {s['training_articles']} training articles, "
                f"{s['validation_articles']} validation articles.",
            ),
            ("Seed", f"{card['seed']}. Training took {card['training_seconds']:.0f} s."),
        ],
        sections=[
            (
                "Figures",
                "| | genre macro-F1 (official) | frames micro-F1 (official) |\n|---|---|---|\n"
                f"| tune (out-of-fold, training articles) | {tune} |\n"
                f"| **validation** | {validation} |\n"
                f"| validation, trivial baseline | {baseline} |",
            ),
            ("How sure a genre is", reliability_text(card["reliability"]["genre"])),
            ("How sure a frame is", reliability_text(card["reliability"]["frames"])),
            (
                "Limits",
                "Every figure here comes from the outlets of SemEval-2023's English articles "
                "(319 opinion, 30 reporting, 2 satire). On news reports from other outlets "
                "the genre head mostly says opinion, and sure of it: "
                "`python benchmarks/genre_wire.py` scores PolNeAR's wire copy (AP, AFP, "
                "Reuters, UPI), figures in docs/benchmarks.md. So the layer shows every "
                "genre as a suggestion (`uncertain`), whatever its score. Satire, with 2 "
                "training articles, is not learned.",
            ),
        ],
    )
