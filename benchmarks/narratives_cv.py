"""Nested cross-validation of the narratives layer's training over all 399 English articles.

    python benchmarks/narratives_cv.py [--data DIR] [--features narrative|document] [--seeds N]

The validation split of `spinscope train narratives` holds 84 articles, 49% of them `Other`;
the official test set has about 27%. This scores the same training procedure on every article
instead: 5 outer folds (for each, the rules are chosen on out-of-fold predictions inside the
other four fifths and the heads fitted there, exactly as `train` does), repeated with `--seeds`
shuffles. It prints samples-F1 (coarse / fine) over all articles, over those whose gold is
`Other` and over those that carry a narrative, and the last two reweighted to the test set's
share of `Other` (27%); and how sure the narratives it shows are: the expected calibration
error of their calibrated scores (each outer fold's calibration fitted inside it, as `train`
fits it), beside the error perfectly calibrated scores would show on as many findings
(`spinscope.ml.calibration.ece_floor`). `--features document` drops the name-closeness features
(the layer's first version), for comparison.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from spinscope.evaluate.narratives import (
    COARSE_CLASSES,
    FINE_CLASSES,
    NarrativeLabels,
    read_narratives_dir,
    sample_f1,
)
from spinscope.layers.narratives import narrative_features
from spinscope.ml.calibration import ece, ece_floor
from spinscope.ml.features import document_features
from spinscope.taxonomy import OTHER
from spinscope.train import narratives as training

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2025-en"
#: The official test set's share of articles whose gold is `Other` (the issue's figure).
TEST_OTHER_SHARE = 0.27


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--features", choices=["narrative", "document"], default="narrative")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    gold = read_narratives_dir(args.data)
    docs = sorted(gold.labels)
    featurize = narrative_features if args.features == "narrative" else document_features
    truth = [gold.labels[doc] for doc in docs]
    other = [i for i, t in enumerate(truth) if t.narratives == frozenset([OTHER])]
    carrying = [i for i in range(len(docs)) if i not in set(other)]
    rows = []
    runs = training.cross_validate(args.data, seeds=range(1, args.seeds + 1), features=featurize)
    reliability = []
    for seed, run in enumerate(runs, start=1):
        found = [run.labels[doc] for doc in docs]
        reliability.append((len(run.scores), ece(run.scores, run.correct), ece_floor(run.scores)))

        def f1(indices: list[int], found: list[NarrativeLabels] = found) -> tuple[float, float]:
            pairs = [(truth[i], found[i]) for i in indices]
            coarse = [sample_f1(t.narratives, f.narratives, COARSE_CLASSES) for t, f in pairs]
            fine = [sample_f1(t.subnarratives, f.subnarratives, FINE_CLASSES) for t, f in pairs]
            return float(np.mean(coarse)), float(np.mean(fine))

        everything, on_other, on_carrying = f1(list(range(len(docs)))), f1(other), f1(carrying)
        reweighted = tuple(
            TEST_OTHER_SHARE * o + (1 - TEST_OTHER_SHARE) * c
            for o, c in zip(on_other, on_carrying, strict=True)
        )
        rows.append((*everything, *on_other, *on_carrying, *reweighted))
        print(f"seed {seed}: " + " ".join(f"{v:.3f}" for v in rows[-1]), flush=True)
    m = np.mean(rows, axis=0)
    print(f"{args.features} features; {len(docs)} articles, {len(other)} Other; {args.seeds} seeds")
    print(f"all articles          coarse {m[0]:.3f}  fine {m[1]:.3f}")
    print(f"gold Other            coarse {m[2]:.3f}  fine {m[3]:.3f}")
    print(f"carrying a narrative  coarse {m[4]:.3f}  fine {m[5]:.3f}")
    print(f"reweighted to {TEST_OTHER_SHARE:.0%} Other  coarse {m[6]:.3f}  fine {m[7]:.3f}")
    n, error, floor = np.mean(reliability, axis=0)
    print(f"calibration: ECE {error:.3f} over {n:.0f} narratives shown (chance floor {floor:.3f})")


if __name__ == "__main__":
    main()
