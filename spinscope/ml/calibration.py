"""How sure a finding is: a model's raw score turned into the probability that the finding is
right, and the reliability of such probabilities.

`Calibration` is Platt scaling: a logistic regression on the logit of the raw score, two
numbers fitted on findings held out from the model's training (each trainer says which), so
that among the findings scored 0.7, about seven in ten are right. Two parameters, not a
curve (isotonic regression): the held-out sets are a few hundred findings, where a curve
overfits. It is monotone, so a layer's decisions (raw score against its thresholds) do not
change; only the score a user reads does.

A finding whose calibrated probability is under `CONFIDENT` is more likely wrong than right:
the layers mark it `uncertain`, the views show it as a suggestion and corpus rates leave it out.
A layer whose scores are known not to hold beyond its training data states no confidence at all
(`None`, the genre's): every finding it makes is a suggestion (`is_uncertain`).

`ece` is the expected calibration error over equal-width bins (the usual reliability measure,
Naeini et al. 2015): the mean gap between the probability said and the share found right,
weighted by how many findings each bin holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

#: The probability under which a finding is uncertain: more likely wrong than right.
CONFIDENT = 0.5
#: Bins of the reliability measure.
BINS = 10
#: Raw scores are clipped this far from 0 and 1 before their logit is taken.
_EPSILON = 1e-6


def is_uncertain(probability: float, confident: float | None = CONFIDENT) -> bool:
    """Whether a finding scored `probability` is uncertain under the confidence its layer
    states: under `confident`, or always where the layer states none."""
    return confident is None or probability < confident


def _logit(scores: npt.ArrayLike) -> npt.NDArray[np.float64]:
    p = np.clip(np.asarray(scores, dtype=np.float64), _EPSILON, 1 - _EPSILON)
    result: npt.NDArray[np.float64] = np.log(p / (1 - p))
    return result


@dataclass(frozen=True)
class Calibration:
    """`probability = sigmoid(a · logit(score) + b)`; the identity when `a` is 1 and `b` 0."""

    a: float = 1.0
    b: float = 0.0

    def __call__(self, score: float) -> float:
        return float(self.apply([score])[0])

    def apply(self, scores: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The calibrated probabilities of `scores`."""
        z = np.clip(self.a * _logit(scores) + self.b, -500, 500)
        result: npt.NDArray[np.float64] = 1 / (1 + np.exp(-z))
        return result

    @classmethod
    def fit(cls, scores: Sequence[float], correct: Sequence[bool]) -> Calibration:
        """The calibration that best fits held-out findings (their raw `scores`, and whether
        each was `correct`): maximum likelihood with Platt's smoothed targets (a finding
        right is taken as right with probability (n₊ + 1) / (n₊ + 2), one wrong as right with
        1 / (n₋ + 2)), by Newton's method. The identity when there is nothing to fit or the
        findings are all right or all wrong."""
        x = _logit(scores)
        y = np.asarray(correct, dtype=bool)
        positives, negatives = int(y.sum()), int((~y).sum())
        if positives == 0 or negatives == 0:
            return cls()
        t = np.where(y, (positives + 1) / (positives + 2), 1 / (negatives + 2))

        def loss(a: float, b: float) -> float:
            z = a * x + b
            # the log-loss, written to stay finite for any z
            return float(np.sum(np.logaddexp(0, z) - t * z))

        a, b = 1.0, 0.0
        current = loss(a, b)
        for _ in range(100):
            p = 1 / (1 + np.exp(-np.clip(a * x + b, -500, 500)))
            w = np.maximum(p * (1 - p), 1e-12)
            gradient = np.array([np.sum((p - t) * x), np.sum(p - t)])
            hessian = np.array(
                [[np.sum(w * x * x) + 1e-9, np.sum(w * x)], [np.sum(w * x), np.sum(w) + 1e-9]]
            )
            step = np.linalg.solve(hessian, gradient)
            size = 1.0
            while size > 1e-6:  # halve the Newton step until the loss goes down
                trial = (a - size * float(step[0]), b - size * float(step[1]))
                if loss(*trial) <= current:
                    break
                size /= 2
            else:
                break
            moved = max(abs(trial[0] - a), abs(trial[1] - b))
            a, b = trial
            current = loss(a, b)
            if moved < 1e-10:
                break
        if not (math.isfinite(a) and math.isfinite(b)):
            return cls()
        return cls(a, b)

    def to_dict(self) -> dict[str, float]:
        return {"a": round(self.a, 6), "b": round(self.b, 6)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Calibration:
        """The calibration a model's metadata holds (the identity where it holds none)."""
        if not data:
            return cls()
        return cls(float(data["a"]), float(data["b"]))


def ece(probabilities: Sequence[float], correct: Sequence[bool], bins: int = BINS) -> float:
    """The expected calibration error of `probabilities` against what was `correct` (0 for
    no findings)."""
    return sum(
        row.count * abs(row.said - row.right) for row in reliability(probabilities, correct, bins)
    ) / max(len(probabilities), 1)


def ece_floor(probabilities: Sequence[float], bins: int = BINS, draws: int = 200) -> float:
    """The expected calibration error that perfectly calibrated `probabilities` would still
    show on this many findings (each found right with its own probability; the mean over
    `draws` seeded draws): how far under it no measured ECE can be told apart. On a hundred
    findings it is about 0.1, so a small validation set cannot show an ECE of 0.05."""
    p = np.asarray(probabilities, dtype=np.float64)
    if not len(p):
        return 0.0
    rng = np.random.default_rng(0)
    return float(
        np.mean([ece(p.tolist(), (rng.random(len(p)) < p).tolist(), bins) for _ in range(draws)])
    )


@dataclass(frozen=True)
class Bin:
    """Findings whose probability lies in `[low, high)`: how many, the mean probability said,
    and the share found right."""

    low: float
    high: float
    count: int
    said: float
    right: float


def reliability(
    probabilities: Sequence[float], correct: Sequence[bool], bins: int = BINS
) -> list[Bin]:
    """The findings by equal-width probability bins (the last one closed), empty bins left
    out: a reliability diagram's rows."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(correct, dtype=bool)
    which = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for k in range(bins):
        inside = which == k
        if inside.any():
            rows.append(
                Bin(
                    k / bins,
                    (k + 1) / bins,
                    int(inside.sum()),
                    float(p[inside].mean()),
                    float(y[inside].mean()),
                )
            )
    return rows
