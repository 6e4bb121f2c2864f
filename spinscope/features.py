"""Features over the shared encoder's pass that more than one layer reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinscope.encoder import DIM
from spinscope.parse import Parsed

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class WordFeatures:
    """One row per word (spaCy token that is not whitespace) of an article.

    X -- (n, 2 * DIM): the word's vector (mean of its word pieces) and its sentence's vector.
    """

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    sentence: npt.NDArray[np.int64]
    X: Matrix


def word_features(parsed: Parsed) -> WordFeatures:
    """Features of every word, from the article's shared encoder pass."""
    starts: list[int] = []
    ends: list[int] = []
    sentence_of: list[int] = []
    rows: list[Matrix] = []
    units = parsed.units
    doc = parsed.doc
    for index, unit in enumerate(units):
        span = doc.char_span(unit.span.start, unit.span.end, alignment_mode="expand")
        if span is None:
            continue
        piece_starts = unit.offsets[:, 0]
        piece_ends = unit.offsets[:, 1]
        for token in span:
            if token.is_space:
                continue
            start, end = token.idx, token.idx + len(token.text)
            inside = (piece_starts < end) & (piece_ends > start)
            vector = unit.tokens[inside].mean(axis=0) if inside.any() else unit.vector
            starts.append(start)
            ends.append(end)
            sentence_of.append(index)
            rows.append(np.concatenate([vector, unit.vector]))
    X = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 2 * DIM), np.float32)
    return WordFeatures(
        np.asarray(starts, dtype=np.int64),
        np.asarray(ends, dtype=np.int64),
        np.asarray(sentence_of, dtype=np.int64),
        X,
    )
