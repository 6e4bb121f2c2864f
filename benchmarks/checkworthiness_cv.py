"""Nested cross-validation of the check-worthiness training over every CheckThat! sentence.

    python benchmarks/checkworthiness_cv.py [--data DIR] [--seeds N] [--cache FILE] [--limit N]

`spinscope train checkworthiness` scores `dev.tsv` (1,032 sentences). This scores the same
procedure (`spinscope.train.checkworthiness.fit_head`: the head fitted on one part of the
training sentences, its threshold and calibration chosen on the other, split by `INNER_SEED`)
on all 23,533 sentences of `train.tsv` and `dev.tsv`, each scored once by a head that never
saw it, in 5 outer folds of two kinds:

- *random*: sentences dealt into folds at random, `--seeds` shuffles (as `dev.tsv` was drawn);
- *debate blocks*: 5 blocks of consecutive sentence ids. The ids number the sentences of the
  debate transcripts in order (ClaimBuster's numbering), so a block holds whole debates but
  for the one or two cut at each edge: sentences of a held-out debate are not trained on. The
  fold assignment is fixed; `--seeds` changes the head's seed only.

ClaimBuster: every sentence of `claimbuster-2class.csv` is a CheckThat! sentence (the same id;
the same text once CheckThat!'s quotes are read). The trainer's text test misses 4,909 of them
(CheckThat! writes those texts inside literal quotes) and fits on them; in a fold that puts
their copies in the held-out part, and in `train` 324 are `dev.tsv` sentences (since issue 17
`train` reads CheckThat! only). The folds here
leave ClaimBuster out; the *random* folds are also run once with the trainer's 4,909 added
(`as trained`), to show what the copies do, and the trainer's own split is rerun both ways on
`dev.tsv`.

It prints, per scheme, the F1 of the positive class (the CheckThat! metric) with P and R
pooled over all held-out sentences (and over those of each file apart: `dev.tsv`'s labels are
not drawn like `train.tsv`'s), the mean and the worst fold, beside the trivial baseline
(every sentence Yes), and the expected calibration error of the calibrated scores beside the
error perfectly calibrated scores would show on as many (`ece_floor`). Sentence vectors are
encoded once and kept in `--cache` (not in the repository), keyed by the texts only: delete it
when the encoder changes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spinscope.evaluate.checkworthiness import (
    CheckworthySentence,
    read_checkworthy,
    score_checkworthiness,
)
from spinscope.ml.calibration import ece, ece_floor
from spinscope.train import checkworthiness as training
from spinscope.train.split import INNER_SEED, is_validation

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "checkthat2024-en"
FOLDS = 5
#: The ids of `dev.tsv`'s sentences (the report gives the folds' figures on each file apart).
DEV: set[str] = set()

Matrix = np.ndarray[Any, np.dtype[np.float32]]


def read_claimbuster(path: Path) -> list[CheckworthySentence]:
    """ClaimBuster's sentences (`cb` + their id), as the trainer read them until issue 17."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            CheckworthySentence(f"cb{row['sentence_id']}", row["text"], row["label"] == "1")
            for row in csv.DictReader(handle)
        ]


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--cache", type=Path, default=Path("/tmp/spinscope-checkworthiness-vectors.npz")
    )
    parser.add_argument("--limit", type=int, default=None, help="sentences per file (a check)")
    args = parser.parse_args()
    started = time.monotonic()
    train = read_checkworthy(args.data / "train.tsv")[: args.limit]
    dev = read_checkworthy(args.data / "dev.tsv")[: args.limit]
    claimbuster = read_claimbuster(args.data.parent / "claimbuster" / "claimbuster-2class.csv")
    known = {_normal(s.text) for s in [*train, *dev]}
    # what `train` added until issue 17: ClaimBuster sentences not written as CheckThat!'s
    extra = [s for s in claimbuster if _normal(s.text) not in known][: args.limit]
    ids = {s.id for s in [*train, *dev]}
    print(
        f"{len(train)} train.tsv + {len(dev)} dev.tsv sentences; ClaimBuster: "
        f"{len(claimbuster)} sentences, {sum(s.id[2:] in ids for s in claimbuster)} of them with "
        f"a CheckThat! id, {len(extra)} added by the trainer's text test "
        f"({sum(s.id[2:] in {d.id for d in dev} for s in extra)} of those are dev.tsv sentences)"
    )
    every = [*train, *dev, *extra]
    X = vectors(every, args.cache)
    print(f"vectors ready after {time.monotonic() - started:.0f} s")
    row = {s.id: i for i, s in enumerate(every)}
    DEV.update(s.id for s in dev)
    corpus = [*train, *dev]
    seeds = range(1, args.seeds + 1)

    print("\n== the trainer's split: fit / threshold from train.tsv, scored on dev.tsv ==")
    fit = [s for s in train if not is_validation(s.id, seed=INNER_SEED)]
    calibrate = [s for s in train if is_validation(s.id, seed=INNER_SEED)]
    for name, added in (("without ClaimBuster", []), ("as trained (+ClaimBuster)", extra)):
        for seed in (0, *seeds):
            scored = _fold(X, row, [*fit, *added], calibrate, dev, seed)
            _report(f"dev.tsv, {name}, seed {seed}", dev, [scored])

    print("\n== nested CV over train.tsv + dev.tsv ==")
    rng_folds = {seed: _random_folds(corpus, seed) for seed in seeds}
    blocks = _blocks(corpus)
    print(
        "debate blocks (id ranges): "
        + ", ".join(f"{int(b[0].id)}-{int(b[-1].id)} ({len(b)})" for b in blocks)
    )
    for seed in seeds:
        _cross_validate(f"random folds, seed {seed}", X, row, rng_folds[seed], [], seed)
    _cross_validate(
        "random folds, seed 1, as trained (+ClaimBuster)", X, row, rng_folds[1], extra, 1
    )
    for seed in seeds:
        _cross_validate(f"debate blocks, head seed {seed}", X, row, blocks, [], seed)
    print(f"{time.monotonic() - started:.0f} s")


def vectors(sentences: Sequence[CheckworthySentence], cache: Path) -> Matrix:
    """The trainer's sentence vectors (`_vectors`), kept in `cache` keyed by the texts."""
    key = hashlib.sha256("\n".join(s.text for s in sentences).encode()).hexdigest()
    if cache.exists():
        with np.load(cache) as stored:
            if str(stored["key"]) == key:
                return np.asarray(stored["X"])
    X = training._vectors(sentences)
    np.savez(cache, X=X, key=np.asarray(key))
    return X


def _random_folds(
    sentences: Sequence[CheckworthySentence], seed: int
) -> list[list[CheckworthySentence]]:
    order = np.random.default_rng(seed).permutation(len(sentences))
    return [[sentences[i] for i in sorted(order[k::FOLDS])] for k in range(FOLDS)]


def _blocks(sentences: Sequence[CheckworthySentence]) -> list[list[CheckworthySentence]]:
    ordered = sorted(sentences, key=lambda s: int(s.id))
    bounds = [len(ordered) * k // FOLDS for k in range(FOLDS + 1)]
    return [ordered[bounds[k] : bounds[k + 1]] for k in range(FOLDS)]


def _fold(
    X: Matrix,
    row: dict[str, int],
    fit: Sequence[CheckworthySentence],
    calibrate: Sequence[CheckworthySentence],
    scored: Sequence[CheckworthySentence],
    seed: int,
) -> tuple[list[bool], list[float]]:
    """The trainer's procedure (`fit_head`) on `fit` and `calibrate`; the decisions and
    calibrated scores of `scored`."""

    def take(part: Sequence[CheckworthySentence]) -> Matrix:
        return X[[row[s.id] for s in part]]

    head, cut, calibration = training.fit_head(
        take(fit), training._labels(fit), take(calibrate), training._labels(calibrate), seed=seed
    )
    raw = head.predict_proba(take(scored))[:, 0]
    return (raw >= cut).tolist(), calibration.apply(raw.tolist()).tolist()


def _cross_validate(
    name: str,
    X: Matrix,
    row: dict[str, int],
    folds: list[list[CheckworthySentence]],
    extra: Sequence[CheckworthySentence],
    seed: int,
) -> None:
    results = []
    for k, held_out in enumerate(folds):
        rest = [s for j, fold in enumerate(folds) if j != k for s in fold]
        fit = [s for s in rest if not is_validation(s.id, seed=INNER_SEED)]
        calibrate = [s for s in rest if is_validation(s.id, seed=INNER_SEED)]
        results.append(_fold(X, row, [*fit, *extra], calibrate, held_out, seed))
    _report(name, [s for fold in folds for s in fold], results, folds)


def _report(
    name: str,
    sentences: Sequence[CheckworthySentence],
    results: list[tuple[list[bool], list[float]]],
    folds: list[list[CheckworthySentence]] | None = None,
) -> None:
    decided = [d for r in results for d in r[0]]
    scores = [p for r in results for p in r[1]]
    truth = [s.label for s in sentences]
    pooled = score_checkworthiness(sentences, _by_id(sentences, decided))
    every_yes = score_checkworthiness(sentences, {s.id: True for s in sentences})
    line = (
        f"{name}: {len(sentences)} sentences, P {pooled.precision:.3f} R {pooled.recall:.3f} "
        f"F1 {pooled.f1:.3f} (all Yes {every_yes.f1:.3f})"
    )
    if folds is not None:
        f1s = [
            score_checkworthiness(fold, _by_id(fold, r[0])).f1
            for fold, r in zip(folds, results, strict=True)
        ]
        base = [score_checkworthiness(f, {s.id: True for s in f}).f1 for f in folds]
        line += (
            f"; folds F1 {' '.join(f'{f:.3f}' for f in f1s)}: mean {np.mean(f1s):.3f}, worst "
            f"{min(f1s):.3f} (all Yes {' '.join(f'{b:.3f}' for b in base)})"
        )
    print(f"{line}; ECE {ece(scores, truth):.3f} (floor {ece_floor(scores):.3f})", flush=True)
    if folds is not None:
        for file in ("train.tsv", "dev.tsv"):
            keep = [i for i, s in enumerate(sentences) if (s.id in DEV) == (file == "dev.tsv")]
            part = [sentences[i] for i in keep]
            found = score_checkworthiness(part, _by_id(part, [decided[i] for i in keep]))
            base = score_checkworthiness(part, {s.id: True for s in part}).f1
            kept = [scores[i] for i in keep]
            print(
                f"    of which {file}: {len(part)} sentences, P {found.precision:.3f} R "
                f"{found.recall:.3f} F1 {found.f1:.3f} (all Yes {base:.3f}); ECE "
                f"{ece(kept, [truth[i] for i in keep]):.3f} (floor {ece_floor(kept):.3f})"
            )


def _by_id(sentences: Sequence[CheckworthySentence], decided: Sequence[bool]) -> dict[str, bool]:
    return {s.id: bool(d) for s, d in zip(sentences, decided, strict=True)}


if __name__ == "__main__":
    main()
