"""Long articles, window by window: where a text is cut (`windows`), and how the findings of its
windows become the article's (`Merged`).

The pipeline parses at most `WINDOW_CHARS` characters at once: the parse, the encoder's pass and
the rules' search for quote marks and speakers then cost the same for every window, so a long
text costs in proportion to its length and holds the memory of one window. A window ends at a
line break, which no sentence, paragraph or pair of quote marks crosses, so the windows' sentences
and findings are those of the whole article, but for what reaches across a cut: a pronoun whose
speaker is named in the window before, a repetition, an entity's mentions (joined by name).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel

from spinscope.document import Span
from spinscope.layers import Findings, Layer
from spinscope.ml.encoder import DIM, EncodedUnit
from spinscope.parse import Segmented

#: The longest stretch of text parsed at once, in characters. News articles are shorter and are
#: parsed whole: the longest in PolNeAR and SemEval-2023/2025 has 47,473 characters.
WINDOW_CHARS = 50_000

M = TypeVar("M", bound=BaseModel)


def windows(text: str, size: int = WINDOW_CHARS) -> list[tuple[int, int]]:
    """Where a text is cut to be analysed in pieces of at most `size` characters: `(start, end)`
    of each piece, covering the text. A piece ends at a line break, or, in a line longer than
    `size`, after the last sentence end or space in reach, else at `size`."""
    if size <= 0:
        raise ValueError(f"the window size must be positive, not {size}")
    cuts = []
    start = 0
    while len(text) - start > size:
        limit = start + size
        end = text.rfind("\n", start, limit) + 1
        if end <= start:
            sentence_end = max(text.rfind(mark, start, limit - 1) for mark in (". ", "? ", "! "))
            end = sentence_end + 2 if sentence_end > start else text.rfind(" ", start, limit) + 1
        if end <= start:
            end = limit
        cuts.append((start, end))
        start = end
    cuts.append((start, len(text)))
    return cuts


def shifted(model: M, by: int) -> M:
    """A finding of a window, in its article's offsets: every `start` and `end` in it moved by
    `by`. Every offset in the data model is such a pair, into the text (`spinscope.document`)."""
    return type(model).model_validate(_shift(model.model_dump(), by))


def _shift(value: Any, by: int) -> Any:
    if isinstance(value, dict):
        moved = {key: _shift(item, by) for key, item in value.items()}
        if isinstance(moved.get("start"), int) and isinstance(moved.get("end"), int):
            moved["start"] += by
            moved["end"] += by
        return moved
    if isinstance(value, list):
        return [_shift(item, by) for item in value]
    return value


def sentence_only(unit: EncodedUnit, by: int) -> EncodedUnit:
    """A window's encoded sentence as the layers that run over the whole article read it: its
    span in the article's offsets and its vector, without the word pieces' states (the bulk of
    the pass's memory)."""
    return EncodedUnit(
        span=shifted(unit.span, by),
        offsets=np.zeros((0, 2), dtype=np.int64),
        tokens=np.zeros((0, DIM), dtype=np.float32),
        vector=unit.vector,
        tapped=(),
    )


@dataclass
class Merged:
    """The findings of an article's windows so far, in the article's offsets."""

    sentences: list[Span] = field(default_factory=list)
    paragraphs: list[Span] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parts: dict[str, list[tuple[list[Any], dict[str, int]]]] = field(default_factory=dict)

    def add(self, window: Segmented, found: Findings) -> None:
        """Add the next window's sentences, warnings and findings (`window.offset` is where it
        starts in the article)."""
        by = window.offset
        self.sentences.extend(shifted(span, by) for span in window.sentences)
        self.paragraphs.extend(shifted(span, by) for span in window.paragraphs)
        self.warnings.extend(window.warnings)
        before = {name: sum(len(items) for items, _ in parts) for name, parts in self.parts.items()}
        for name, items in found.items():
            self.parts.setdefault(name, []).append(([shifted(i, by) for i in items], before))

    def findings(self, layers: Sequence[Layer]) -> Findings:
        """The article's findings: each layer's `join` of its windows' findings, or else the
        windows' findings in order."""
        joins = {layer.name: layer.join for layer in layers}
        found: Findings = {}
        for name, parts in self.parts.items():
            join = joins.get(name)
            found[name] = join(parts) if join else [item for items, _ in parts for item in items]
        return found
