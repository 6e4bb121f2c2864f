"""How the narratives layer is shown in the terminal summary and the HTML report (where the
sentences that carry a narrative can be washed in lavender)."""

from __future__ import annotations

from dataclasses import dataclass

from rich import box
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis, Narrative
from spinscope.output.html import Annotation, HtmlPart, html_part
from spinscope.output.style import score_cell, score_text, shorten


@dataclass(frozen=True)
class NarrativeItem:
    id: str
    number: int
    narrative: str
    subnarratives: tuple[str, ...]
    score: str | None
    evidence: tuple[str, ...]
    source: str


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
            score_cell(narrative.score, narrative.uncertain),
            Text(evidence),
        )
    return table


def html(analysis: Analysis) -> HtmlPart | None:
    """The report's part: the narratives with their sub-narratives and evidence in a panel,
    the evidence marked in the text; nothing where the article carries none."""
    if not analysis.narratives:
        return None
    view = {"narratives": [_narrative_item(i, n) for i, n in enumerate(analysis.narratives)]}
    found = [
        Annotation(
            s.start,
            s.end,
            f"n{i}",
            ("n",),
            f"Narrative {i + 1}: {narrative.narrative}",
            uncertain=narrative.uncertain,
        )
        for i, narrative in enumerate(analysis.narratives)
        for s in narrative.evidence
    ]
    return html_part(__package__, "narratives.html.j2", view, found)


def _narrative_item(i: int, narrative: Narrative) -> NarrativeItem:
    prefix = f"{narrative.narrative}: "
    return NarrativeItem(
        id=f"n{i}",
        number=i + 1,
        narrative=narrative.narrative,
        subnarratives=tuple(label.removeprefix(prefix) for label in narrative.subnarratives),
        score=score_text(narrative.score, narrative.uncertain),
        evidence=tuple(shorten(s.text, 240) for s in narrative.evidence),
        source=narrative.source,
    )
