"""Features over the shared encoder's pass that more than one layer reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinscope.arrays import Matrix
from spinscope.ml.encoder import DIM, EncodedUnit
from spinscope.parse import Parsed


@dataclass(frozen=True)
class Words:
    """The words (spaCy tokens that are not whitespace) of an article and their word pieces.

    sentence -- the unit (sentence) index of each word;
    pieces -- per word, the indices of its word pieces in its unit's `tokens` (none when the
              tokenizer gave the word no piece of its own).
    """

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    sentence: npt.NDArray[np.int64]
    pieces: list[npt.NDArray[np.int64]]


@dataclass(frozen=True)
class WordFeatures(Words):
    """Words with one feature row each.

    X -- (n, 2 * DIM): the word's vector (mean of its word pieces, else its sentence's vector)
         and its sentence's vector.
    """

    X: Matrix


def words(parsed: Parsed, units: Sequence[EncodedUnit] | None = None) -> Words:
    """Every word of the article with its word pieces in `units` (default: `parsed.units`)."""
    units = parsed.units if units is None else units
    starts: list[int] = []
    ends: list[int] = []
    sentence_of: list[int] = []
    pieces: list[npt.NDArray[np.int64]] = []
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
            starts.append(start)
            ends.append(end)
            sentence_of.append(index)
            pieces.append(np.flatnonzero((piece_starts < end) & (piece_ends > start)))
    return Words(
        np.asarray(starts, dtype=np.int64),
        np.asarray(ends, dtype=np.int64),
        np.asarray(sentence_of, dtype=np.int64),
        pieces,
    )


def word_features(parsed: Parsed, units: Sequence[EncodedUnit] | None = None) -> WordFeatures:
    """Features of every word, from `units` (default: the article's shared encoder pass)."""
    units = parsed.units if units is None else units
    found = words(parsed, units)
    rows = [
        np.concatenate(
            [
                units[u].tokens[p].mean(axis=0) if len(p) else units[u].vector,
                units[u].vector,
            ]
        )
        for u, p in zip(found.sentence.tolist(), found.pieces, strict=True)
    ]
    X = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 2 * DIM), np.float32)
    return WordFeatures(found.starts, found.ends, found.sentence, found.pieces, X)


def sentence_vectors(units: Sequence[EncodedUnit]) -> Matrix:
    """(n, DIM) the units' (sentences') vectors."""
    return np.vstack([u.vector for u in units]) if units else np.zeros((0, DIM), np.float32)


def document_features(sentences: Matrix) -> Matrix:
    """(2 * DIM,) features of a whole article from its sentence vectors: their mean, normalised
    (the article's topic and tone), and the first sentence's (the title line of a news file),
    which states what the article is about more plainly than any other line."""
    if len(sentences) == 0:
        return np.zeros(2 * DIM, np.float32)
    mean = sentences.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return np.concatenate([mean / norm if norm else mean, sentences[0]]).astype(np.float32)
