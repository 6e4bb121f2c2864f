"""How the entities layer is shown: the cast, the entities the article gives a role, in the
terminal summary and the HTML report (where every mention is lined in its role's colour)."""

from __future__ import annotations

from dataclasses import dataclass

from rich import box
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis, Entity, Role
from spinscope.output.html import Annotation, HtmlPart, html_part
from spinscope.output.style import ROLE_STYLES, flat, score_cell, score_text, shorten
from spinscope.taxonomy import ROLES


@dataclass(frozen=True)
class EntityItem:
    """A cast-list entry: an entity the article casts in a role."""

    id: str
    number: int
    name: str
    main: str
    fine: tuple[str, ...]
    score: str | None
    mentions: tuple[str, ...]
    mention_count: int
    evidence: tuple[str, ...]
    source: str


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
        forms = list(dict.fromkeys(flat(m) for m in entity.mentions))
        mentions = Text(f"{len(entity.mentions)}× ", style="dim")
        mentions.append(shorten(", ".join(forms), 80))
        evidence = shorten(entity.evidence[0].text, 120) if entity.evidence else ""
        table.add_row(
            Text(f"E{i + 1}"),
            Text(entity.name, style="bold"),
            Text(role.main, style=ROLE_STYLES.get(role.main, "bold")),
            Text(", ".join(role.fine)),
            score_cell(role.score, role.uncertain),
            mentions,
            Text(evidence),
        )
    return table


def cast(analysis: Analysis) -> list[tuple[int, Entity, Role]]:
    """The entities the article casts in a role, with their indices and roles: by main role
    (Protagonist, Antagonist, Innocent), then the surest first."""
    order = {main: k for k, main in enumerate(ROLES)}
    roled = [(i, e, e.role) for i, e in enumerate(analysis.entities) if e.role is not None]
    return sorted(roled, key=lambda item: (order[item[2].main], -(item[2].score or 0), item[0]))


def html(analysis: Analysis) -> HtmlPart | None:
    """The report's part: a line over every mention in the colour of its entity's main role,
    and the cast in a panel, which names the entities cast in no role; nothing where the article
    has no entities."""
    if not analysis.entities:
        return None
    view = {
        "cast": [_entity_item(i, entity, role) for i, entity, role in cast(analysis)],
        "uncast": list(dict.fromkeys(e.name for e in analysis.entities if e.role is None)),
    }
    return html_part(__package__, "entities.html.j2", view, _highlights(analysis))


def _highlights(analysis: Analysis) -> list[Annotation]:
    found = []
    for i, entity in enumerate(analysis.entities):
        role = entity.role
        css = ("e", f"role-{role.main.lower()}" if role else "role-none")
        label = f"{entity.name}" + (f" — {role.main}" if role else "")
        if role and role.fine:
            label += f" ({', '.join(role.fine)})"
        uncertain = role is not None and role.uncertain
        found += [
            Annotation(m.start, m.end, f"e{i}", css, label, uncertain=uncertain)
            for m in entity.mentions
        ]
    return found


def _entity_item(i: int, entity: Entity, role: Role) -> EntityItem:
    return EntityItem(
        id=f"e{i}",
        number=i + 1,
        name=entity.name,
        main=role.main,
        fine=tuple(role.fine),
        score=score_text(role.score, role.uncertain),
        mentions=tuple(dict.fromkeys(flat(m) for m in entity.mentions)),
        mention_count=len(entity.mentions),
        evidence=tuple(shorten(s.text, 240) for s in entity.evidence),
        source=entity.source,
    )
