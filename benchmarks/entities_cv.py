"""Nested cross-validation of the entities layer's training over every annotated English article.

    python benchmarks/entities_cv.py [--data DIR] [--seeds N]

The validation split of `spinscope train entities` holds 41 articles (142 mentions): its
figures move by several hundredths with the split. This scores the same training procedure on
every annotated article instead: 5 outer folds (for each, the strengths and the cast threshold
are chosen by cross-validation inside the other four fifths and the heads fitted there, exactly
as `train` does), repeated with `--seeds` shuffles. The gold mentions are given, as the official
scorer and `spinscope eval entities` give them. It prints main-role accuracy, fine-role exact
match and fine micro-F1 per seed and their mean, beside the trivial baseline (always Antagonist
with its most common fine role), which is what a score must be read against.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from spinscope.evaluate.entities import score_roles
from spinscope.train import entities as training

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2025-en"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    started = time.monotonic()
    runs = training.cross_validate(args.data, seeds=range(1, args.seeds + 1), progress=print)
    rows = []
    print("seed  mentions  main accuracy  exact match  fine F1  | baseline main / exact")
    for seed, run in enumerate(runs, start=1):
        scores = score_roles(run.gold, run.predicted)
        base = score_roles(run.gold, run.baseline)
        rows.append((scores.main_accuracy, scores.exact_match, scores.fine_f1))
        print(
            f"{seed:>4}  {scores.mentions:>8}  {scores.main_accuracy:>13.3f}  "
            f"{scores.exact_match:>11.3f}  {scores.fine_f1:>7.3f}  | "
            f"{base.main_accuracy:.3f} / {base.exact_match:.3f}"
        )
    mean = np.mean(rows, axis=0)
    print(f"mean  {'':>8}  {mean[0]:>13.3f}  {mean[1]:>11.3f}  {mean[2]:>7.3f}")
    print(f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
