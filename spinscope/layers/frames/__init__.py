"""Genre and frames layers (SemEval-2023 Task 3 subtasks 1 and 2): whether an article is
opinion, reporting or satire, and which of the 14 frames of the Policy Frames Codebook it uses.

Both are logistic regressions over the article's features from the shared encoder pass
(`document_features`), trained by `spinscope train frames`. Genre: one output per genre, fitted
with balanced classes (opinion outnumbers reporting ten to one and satire a hundred and fifty
to one in the training data), and the most likely genre wins. Frames: every frame whose
probability reaches the one threshold chosen on held-out predictions.

The genre is always a suggestion (`uncertain`), whatever its score: the score is calibrated on
SemEval-2023's outlets and holds there, but on news reports from other outlets the head says
opinion, most of them 0.9 sure or more (`benchmarks/genre_wire.py`: 72 of PolNeAR's 75 wire
reports called opinion, 43 at 0.9 or more). Its model card says so under "Limits".
"""

from __future__ import annotations

import functools

import numpy as np

from spinscope.arrays import Matrix
from spinscope.document import Frame, Genre
from spinscope.layers import Correctable, Findings, Summary, Views, register_whole
from spinscope.layers.frames import views
from spinscope.ml.calibration import is_uncertain
from spinscope.ml.features import document_features, sentence_vectors
from spinscope.ml.heads import Head, load_head
from spinscope.parse import Segmented

#: The models' directory (`spinscope/models/frames/`), shared by both layers.
MODELS = "frames"
VERSION = "1"
GENRE_SOURCE = f"genre/minilm-logreg@{VERSION}"
FRAMES_SOURCE = f"frames/minilm-logreg@{VERSION}"
#: The calibrated score over which a genre is taken as sure: none (see above).
GENRE_CONFIDENT: float | None = None


@functools.cache
def heads() -> tuple[Head, Head]:
    """The shipped genre and frames heads, loaded once per process."""
    return load_head(MODELS, "genre"), load_head(MODELS, "frames")


def _features(parsed: Segmented) -> Matrix | None:
    units = parsed.units
    return document_features(sentence_vectors(units))[None] if units else None


def find_genre(parsed: Segmented, head: Head | None = None) -> list[Genre]:
    """The article's genre (none for an article without a sentence)."""
    x = _features(parsed)
    if x is None:
        return []
    head = head or heads()[0]
    p = head.predict_proba(x)[0]
    best = int(np.argmax(p))
    score = head.calibration(float(p[best]))
    return [
        Genre(
            genre=head.labels[best],
            score=score,
            uncertain=is_uncertain(score, GENRE_CONFIDENT),
            source=GENRE_SOURCE,
        )
    ]


def find_frames(parsed: Segmented, head: Head | None = None) -> list[Frame]:
    """The frames the article uses, most likely first."""
    x = _features(parsed)
    if x is None:
        return []
    head = head or heads()[1]
    p = head.predict_proba(x)[0]
    scores = head.calibration.apply(p)
    return [
        Frame(
            frame=head.labels[j],
            score=float(scores[j]),
            uncertain=is_uncertain(float(scores[j])),
            source=FRAMES_SOURCE,
        )
        for j in np.argsort(-p, kind="stable")
        if p[j] >= head.thresholds[j]
    ]


@register_whole(
    "genre",
    summary=Summary(
        columns={"genre": "str", "genre_score": "float"},
        values=lambda found: {
            "genre": found[0].genre if found else None,
            "genre_score": found[0].score if found else None,
        },
    ),
    views=Views(terminal=views.genre_alone, html=views.genre_html),
    trainer="spinscope.train.frames",
    benchmark="spinscope.evaluate.frames:GENRE_BENCHMARK",
    correct=Correctable("genre", lambda g: g.genre),
)
def genre(parsed: Segmented, found: Findings) -> list[Genre]:
    return find_genre(parsed)


@register_whole(
    "frames",
    summary=Summary(
        columns={"frames": "list"}, values=lambda found: {"frames": [f.frame for f in found]}
    ),
    views=Views(terminal=views.terminal, html=views.html),
    trainer="spinscope.train.frames",
    benchmark="spinscope.evaluate.frames:FRAMES_BENCHMARK",
    correct=Correctable("frame", lambda f: f.frame),
)
def frames(parsed: Segmented, found: Findings) -> list[Frame]:
    return find_frames(parsed)
