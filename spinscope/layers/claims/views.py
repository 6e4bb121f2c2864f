"""How the claims layer is shown in the terminal summary: the most check-worthy first, with
numbers, hedges and sources."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis
from spinscope.output.findings import ranked_claims, shorten
from spinscope.output.style import score_cell


def terminal(analysis: Analysis) -> Table | Text:
    if not analysis.claims:
        return Text("No claims found.", style="dim")
    scored = any(claim.score is not None for claim in analysis.claims)
    title = "Claims, most check-worthy first" if scored else "Claims"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    if scored:
        table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Claim", ratio=6)
    table.add_column("Numbers", ratio=2, style="green")
    table.add_column("Hedges", ratio=2, style="yellow")
    table.add_column("Source", ratio=3)
    table.add_column("Quote", no_wrap=True)
    for i, claim in ranked_claims(analysis):
        source = claim.source
        said = source.entity or (" ".join(source.span.text.split()) if source.span else "")
        source_cell = Text(source.kind, style="red" if source.kind == "none" else "bold")
        if said:
            source_cell.append(f": {said}", style="")
        score = [score_cell(claim.score)] if scored else []
        table.add_row(
            Text(f"C{i + 1}"),
            *score,
            Text(shorten(claim.span.text, 120)),
            Text(", ".join(span.text for span in claim.numbers)),
            Text(", ".join(span.text for span in claim.hedges)),
            source_cell,
            Text(f"Q{claim.quote + 1}" if claim.quote is not None else ""),
        )
    return table
