"""Reading an LLM's answer: what a layer's refinement (`spinscope.layers.Refinement`) checks
each answered item with, and the report of what was kept and dropped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from spinscope.document import Span
from spinscope.llm.grounding import Grounder


@dataclass
class RefineReport:
    """What the LLM's answer for one article gave, and what was dropped and why."""

    model: str
    cached: bool = False
    kept: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line: `llm:MODEL (cached): kept 2 × role, …; dropped 1 × evidence quote not
        in the text`."""

        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{n} × {what}" for what, n in counter.items()) or "nothing"

        cached = " (cached)" if self.cached else ""
        return f"llm:{self.model}{cached}: kept {counts(self.kept)}; dropped {counts(self.dropped)}"

    @property
    def source(self) -> str:
        """The provenance of what the answer added: `llm:MODEL`."""
        return f"llm:{self.model}"


T = TypeVar("T")


class Reader:
    """Checks one answer against the taxonomy and the text, counting in `report`."""

    def __init__(self, text: str, report: RefineReport) -> None:
        self.grounder = Grounder(text)
        self.report = report

    def items(self, answer: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        """The JSON objects listed under `key`; anything else there is counted as malformed."""
        value = answer.get(key) or []
        if not isinstance(value, list):
            self.report.dropped[f"malformed {key} list"] += 1
            return []
        return self._only(dict, value)

    def strings(self, value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        return self._only(str, value) if isinstance(value, list) else []

    def label(self, value: Any, known: Mapping[str, str], what: str) -> str | None:
        """The label of `known` (keyed by its case-folded form) that `value` names, ignoring
        case; None, counted as an unknown `what`, when there is none."""
        label = known.get(str(value).casefold())
        if label is None:
            self.report.dropped[f"unknown {what}"] += 1
        return label

    def _only(self, kind: type[T], values: list[Any]) -> list[T]:
        """The values of type `kind`; the others are counted as malformed."""
        kept = [value for value in values if isinstance(value, kind)]
        if len(kept) < len(values):
            self.report.dropped["malformed item"] += len(values) - len(kept)
        return kept

    def evidence(self, value: Any) -> list[Span]:
        spans = []
        for quote in self.strings(value):
            span = self.grounder.first(quote)
            if span is None:
                self.report.dropped["evidence quote not in the text"] += 1
            else:
                self.report.kept["evidence quote"] += 1
                spans.append(span)
        return sorted_spans(spans)

    def mentions(self, name: str, value: Any) -> list[Span]:
        """Every occurrence of the mentions; the name is looked for too, but as a label it
        may be written otherwise than in the text, so its absence is not counted."""
        spans = self.grounder.every(name)
        for mention in self.strings(value):
            found = self.grounder.every(mention)
            if not found:
                self.report.dropped["mention not in the text"] += 1
            spans.extend(found)
        return sorted_spans(spans)


def sorted_spans(spans: list[Span]) -> list[Span]:
    """`spans` in text order, each once."""
    return sorted(set(spans), key=lambda span: (span.start, span.end))
