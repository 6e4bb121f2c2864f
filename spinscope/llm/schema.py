"""The shape of the answer: a JSON Schema built from what the refined layers declare
(`spinscope.layers.Refinement`), which servers with structured output (llama.cpp, vLLM, Ollama)
turn into a grammar, and the answer's token budget sized to it.

Every list in the schema has a `maxItems` and every free string a `maxLength`, so that a model
held to the grammar cannot run on; the token budget (`max_tokens` of the request) is what full
lists of typical items take, so that one that is not held to it is cut off instead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spinscope.layers import Refinement

#: A name or a mention as the article writes it.
NAME = {"type": "string", "minLength": 1, "maxLength": 120}
#: A sentence copied from the article.
SENTENCE = {"type": "string", "minLength": 1, "maxLength": 600}
#: The longest list of strings inside an item whose schema is derived from its example.
_DERIVED_LIST = 4
#: Tokens of the answer's own braces and keys, besides its items.
_ENVELOPE_TOKENS = 16


def item_schema(refinement: Refinement) -> dict[str, Any]:
    """The JSON Schema of one item of the layer's answer: the one it declares, else one derived
    from its example (a list of sentences where the example has a list, a sentence otherwise)."""
    if refinement.schema is not None:
        return dict(refinement.schema)
    properties = {
        key: {"type": "array", "items": SENTENCE, "maxItems": _DERIVED_LIST}
        if isinstance(value, list)
        else SENTENCE
        for key, value in refinement.example.items()
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def answer_schema(refinements: Sequence[Refinement]) -> dict[str, Any]:
    """The JSON Schema of the whole answer: one bounded list per refined layer, under its key."""
    properties: dict[str, Mapping[str, Any]] = {
        refinement.key: {
            "type": "array",
            "items": item_schema(refinement),
            "maxItems": refinement.max_items,
        }
        for refinement in refinements
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def answer_tokens(refinements: Sequence[Refinement]) -> int:
    """The default `max_tokens` of a request: full lists of the layers' typical items."""
    return _ENVELOPE_TOKENS + sum(r.max_items * r.item_tokens for r in refinements)
