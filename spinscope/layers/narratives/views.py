"""How the narratives layer is shown in the terminal summary."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis
from spinscope.output.findings import shorten
from spinscope.output.style import score_cell


def terminal(analysis: Analysis) -> Table | None:
    if not analysis.narratives:
        return None
    table = Table(title="Narratives", title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Narrative", ratio=3, style="bold")
    table.add_column("Sub-narratives", ratio=3)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Evidence", ratio=4)
    for i, narrative in enumerate(analysis.narratives):
        prefix = f"{narrative.narrative}: "
        subs = [label.removeprefix(prefix) for label in narrative.subnarratives]
        evidence = shorten(narrative.evidence[0].text, 120) if narrative.evidence else ""
        table.add_row(
            Text(f"N{i + 1}"),
            Text(narrative.narrative),
            Text("; ".join(subs)),
            score_cell(narrative.score),
            Text(evidence),
        )
    return table
