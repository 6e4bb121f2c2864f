"""How the techniques layer is shown in the terminal summary: the spans in text order, then
what each technique found means."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis
from spinscope.output.findings import (
    shorten,
    technique_label,
    techniques_in_order,
    techniques_present,
)
from spinscope.output.style import GROUP_STYLES, score_cell
from spinscope.taxonomy import TECHNIQUES


def terminal(analysis: Analysis) -> Group | Text:
    if not analysis.techniques:
        return Text("No persuasion techniques found.", style="dim")
    table = Table(
        title="Persuasion techniques", title_justify="left", box=box.SIMPLE_HEAD, expand=True
    )
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Technique", overflow="fold")
    table.add_column("Group")
    table.add_column("Text", ratio=1, min_width=20)
    table.add_column("Score", justify="right", no_wrap=True)
    for i, found in techniques_in_order(analysis):
        style = GROUP_STYLES.get(found.group, "bold")
        table.add_row(
            Text(f"T{i + 1}"),
            Text(technique_label(found.technique), style=style),
            Text(found.group),
            Text(shorten(found.text, 120)),
            score_cell(found.score),
        )
    return Group(table, Text("What they mean", style="bold"), _definitions(analysis))


def _definitions(analysis: Analysis) -> Table:
    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    for name in techniques_present(analysis):
        info = TECHNIQUES[name]
        meaning = Text(info.definition)
        meaning.append(f" ({info.group})", style="dim")
        table.add_row(
            Text(technique_label(name), style=GROUP_STYLES.get(info.group, "bold")), meaning
        )
    return table
