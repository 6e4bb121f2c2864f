"""A toy layer's finding and how its part of an LLM's answer is read, for the tests of the LLM
refinement (`test_llm.py` against a fake server, `test_llm_server.py` against a real one)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from spinscope.document import Span
from spinscope.llm import Reader


class Alarm(BaseModel):
    sentence: Span
    source: str


def read_alarms(items: list[Any], given: Any, reader: Reader) -> list[Alarm]:
    """The answer's alarming sentences, each where the reader finds it in the text."""
    return [
        Alarm(sentence=span, source=reader.report.source)
        for item in items
        for span in reader.evidence(item.get("sentence"))
    ]
