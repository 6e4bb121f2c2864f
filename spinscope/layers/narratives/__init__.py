"""Narratives layer: the SemEval-2025 narratives and sub-narratives an article carries (Ukraine–
Russia war and climate change), or `Other` when it carries none.

Two heads over the article's features from the shared encoder pass (`narrative_features`: the
normalised mean of its sentence vectors and its title line's vector, and how close its
sentences come to each narrative's and sub-narrative's name), both logistic regressions: one
scores the 21 narratives and `Other`, one the 70 specific sub-narratives. The closeness
features (per name, the best cosine over the sentences and the mean of the best three) find a
narrative told in a few sentences of a long article, which the mean dilutes.
Decoding (`Rules`, thresholds chosen by `spinscope train narratives` on out-of-fold
predictions):

- `Other` when its probability reaches its threshold; it matters most, since about four
  articles in ten carry no narrative and one wrong narrative on such an article scores 0;
- else the most likely narrative, and every other one at or above its threshold and within
  `relative` of the most likely (an article has at least one narrative once it is not Other);
- under each narrative, its specific sub-narratives at or above their threshold and within
  `sub_relative` of the best one, and "<narrative>: Other" when none is (or when even the best
  is below `sub_other_below`; the trainer now keeps that at 0, so "<narrative>: Other" is an
  explicit decision that no specific sub-narrative applies). A sub-narrative is only ever
  chosen under its narrative, so the two levels always agree.

Evidence: a logistic regression over features that pool sentences (a mean, the title line,
a best cosine, a mean of the best three) is a sum over sentences, so each sentence has an exact
share of a narrative's score (`sentence_shares`); the sentences with the largest positive share
are the evidence.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from spinscope.arrays import Matrix
from spinscope.document import Narrative, Span
from spinscope.layers import (
    CorpusView,
    Correctable,
    Facet,
    Findings,
    Row,
    Table,
    Views,
    register_whole,
)
from spinscope.layers.narratives import corpus, llm
from spinscope.layers.narratives.views import html, terminal
from spinscope.ml.calibration import CONFIDENT
from spinscope.ml.encoder import DIM, load_encoder
from spinscope.ml.features import document_features, sentence_vectors
from spinscope.ml.heads import Head, load_head
from spinscope.parse import Segmented
from spinscope.taxonomy import NARRATIVES, OTHER, subnarrative_label

LAYER = "narratives"
VERSION = "2"
SOURCE = f"narratives/minilm-logreg@{VERSION}"
#: The narrative head's labels: the narratives, then `Other`.
NARRATIVE_LABELS: tuple[str, ...] = (*NARRATIVES, OTHER)
OTHER_INDEX = NARRATIVE_LABELS.index(OTHER)
#: The sub-narrative head's labels: the specific sub-narratives (full labels; "<narrative>:
#: Other" is decided by the rules, not scored).
SUBNARRATIVE_LABELS: tuple[str, ...] = tuple(
    subnarrative_label(n, s) for n, subs in NARRATIVES.items() for s in subs if s != OTHER
)
#: Each narrative's specific sub-narratives, as indices into `SUBNARRATIVE_LABELS`.
SUBNARRATIVES_OF: dict[str, tuple[int, ...]] = {
    n: tuple(j for j, label in enumerate(SUBNARRATIVE_LABELS) if label.startswith(f"{n}: "))
    for n in NARRATIVES
}
#: Evidence sentences per narrative, at most.
EVIDENCE = 2
#: The names the closeness features compare sentences with: each narrative's and each
#: specific sub-narrative's, without the domain ("URW: ", "CC: ") or the narrative it is under.
NAMES: tuple[str, ...] = (
    *(label.split(": ", 1)[1] for label in NARRATIVES),
    *(label.rsplit(": ", 1)[1] for label in SUBNARRATIVE_LABELS),
)
#: The closeness features average each name's best this many sentences (besides the best one).
TOP_SENTENCES = 3
#: The width of `narrative_features`.
FEATURES = 2 * DIM + 2 * len(NAMES)


@functools.cache
def name_vectors() -> Matrix:
    """(len(NAMES), DIM) the names' vectors from the shared encoder, each encoded as one
    sentence, normalised; computed once per process."""
    text = "\n".join(NAMES)
    spans, start = [], 0
    for name in NAMES:
        spans.append(Span.of(text, start, start + len(name)))
        start += len(name) + 1
    vectors = sentence_vectors(load_encoder().encode(text, spans))
    normalised: Matrix = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(
        np.float32
    )
    return normalised


def narrative_features(sentences: Matrix) -> Matrix:
    """(FEATURES,) an article's features: `document_features`, then per name the best cosine
    between it and a sentence, then the mean of the best `TOP_SENTENCES`."""
    if len(sentences) == 0:
        return np.zeros(FEATURES, np.float32)
    cosines = _cosines(sentences)
    best = np.sort(cosines, axis=0)[-TOP_SENTENCES:]
    return np.concatenate([document_features(sentences), best[-1], best.mean(axis=0)]).astype(
        np.float32
    )


def _cosines(sentences: Matrix) -> Matrix:
    """(sentences, NAMES) the cosine of each sentence vector with each name's."""
    norms = np.linalg.norm(sentences, axis=1, keepdims=True)
    result: Matrix = (sentences / np.maximum(norms, 1e-6)) @ name_vectors().T
    return result


@dataclass(frozen=True)
class Rules:
    """How probabilities become labels (see the module docstring)."""

    narrative_thresholds: Matrix
    subnarrative_thresholds: Matrix
    relative: float
    sub_relative: float
    sub_other_below: float

    @classmethod
    def of(cls, narratives: Head, subnarratives: Head) -> Rules:
        """The rules stored with the shipped heads (thresholds, and settings in `meta`)."""
        meta = narratives.meta
        return cls(
            narratives.thresholds,
            subnarratives.thresholds,
            float(meta["relative"]),
            float(meta["sub_relative"]),
            float(meta["sub_other_below"]),
        )

    def decide(self, p: Matrix, p_sub: Matrix) -> list[tuple[int, list[str]]]:
        """`(narrative index, full sub-narrative labels)` from one article's probabilities of
        `NARRATIVE_LABELS` and `SUBNARRATIVE_LABELS`, most likely first; empty for `Other`."""
        if p[OTHER_INDEX] >= self.narrative_thresholds[OTHER_INDEX]:
            return []
        top = max((j for j in range(len(p)) if j != OTHER_INDEX), key=lambda j: float(p[j]))
        chosen = [
            j
            for j in range(len(p))
            if j == top
            or (
                j != OTHER_INDEX
                and p[j] >= self.narrative_thresholds[j]
                and p[j] >= self.relative * p[top]
            )
        ]
        chosen.sort(key=lambda j: -float(p[j]))
        return [(j, self.subnarratives(NARRATIVE_LABELS[j], p_sub)) for j in chosen]

    def subnarratives(self, narrative: str, p_sub: Matrix) -> list[str]:
        """The full sub-narrative labels chosen under `narrative`."""
        mine = SUBNARRATIVES_OF[narrative]
        best = max((float(p_sub[j]) for j in mine), default=0.0)
        chosen = [
            SUBNARRATIVE_LABELS[j]
            for j in sorted(mine, key=lambda j: -float(p_sub[j]))
            if p_sub[j] >= self.subnarrative_thresholds[j] and p_sub[j] >= self.sub_relative * best
        ]
        if not chosen or best < self.sub_other_below:
            chosen.append(subnarrative_label(narrative, OTHER))
        return chosen


@dataclass(frozen=True)
class NarrativeModel:
    narratives: Head
    subnarratives: Head

    @property
    def rules(self) -> Rules:
        return Rules.of(self.narratives, self.subnarratives)

    def probabilities(self, sentences: Matrix) -> tuple[Matrix, Matrix]:
        """One article's probabilities of `NARRATIVE_LABELS` and `SUBNARRATIVE_LABELS`."""
        x = narrative_features(sentences)[None]
        return self.narratives.predict_proba(x)[0], self.subnarratives.predict_proba(x)[0]


@functools.cache
def model() -> NarrativeModel:
    """The shipped heads, loaded once per process."""
    return NarrativeModel(load_head(LAYER, "narratives"), load_head(LAYER, "subnarratives"))


def evidence(head: Head, label: int, sentences: Matrix, spans: Sequence[Span]) -> list[Span]:
    """The sentences (at most `EVIDENCE`, in text order) that add most to `label`'s score."""
    if len(sentences) == 0:
        return []
    share = sentence_shares(head, label, sentences)
    ranked = np.argsort(-share, kind="stable")[:EVIDENCE]
    kept = [int(i) for i in ranked if share[i] > 0] or [int(ranked[0])]
    return [spans[i] for i in sorted(kept)]


def sentence_shares(head: Head, label: int, sentences: Matrix) -> Matrix:
    """Each sentence's part in `label`'s score. The head is linear over features that each pool
    some sentences (the mean: all, the title: the first, a name's best cosine: one, the mean of
    its best three: three), so its score splits exactly over the sentences, up to a constant
    (its bias and the standardisation's means)."""
    w = head.weights[0][:, label] / head.scale
    n, names = len(sentences), len(NAMES)
    mean_norm = float(np.linalg.norm(sentences.mean(axis=0))) or 1.0
    share: Matrix = (sentences @ w[:DIM] / (n * mean_norm)).astype(np.float32)
    share[0] += sentences[0] @ w[DIM : 2 * DIM]
    cosines = _cosines(sentences)
    order = np.argsort(cosines, axis=0, kind="stable")[-TOP_SENTENCES:]  # (top, names)
    columns = np.arange(names)
    best_w, top_w = w[2 * DIM : 2 * DIM + names], w[2 * DIM + names :]
    np.add.at(share, order[-1], cosines[order[-1], columns] * best_w)
    for row in order:
        np.add.at(share, row, cosines[row, columns] * top_w / len(order))
    return share


def find_narratives(parsed: Segmented, trained: NarrativeModel | None = None) -> list[Narrative]:
    """The narratives of a parsed article (one `Other` finding when it carries none), with
    the shipped heads unless `trained` is given."""
    units = parsed.units
    if not units:
        return []
    heads = trained or model()
    sentences = sentence_vectors(units)
    p, p_sub = heads.probabilities(sentences)
    decided = heads.rules.decide(p, p_sub)
    scores = heads.narratives.calibration.apply(p)
    if not decided:
        score = float(scores[OTHER_INDEX])
        return [Narrative(narrative=OTHER, score=score, uncertain=score < CONFIDENT, source=SOURCE)]
    spans = [unit.span for unit in units]
    return [
        Narrative(
            narrative=NARRATIVE_LABELS[j],
            subnarratives=subs,
            score=float(scores[j]),
            uncertain=bool(scores[j] < CONFIDENT),
            evidence=evidence(heads.narratives, j, sentences, spans),
            source=SOURCE,
        )
        for j, subs in decided
    ]


def narrative_rows(narratives: Sequence[Narrative]) -> Iterator[Row]:
    for n in narratives:
        yield {
            "narrative": n.narrative,
            "subnarratives": list(n.subnarratives),
            "score": n.score,
            "uncertain": n.uncertain,
            "evidence": [s.text for s in n.evidence],
            "source": n.source,
        }


TABLE = Table(
    columns={
        "narrative": "str",
        "subnarratives": "list",
        "score": "float",
        "uncertain": "bool",
        "evidence": "list",
        "source": "str",
    },
    rows=narrative_rows,
    label="narrative",
    facet=Facet(
        "narrative",
        "Narratives",
        choices=lambda: [(label, label) for label in [*sorted(NARRATIVES), OTHER]],
    ),
)


@register_whole(
    LAYER,
    table=TABLE,
    views=Views(terminal=terminal, html=html, corpus=CorpusView(corpus.COLUMNS, corpus.sections)),
    trainer="spinscope.train.narratives",
    benchmark="spinscope.evaluate.narratives",
    llm=llm.REFINEMENT,
    correct=Correctable("narrative", lambda n: n.narrative),
)
def narratives(parsed: Segmented, found: Findings) -> list[Narrative]:
    return find_narratives(parsed)
