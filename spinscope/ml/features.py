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
    starts: list[npt.NDArray[np.int64]] = []
    ends: list[npt.NDArray[np.int64]] = []
    sentence_of: list[npt.NDArray[np.int64]] = []
    pieces: list[npt.NDArray[np.int64]] = []
    doc = parsed.doc
    for index, unit in enumerate(units):
        span = doc.char_span(unit.span.start, unit.span.end, alignment_mode="expand")
        if span is None:
            continue
        tokens = [token for token in span if not token.is_space]
        start = np.fromiter((token.idx for token in tokens), np.int64, len(tokens))
        end = start + np.fromiter((len(token.text) for token in tokens), np.int64, len(tokens))
        # a word's pieces are those that overlap it: one run, as the pieces are in text order
        overlap = (unit.offsets[:, 0] < end[:, None]) & (unit.offsets[:, 1] > start[:, None])
        count = overlap.sum(axis=1).tolist()
        first = overlap.argmax(axis=1).tolist() if overlap.size else count
        every = np.arange(len(unit.offsets), dtype=np.int64)
        pieces.extend(every[f : f + n] for f, n in zip(first, count, strict=True))
        starts.append(start)
        ends.append(end)
        sentence_of.append(np.full(len(tokens), index, dtype=np.int64))
    return Words(
        np.concatenate(starts) if starts else np.zeros(0, np.int64),
        np.concatenate(ends) if ends else np.zeros(0, np.int64),
        np.concatenate(sentence_of) if sentence_of else np.zeros(0, np.int64),
        pieces,
    )


def word_features(parsed: Parsed, units: Sequence[EncodedUnit] | None = None) -> WordFeatures:
    """Features of every word, from `units` (default: the article's shared encoder pass)."""
    units = parsed.units if units is None else units
    found = words(parsed, units)
    first = np.array([p[0] if len(p) else 0 for p in found.pieces], np.int64)
    count = np.array([len(p) for p in found.pieces], np.int64)
    X = np.zeros((len(count), 2 * DIM), np.float32)
    # the words come sentence by sentence: fill each sentence's rows at once
    sentences, begins, sizes = np.unique(found.sentence, return_index=True, return_counts=True)
    for u, begin, size in zip(sentences.tolist(), begins.tolist(), sizes.tolist(), strict=True):
        unit = units[u]
        rows = np.arange(begin, begin + size)
        X[rows] = np.concatenate([unit.vector, unit.vector])
        one = rows[count[rows] == 1]
        X[one, :DIM] = unit.tokens[first[one]]
        for row in rows[count[rows] > 1].tolist():
            X[row, :DIM] = unit.tokens[first[row] : first[row] + count[row]].mean(axis=0)
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
