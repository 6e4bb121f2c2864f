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
    """What the LLM's answer for one article gave, what was dropped and why, and what the
    request cost: the tokens the server says it took (None where it does not say, and for an
    answer from the cache), the characters sent, and the seconds waited. `failure` says why
    nothing was refined, when nothing was (`refine_reported`)."""

    model: str
    cached: bool = False
    kept: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    refined: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_chars: int = 0
    seconds: float = 0.0
    failure: str | None = None

    def summary(self) -> str:
        """One line, the analysis's warning when anything was dropped: `llm:MODEL: kept 2 ×
        role, …; dropped 1 × evidence quote not in the text`. It does not say whether the
        answer came from the cache: the analysis is the same either way."""

        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{n} × {what}" for what, n in counter.items()) or "nothing"

        return f"llm:{self.model}: kept {counts(self.kept)}; dropped {counts(self.dropped)}"

    def cost(self) -> str:
        """What was sent and received, and how long it took: `3,251 tokens sent, 212
        received, 14.2 s` (characters where the server does not count tokens)."""
        if self.cached:
            return "answered from the cache"
        if self.prompt_tokens is None:
            sent = f"{self.prompt_chars:,} characters sent"
        else:
            sent = f"{self.prompt_tokens:,} tokens sent"
        received = (
            "" if self.completion_tokens is None else f", {self.completion_tokens:,} received"
        )
        return f"{sent}{received}, {self.seconds:.1f} s"

    def line(self) -> str:
        """The one line `--llm` prints for an article: its cost, and what came of it."""
        if self.failure is not None:
            outcome = "not refined (see the warning)"
        else:
            dropped = sum(self.dropped.values())
            outcome = f"{_many(self.refined, 'finding')} refined, {_many(dropped, 'item')} dropped"
        return f"llm:{self.model}: {self.cost()}; {outcome}"

    @property
    def source(self) -> str:
        """The provenance of what the answer added: `llm:MODEL`."""
        return f"llm:{self.model}"


@dataclass
class RefineTotals:
    """The reports of a run's articles, added up (`spinscope batch --llm` prints its line)."""

    model: str
    articles: int = 0
    cached: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    refined: int = 0
    dropped: int = 0

    def add(self, report: RefineReport) -> None:
        self.articles += 1
        self.cached += report.cached
        self.failed += report.failure is not None
        self.prompt_tokens += report.prompt_tokens or 0
        self.completion_tokens += report.completion_tokens or 0
        self.seconds += report.seconds
        self.refined += report.refined
        self.dropped += sum(report.dropped.values())

    def line(self) -> str:
        return (
            f"llm:{self.model}: {_many(self.articles, 'article')} asked ({self.cached:,} "
            f"answered from the cache), {self.failed:,} not refined; {self.prompt_tokens:,} "
            f"tokens sent, {self.completion_tokens:,} received, {self.seconds:.1f} s; "
            f"{_many(self.refined, 'finding')} refined, {_many(self.dropped, 'item')} dropped"
        )


def _many(count: int, what: str) -> str:
    """`1 finding`, `2 findings`."""
    return f"{count:,} {what}{'' if count == 1 else 's'}"


T = TypeVar("T")

#: The fewest words of an evidence quote. Models this small answer a name as the evidence of a
#: role ("Dana Whitfield"), which stands in the text but shows nothing.
MIN_EVIDENCE_WORDS = 4


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
        """The evidence quotes, each where it first stands in the text; a quote too short to be
        a sentence or a clause of one (a name, a label) is no evidence, and is dropped."""
        spans = []
        for quote in self.strings(value):
            if len(quote.split()) < MIN_EVIDENCE_WORDS:
                self.report.dropped["evidence quote too short"] += 1
                continue
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
