"""How the entities layer is shown in the terminal summary: the cast, the entities the article
gives a role."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis
from spinscope.output.findings import cast, shorten
from spinscope.output.style import ROLE_STYLES, score_cell


def terminal(analysis: Analysis) -> Table | None:
    if not cast(analysis):
        return None
    table = Table(
        title="Cast: who the article makes hero, villain, victim",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        expand=True,
    )
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Entity", ratio=2, min_width=14)
    table.add_column("Role", no_wrap=True)
    table.add_column("Fine roles", ratio=2)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Mentions", ratio=3)
    table.add_column("Evidence", ratio=4)
    for i, entity, role in cast(analysis):
        forms = list(dict.fromkeys(" ".join(m.text.split()) for m in entity.mentions))
        mentions = Text(f"{len(entity.mentions)}× ", style="dim")
        mentions.append(shorten(", ".join(forms), 80))
        evidence = shorten(entity.evidence[0].text, 120) if entity.evidence else ""
        table.add_row(
            Text(f"E{i + 1}"),
            Text(entity.name, style="bold"),
            Text(role.main, style=ROLE_STYLES.get(role.main, "bold")),
            Text(", ".join(role.fine)),
            score_cell(role.score),
            mentions,
            Text(evidence),
        )
    return table
