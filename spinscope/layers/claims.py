"""Claims layer (placeholder until written)."""
from __future__ import annotations

from typing import Any

from spinscope.layers import Findings, register
from spinscope.parse import Parsed


@register("claims", requires=("quotes",))
def claims(parsed: Parsed, found: Findings) -> list[Any]:
    return []
