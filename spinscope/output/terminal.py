"""Terminal summary of an `Analysis`, drawn with Rich.

Every string that comes from the article (title, text, names) goes into a `rich.text.Text`,
so Rich never reads it as console markup or emoji codes.

Each layer draws its own part (its registration's `views.terminal`, in its package); this module
draws the header and puts the parts together. The styles are in `spinscope.output.style`.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from spinscope.document import Analysis
from spinscope.layers import registered
from spinscope.output.extensions import table_view
from spinscope.output.style import (
    CUE_STYLES,
    GROUP_STYLES,
    ROLE_STYLES,
    UNCERTAIN_MARK,
    counted,
    shorten,
)

__all__ = [
    "CUE_STYLES",
    "GROUP_STYLES",
    "ROLE_STYLES",
    "TEXT_WIDTH",
    "render_terminal",
    "render_text",
]

#: Width of the plain-text rendering (`render_text`).
TEXT_WIDTH = 100


def render_terminal(analysis: Analysis, console: Console) -> None:
    """Print a summary of `analysis`: its header and warnings, then each layer's view, in the
    registry's order (`spinscope.layers.registered`: spinscope's own, then the layers
    registered outside it). A layer without a terminal view of its own is shown as a table of
    its rows, where it found something."""
    console.print(_header(analysis))
    for warning in analysis.warnings:
        console.print(Text(f"⚠ {warning}", style="yellow"))
    if analysis.warnings:
        console.print()
    shown = 0
    for layer in registered():
        if layer.views.terminal is not None:
            view = layer.views.terminal(analysis)
        else:
            view = table_view(layer, analysis) if layer.findings(analysis) else None
        if view is not None:
            if shown:
                console.print()
            console.print(view)
            shown += 1


def render_text(analysis: Analysis, width: int = TEXT_WIDTH) -> str:
    """The terminal summary as plain text (no colours), `width` columns wide."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=False,
        color_system=None,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )
    render_terminal(analysis, console)
    return buffer.getvalue()


def _uncertain(finding: object) -> bool:
    """Whether a finding, or an entity's role, is marked uncertain."""
    role = getattr(finding, "role", None)
    return bool(getattr(finding, "uncertain", False) or getattr(role, "uncertain", False))


def _header(analysis: Analysis) -> Panel:
    article = analysis.article
    lines: list[Text] = [Text.assemble(("id ", "dim"), article.id)]
    meta = [part for part in (article.outlet, article.published, article.author) if part]
    if meta:
        lines.append(Text(" · ".join(meta)))
    if article.url:
        lines.append(Text(article.url, style="blue"))
    counts = [
        counted(len(analysis.paragraphs), "paragraphs") if analysis.paragraphs else "",
        counted(len(analysis.sentences), "sentences") if analysis.sentences else "",
        *(
            counted(len(found), layer.field)
            for layer in registered()
            if layer.table is not None and (found := layer.findings(analysis))
        ),
    ]
    if any(counts):
        lines.append(Text(" · ".join(count for count in counts if count), style="dim"))
    uncertain = sum(
        _uncertain(found) for layer in registered() for found in layer.findings(analysis)
    )
    if uncertain:
        lines.append(
            Text(
                f"{uncertain} uncertain (score{UNCERTAIN_MARK}): more likely wrong than right, "
                f"shown as suggestions",
                style="dim italic",
            )
        )
    title = Text(shorten(article.title, 90) or "(untitled)", style="bold")
    return Panel(Group(*lines), title=title, title_align="left", box=box.ROUNDED)
