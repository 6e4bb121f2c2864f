"""The prompt, and the reading of the answer: one request per article asks every layer that
declares a refinement (`spinscope.layers.Refinement`), and each layer reads its part of the
answer, its labels checked against the taxonomy and its words grounded in the text."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from spinscope.document import Analysis, Article
from spinscope.errors import LLMAnswerError
from spinscope.layers import Layer, refined
from spinscope.llm.client import LLMClient, Messages
from spinscope.llm.reading import Reader, RefineReport
from spinscope.llm.schema import answer_schema, answer_tokens

_INTRODUCTION = """\
You analyse a news article: answer each part below from the article alone."""

_RULES = """\
Rules:
- Use the labels exactly as they are written above.
- Copy every mention and every evidence quote character for character from the article: no \
paraphrase, no ellipsis, no added or changed words. Words that are not in the article are \
discarded.
- What earlier steps found is listed before the article: keep what is right, correct it where \
the article says otherwise, and add what they missed."""


def _layers(layers: Sequence[Layer] | None) -> list[Layer]:
    """The layers to refine: those of `layers` (all registered ones when None) that declare a
    refinement."""
    return refined() if layers is None else [layer for layer in layers if layer.llm]


def system_prompt(layers: Sequence[Layer] | None = None) -> str:
    """The instructions: each refined layer's part, the rules, and the shape of the answer."""
    parts = [_INTRODUCTION]
    shape = {}
    for layer in _layers(layers):
        assert layer.llm is not None
        parts.append(f"PART {layer.llm.key.upper()}\n{layer.llm.instructions}")
        shape[layer.llm.key] = [layer.llm.example]
    parts.append(_RULES)
    parts.append(
        "Answer with one JSON object only, shaped as:\n" + json.dumps(shape, ensure_ascii=False)
    )
    return "\n\n".join(parts) + "\n"


def build_messages(
    text: str,
    found: Mapping[str, Sequence[Any]] | None = None,
    layers: Sequence[Layer] | None = None,
) -> Messages:
    """The chat messages sent for one article: the instructions, then what the layers found
    (`found`, by field: their hints) and the article text."""
    hints = "\n".join(
        f"{layer.llm.key} found so far: "
        + json.dumps(layer.llm.hints((found or {}).get(layer.field, [])), ensure_ascii=False)
        for layer in _layers(layers)
        if layer.llm is not None
    )
    user = f"{hints}\n\nARTICLE:\n{text}"
    return [
        {"role": "system", "content": system_prompt(layers)},
        {"role": "user", "content": user},
    ]


def interpret(
    answer: Mapping[str, Any],
    text: str,
    found: Mapping[str, Sequence[Any]],
    report: RefineReport,
    layers: Sequence[Layer] | None = None,
) -> dict[str, list[Any]]:
    """Each refined layer's findings (by field) after the LLM's `answer`, counting in
    `report`: each layer reads its part (`Refinement.read`)."""
    reader = Reader(text, report)
    result = {}
    for layer in _layers(layers):
        assert layer.llm is not None
        given = found.get(layer.field, [])
        result[layer.field] = layer.llm.read(reader.items(answer, layer.llm.key), given, reader)
    return result


# --- the entry points -------------------------------------------------------------------------


class _HasArticle(Protocol):
    @property
    def article(self) -> Article: ...


def refine(
    source: Article | str | _HasArticle,
    client: LLMClient,
    found: Mapping[str, Sequence[Any]] | None = None,
    layers: Sequence[Layer] | None = None,
) -> tuple[dict[str, list[Any]], RefineReport]:
    """Ask the LLM to refine what the layers found in one article (`found`, by field: missing
    or empty where nothing was found), and keep what passes their checks. `layers` are the
    layers to refine: those that declare a refinement among them (None: every registered
    one). The answer is held to their schema and token budget (`spinscope.llm.schema`).
    Returns each refined layer's findings by field, and the report.

    `source` is the article, its text, or anything with an `.article` (`Parsed`, `Analysis`).
    Raises `LLMError` when the endpoint cannot be used, `LLMAnswerError` when it gives no
    usable answer (see `LLMClient.chat_json`).
    """
    if isinstance(source, str):
        text = source
    elif isinstance(source, Article):
        text = source.text
    else:
        text = source.article.text
    chosen = _layers(layers)
    refinements = [layer.llm for layer in chosen if layer.llm is not None]
    messages = build_messages(text, found, chosen)
    started = time.monotonic()
    answer = client.chat_json(messages, answer_schema(refinements), answer_tokens(refinements))
    report = RefineReport(
        model=client.options.model,
        cached=answer.cached,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        prompt_chars=_chars(messages),
        seconds=time.monotonic() - started,
    )
    result = interpret(answer.value, text, found or {}, report, chosen)
    report.refined = sum(
        report.source in getattr(item, "source", "") for items in result.values() for item in items
    )
    return result, report


def _chars(messages: Messages) -> int:
    return sum(len(message["content"]) for message in messages)


def _found(analysis: Analysis, layers: Sequence[Layer]) -> dict[str, list[Any]]:
    return {layer.field: layer.findings(analysis) for layer in layers}


def refine_analysis(
    analysis: Analysis, client: LLMClient, layers: Sequence[Layer] | None = None
) -> tuple[Analysis, RefineReport]:
    """`analysis` with the findings of `layers` (see `refine`) refined by the LLM; when
    anything of the answer was dropped, the report's summary is added to its warnings. With no
    layer to refine, `analysis` as it is (and no request)."""
    chosen = _layers(layers)
    if not chosen:
        return analysis, RefineReport(model=client.options.model)
    refined_found, report = refine(analysis.article, client, _found(analysis, chosen), chosen)
    warnings = [*analysis.warnings, report.summary()] if report.dropped else analysis.warnings
    return analysis.with_findings(refined_found, warnings=warnings), report


def refine_reported(
    analysis: Analysis, client: LLMClient, layers: Sequence[Layer] | None = None
) -> tuple[Analysis, RefineReport | None]:
    """`analysis` refined by the LLM (`refine_analysis`), and the report; None for the report
    when no layer is refined. A request that gives no usable answer (`LLMAnswerError`: too
    slow, cut off, refused, not JSON) leaves the analysis as it was, with one warning that says
    why, and the report's `failure` says so too; only an endpoint that cannot be used at all
    (`LLMError`) raises."""
    chosen = _layers(layers)
    if not chosen:
        return analysis, None
    started = time.monotonic()
    try:
        return refine_analysis(analysis, client, chosen)
    except LLMAnswerError as exc:
        names = ", ".join(layer.name for layer in chosen)
        warning = f"{exc}; {names} not refined"
        messages = build_messages(analysis.article.text, _found(analysis, chosen), chosen)
        report = RefineReport(
            model=client.options.model,
            prompt_tokens=exc.prompt_tokens,
            completion_tokens=exc.completion_tokens,
            prompt_chars=_chars(messages),
            seconds=time.monotonic() - started,
            failure=warning,
        )
        return analysis.model_copy(update={"warnings": [*analysis.warnings, warning]}), report


def refine_or_warn(
    analysis: Analysis, client: LLMClient, layers: Sequence[Layer] | None = None
) -> Analysis:
    """`analysis` refined by the LLM; an answer that cannot be used leaves it as it was, with a
    warning that says why, instead of failing it (`refine_reported`)."""
    return refine_reported(analysis, client, layers)[0]
