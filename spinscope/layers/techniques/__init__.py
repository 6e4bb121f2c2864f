"""Techniques layer: spans that use one of the 23 persuasion techniques of SemEval-2023 Task 3.

Two parts, combined:
- a learned word tagger: every word gets, for each technique, the probability that it lies in a
  span of that technique, from a small network over the word's own vector and its sentence's;
  the vectors come from the tagger's fine-tuned copy of the encoder's last two layers, run on
  the states the shared encoder pass tapped before them (`spinscope.ml.transformer`); runs of
  likely words become spans, scored with the calibrated probability that they are right
  (`spinscope.ml.calibration`, fitted by the trainer on held-out articles);
- named rules (`technique_rules`) for what rules see better: repetition, "so-called",
  whataboutism cues, and techniques absent from the training data, scored with their rule's
  measured precision.

A finding scored under `CONFIDENT` is uncertain (`shown_techniques`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from spinscope.arrays import Matrix
from spinscope.document import Span, Technique
from spinscope.layers import CorpusView, Correctable, Facet, Findings, Row, Table, Views, register
from spinscope.layers.techniques import corpus
from spinscope.layers.techniques import rules as technique_rules
from spinscope.layers.techniques.views import html, terminal
from spinscope.ml.calibration import CONFIDENT
from spinscope.ml.features import WordFeatures
from spinscope.ml.tagger import Tagger, load_tagger
from spinscope.parse import Parsed
from spinscope.taxonomy import TECHNIQUES, technique_label

LAYER = "techniques"
VERSION = "2"
TAGGER_SOURCE = f"techniques/minilm-tagger@{VERSION}"
#: Words a run of likely words may skip and still be one span ("a [cynical] and [brutal] war").
GAP = 2


#: File of the tagger's fine-tuned encoder layers, beside its head.
LAYERS_FILE = "tagger-layers.npz"


def tagger() -> Tagger:
    """The shipped word tagger (labels: techniques; one threshold each), loaded once per
    process."""
    return load_tagger(LAYER, "tagger", LAYERS_FILE)


@dataclass(frozen=True)
class Decoding:
    """How the tagger's word probabilities become spans (`decode`).

    gap -- words a run of likely words may skip and still be one span;
    grow -- a run grows over the neighbouring words of its sentence whose probability is at
            least this share of the threshold (1: only words over the threshold).
    """

    gap: int = GAP
    grow: float = 1.0


def decode(
    words: WordFeatures,
    probabilities: Matrix,
    labels: Sequence[str],
    thresholds: Sequence[float],
    sentences: Sequence[Span] = (),
    sentence_techniques: Collection[str] = (),
    decoding: Decoding = Decoding(),
) -> list[tuple[str, int, int, float]]:
    """Spans `(technique, start, end, score)` from word probabilities: for each technique, the
    runs of words at or above its threshold (grown as `decoding` says), within one sentence,
    bridging up to `decoding.gap` words; a span's score is its highest word probability. A span
    of one of `sentence_techniques` (those whose gold spans are typically a clause or more, such
    as Doubt) is widened to its whole sentence (`sentences`, indexed like `words.sentence`)."""
    spans: list[tuple[str, int, int, float]] = []
    for j, technique in enumerate(labels):
        on = _likely(words, probabilities[:, j], thresholds[j], decoding.grow)
        if len(on) == 0:
            continue
        widen = technique in sentence_techniques
        first = last = int(on[0])
        for k in [*on[1:].tolist(), None]:
            if (
                k is not None
                and k - last <= decoding.gap + 1
                and words.sentence[k] == words.sentence[last]
            ):
                last = k
                continue
            score = float(probabilities[first : last + 1, j].max())
            start, end = int(words.starts[first]), int(words.ends[last])
            if widen:
                sentence = sentences[int(words.sentence[first])]
                start, end = min(start, sentence.start), max(end, sentence.end)
            spans.append((technique, start, end, score))
            if k is not None:
                first = last = k
    return spans


def _likely(words: WordFeatures, p: Matrix, threshold: float, grow: float) -> Any:
    """Indices of the words a span may cover: those at or above `threshold`, and with `grow` < 1
    the runs of their sentence's words at or above `grow * threshold` that hold one of them."""
    core = p >= threshold
    if grow >= 1:
        return np.flatnonzero(core)
    weak = p >= grow * threshold
    # a new run starts at every word that is not weak, follows one that is not, or opens a sentence
    starts = np.ones(len(p), dtype=bool)
    sentence = words.sentence
    starts[1:] = ~weak[1:] | ~weak[:-1] | (sentence[1:] != sentence[:-1])
    run = np.cumsum(starts)
    holds_core = np.zeros(int(run[-1]) + 1 if len(run) else 1, dtype=bool)
    holds_core[run[core]] = True
    return np.flatnonzero(weak & holds_core[run])


def tagged(parsed: Parsed, tagger: Tagger) -> list[tuple[str, int, int, float]]:
    """The tagger's spans in one article."""
    words = tagger.features(parsed)
    if len(words.starts) == 0:
        return []
    head = tagger.head
    return decode(
        words,
        head.predict_proba(words.X),
        head.labels,
        head.thresholds.tolist(),
        parsed.sentences,
        head.meta.get("sentence_techniques", ()),
        Decoding(**head.meta.get("decoding", {})),
    )


Candidate = tuple[str, int, int, float, str, float | None]


def merge(candidates: Sequence[Candidate]) -> list[Candidate]:
    """`(technique, start, end, score, source, raw score)` candidates with overlapping spans of
    one technique merged into one, which keeps the source and scores of the higher score."""
    merged: list[list[Any]] = []
    for technique, start, end, score, source, raw in sorted(candidates, key=lambda c: (c[0], c[1])):
        last = merged[-1] if merged else None
        if last is not None and last[0] == technique and start < last[2]:
            last[2] = max(last[2], end)
            if score > last[3]:
                last[3], last[4], last[5] = score, source, raw
        else:
            merged.append([technique, start, end, score, source, raw])
    return [tuple(m) for m in merged]


def find_techniques(parsed: Parsed, tagger: Tagger) -> list[Technique]:
    """Tagger spans and rule hits, one finding per technique and stretch of text: overlapping
    spans of the same technique are merged, keeping the better-scored provenance."""
    return [finding for finding, _ in shown_techniques(parsed, tagger)]


def shown_techniques(parsed: Parsed, tagger: Tagger) -> list[tuple[Technique, float | None]]:
    """The layer's findings (`find_techniques`), each with the raw score its tagger span had
    before calibration, or None where a rule hit gave its score: what the trainer measures the
    calibration on.

    A tagger span's score is the calibrated probability that it is right (the head's
    `calibration`, fitted by the trainer on held-out articles); a rule hit's is its rule's
    precision measured on training articles (`technique_rules`), already a probability, left as
    it is. Merged spans keep the provenance with the higher of those probabilities; a finding
    under `CONFIDENT` is uncertain."""
    calibration = tagger.head.calibration
    candidates: list[Candidate] = [
        (t, s, e, calibration(score), TAGGER_SOURCE, score)
        for t, s, e, score in tagged(parsed, tagger)
    ]
    candidates += [
        (
            hit.technique,
            hit.start,
            hit.end,
            hit.score,
            f"techniques/rules:{hit.rule}@{VERSION}",
            None,
        )
        for hit in technique_rules.find(parsed.text, parsed.doc)
    ]
    merged = merge(candidates)
    text = parsed.text
    findings = [
        (
            Technique(
                technique=technique,
                group=TECHNIQUES[technique].group,
                start=start,
                end=end,
                text=text[start:end],
                score=round(score, 4),
                uncertain=round(score, 4) < CONFIDENT,
                source=source,
            ),
            raw,
        )
        for technique, start, end, score, source, raw in merged
    ]
    return sorted(findings, key=lambda f: (f[0].start, f[0].end, f[0].technique))


def technique_rows(techniques: Sequence[Technique]) -> Iterator[Row]:
    for t in techniques:
        yield {
            "technique": t.technique,
            "group": t.group,
            "start": t.start,
            "end": t.end,
            "text": t.text,
            "score": t.score,
            "uncertain": t.uncertain,
            "source": t.source,
        }


TABLE = Table(
    columns={
        "technique": "str",
        "group": "str",
        "start": "int",
        "end": "int",
        "text": "str",
        "score": "float",
        "uncertain": "bool",
        "source": "str",
    },
    rows=technique_rows,
    label="technique",
    text="text",
    facet=Facet(
        "technique",
        "Persuasion techniques",
        choices=lambda: [(name, technique_label(name)) for name in sorted(TECHNIQUES)],
    ),
)


@register(
    LAYER,
    table=TABLE,
    views=Views(terminal=terminal, html=html, corpus=CorpusView(corpus.COLUMNS, corpus.sections)),
    trainer="spinscope.train.techniques",
    benchmark="spinscope.evaluate.techniques",
    correct=Correctable("technique", lambda t: (t.technique, t.start, t.end)),
)
def techniques(parsed: Parsed, found: Findings) -> list[Technique]:
    return find_techniques(parsed, tagger())
