"""Output formats: an `Analysis` rendered as JSON, an HTML report, a text summary or SemEval
technique spans.

JSON is the canonical form; the HTML report is rendered from the same data and carries its
JSON twin. `FORMATS` maps a format name to its renderer; `render(analysis, fmt)` picks one.
`Format` names the formats for a command line, `FORMAT_SUFFIXES` their file suffixes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

from spinscope.document import Analysis
from spinscope.output.html import render_html
from spinscope.output.semeval import render_semeval, semeval_article_id
from spinscope.output.terminal import render_terminal, render_text

#: A renderer turns one analysis into the text of one output file.
Renderer = Callable[[Analysis], str]

#: The name of an output format.
Format = Literal["text", "json", "html", "semeval"]

#: Every output format, in the order a command line offers them.
FORMAT_NAMES: tuple[Format, ...] = get_args(Format)

#: File suffix by output format. SemEval technique spans are tab-separated lines: `.tsv`.
FORMAT_SUFFIXES: dict[Format, str] = {
    "text": ".txt",
    "json": ".json",
    "html": ".html",
    "semeval": ".tsv",
}


def render_json(analysis: Analysis) -> str:
    """The analysis as indented JSON, ending with a newline."""
    return analysis.to_json() + "\n"


#: Output formats by name.
FORMATS: dict[str, Renderer] = {
    "json": render_json,
    "html": render_html,
    "text": render_text,
    "semeval": render_semeval,
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
    "FORMAT_NAMES",
    "FORMAT_SUFFIXES",
    "Format",
    "Renderer",
    "render",
    "render_html",
    "render_json",
    "render_semeval",
    "render_terminal",
    "render_text",
    "semeval_article_id",
]
