"""How the techniques layer is shown: in the terminal summary, the spans in text order, then
what each technique found means; in the HTML report, a bar under each span in the colour of
its technique's group, and the spans by group in a panel."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis, Technique
from spinscope.output.html import (
    STRIPE_GAP_PX,
    STRIPE_PX,
    Annotation,
    HtmlPart,
    html_part,
)
from spinscope.output.style import GROUP_STYLES, score_cell, score_text, shorten
from spinscope.taxonomy import GROUPS, TECHNIQUES, technique_label

#: Colour of each persuasion-technique group (`spinscope.taxonomy.GROUPS`) in the report.
GROUP_COLOURS: dict[str, str] = {
    "Attack on reputation": "#dc2626",
    "Justification": "#2563eb",
    "Distraction": "#0891b2",
    "Simplification": "#ea580c",
    "Call": "#db2777",
    "Manipulative wording": "#65a30d",
}

#: Colour of a group missing from `GROUP_COLOURS`.
OTHER_GROUP_COLOUR = "#64748b"


def group_slug(group: str) -> str:
    """The CSS name of a technique group: `Attack on reputation` -> `attack-on-reputation`."""
    return re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-")


def technique_class(name: str) -> str:
    """The CSS class of one technique: `tech-Loaded_Language`."""
    return "tech-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)


@dataclass(frozen=True)
class TechniqueItem:
    id: str
    number: int
    technique: str
    label: str
    css: str
    text: str
    score: str | None
    source: str
    #: What the technique is (`spinscope.taxonomy`), shown in the text's hover card.
    definition: str
    uncertain: bool


@dataclass
class TechniqueGroup:
    """The techniques of one group found in the article, in text order."""

    name: str
    slug: str
    items: list[TechniqueItem] = field(default_factory=list)


@dataclass(frozen=True)
class TechniqueEntry:
    """A legend entry: one technique found in the article."""

    technique: str
    label: str
    css: str
    group: str
    slug: str
    definition: str
    count: int


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
            score_cell(found.score, found.uncertain),
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


def html(analysis: Analysis) -> HtmlPart:
    """The report's part: a bar under each span in its group's colour (one bar per group where
    several cover the same words, stacked in the order of `GROUPS`), the spans by group in a
    panel, and what each technique found means in the legend."""
    view = {
        "count": len(analysis.techniques),
        "groups": _technique_groups(analysis),
        "legend": _technique_legend(analysis),
        "group_colours": [
            (group, group_slug(group), GROUP_COLOURS.get(group, OTHER_GROUP_COLOUR))
            for group in GROUPS
        ],
        "stripe_px": STRIPE_PX,
        "stripe_gap_px": STRIPE_GAP_PX,
    }
    return html_part(__package__, "techniques.html.j2", view, _highlights(analysis))


def _highlights(analysis: Analysis) -> list[Annotation]:
    order = {group: k for k, group in enumerate(GROUPS)}
    found = []
    for i, technique in enumerate(analysis.techniques):
        slug = group_slug(technique.group)
        found.append(
            Annotation(
                technique.start,
                technique.end,
                f"t{i}",
                ("t", f"tg-{slug}", technique_class(technique.technique)),
                _technique_title(technique),
                bar=f"var(--g-{slug}, {OTHER_GROUP_COLOUR})",
                bar_rank=order.get(technique.group, len(order)),
                uncertain=technique.uncertain,
            )
        )
    return found


def _technique_groups(analysis: Analysis) -> list[TechniqueGroup]:
    """The techniques found, by group in the order of `GROUPS`, each group in text order."""
    order = {group: k for k, group in enumerate(GROUPS)}
    groups: dict[str, TechniqueGroup] = {}
    for i, technique in techniques_in_order(analysis):
        group = technique.group
        groups.setdefault(group, TechniqueGroup(group, group_slug(group))).items.append(
            TechniqueItem(
                id=f"t{i}",
                number=i + 1,
                technique=technique.technique,
                label=technique_label(technique.technique),
                css=technique_class(technique.technique),
                text=shorten(technique.text, 200),
                score=score_text(technique.score, technique.uncertain),
                source=technique.source,
                definition=TECHNIQUES[technique.technique].definition,
                uncertain=technique.uncertain,
            )
        )
    return sorted(groups.values(), key=lambda group: order.get(group.name, len(order)))


def _technique_legend(analysis: Analysis) -> list[TechniqueEntry]:
    """Every technique found, once, by group in the order of `GROUPS`, then by name."""
    counts = Counter(technique.technique for technique in analysis.techniques)
    order = {group: k for k, group in enumerate(GROUPS)}
    entries = [
        TechniqueEntry(
            technique=name,
            label=technique_label(name),
            css=technique_class(name),
            group=TECHNIQUES[name].group,
            slug=group_slug(TECHNIQUES[name].group),
            definition=TECHNIQUES[name].definition,
            count=counts[name],
        )
        for name in techniques_present(analysis)
    ]
    return sorted(entries, key=lambda e: (order.get(e.group, len(order)), e.label))


def _technique_title(technique: Technique) -> str:
    label = f"{technique_label(technique.technique)} ({technique.group})"
    if technique.score is not None:
        label += f" · score {technique.score:.2f}"
    return f"{label} — {TECHNIQUES[technique.technique].definition}"


def techniques_in_order(analysis: Analysis) -> list[tuple[int, Technique]]:
    """The technique spans with their indexes, in text order (start, then end, then name)."""
    return sorted(
        enumerate(analysis.techniques),
        key=lambda item: (item[1].start, item[1].end, item[1].technique, item[0]),
    )


def techniques_present(analysis: Analysis) -> list[str]:
    """The names of the techniques found, each once, in order of first appearance."""
    return list(dict.fromkeys(found.technique for _, found in techniques_in_order(analysis)))
