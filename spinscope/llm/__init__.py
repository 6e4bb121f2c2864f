"""Optional LLM backend: an OpenAI-compatible chat endpoint refines the findings of the layers
that declare what it may refine (`spinscope.layers.Refinement`), all in one request per article.

Nothing here runs unless asked for (`spinscope analyze --llm URL`, or `refine` from code), and
the model's answer is not trusted (each layer reads its part with a `Reader`):

- every label must be one of the taxonomy's (`spinscope.taxonomy`); unknown ones are dropped;
- every mention and evidence quote must stand in the article text (exactly, else up to
  whitespace, quote-mark and dash variants); its offsets are taken from the text, never asked of
  the model; what is not in the text is dropped.

Both kinds of drop are counted in the `RefineReport`. Every request is bounded (a JSON Schema
with bounded lists where the server takes one, `max_tokens`, a timeout), and a request that gives
no usable answer costs its article the refinement only, with a warning. Answers are cached on
disk under a hash of the model name and the prompt, so a rerun on the same articles makes no
request. What is sent, what is kept and the privacy note are in `docs/llm.md`.
"""

from __future__ import annotations

from spinscope.llm.client import (
    FORMATS,
    KEY_ENV,
    MODEL_ENV,
    Answer,
    LLMClient,
    LLMOptions,
    cache_key,
    default_cache_dir,
)
from spinscope.llm.grounding import Grounder
from spinscope.llm.reading import Reader, RefineReport, RefineTotals
from spinscope.llm.refine import (
    build_messages,
    interpret,
    refine,
    refine_analysis,
    refine_or_warn,
    refine_reported,
    system_prompt,
)
from spinscope.llm.schema import answer_schema, answer_tokens

__all__ = [
    "FORMATS",
    "KEY_ENV",
    "MODEL_ENV",
    "Answer",
    "Grounder",
    "LLMClient",
    "LLMOptions",
    "Reader",
    "RefineReport",
    "RefineTotals",
    "answer_schema",
    "answer_tokens",
    "build_messages",
    "cache_key",
    "default_cache_dir",
    "interpret",
    "refine",
    "refine_analysis",
    "refine_or_warn",
    "refine_reported",
    "system_prompt",
]
