"""Output formats: an `Analysis` rendered as JSON, an HTML report or a text summary.

JSON is the canonical form; the HTML report is rendered from the same data and carries its
JSON twin. `FORMATS` maps a format name to its renderer; `render(analysis, fmt)` picks one.
"""

from __future__ import annotations

from collections.abc import Callable

from spinscope.document import Analysis
from spinscope.output.html import render_html
from spinscope.output.terminal import render_terminal, render_text

#: A renderer turns one analysis into the text of one output file.
Renderer = Callable[[Analysis], str]


def render_json(analysis: Analysis) -> str:
    """The analysis as indented JSON, ending with a newline."""
    return analysis.to_json() + "\n"


#: Output formats by name.
FORMATS: dict[str, Renderer] = {
    "json": render_json,
    "html": render_html,
    "text": render_text,
}


def render(analysis: Analysis, fmt: str) -> str:
    """`analysis` in format `fmt` (one of `FORMATS`)."""
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        known = ", ".join(FORMATS)
        raise ValueError(f"unknown output format {fmt!r}; choose one of: {known}") from None
    return renderer(analysis)


__all__ = [
    "FORMATS",
    "Renderer",
    "render",
    "render_html",
    "render_json",
    "render_terminal",
    "render_text",
]
