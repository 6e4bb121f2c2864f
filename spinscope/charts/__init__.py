"""spinscope's one chart stack, for the workbench and the corpus report: Vega-Lite specs built
with Altair, drawn in the page by Vega-Embed from the script the package ships (`vega.js`, see
`NOTICE.md`), so charts need no network.

A rate chart reads rate rows (`spinscope.rates.rate_row`): one per group (an outlet, a week) and
label (a technique, a narrative), with the articles that carry the label, all the group's
articles, and the rate between them. Over time, each label gets its own small chart on a shared,
true time axis (weeks with their years, spaced by date), so that no line hides another, and every
point's tooltip gives its counts.

Pages draw the specs with `ast: true` (Vega's expression interpreter), which needs no `eval`: the
workbench's Content-Security-Policy allows no script but its own files.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from spinscope.rates import Row
from spinscope.taxonomy import technique_label

#: Vega-Embed's options for every chart: no eval (`ast`), SVG (searchable, printable), and an
#: export menu without the editor links (they would leave the machine).
EMBED_OPTIONS: dict[str, Any] = {
    "ast": True,
    "renderer": "svg",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}

Spec = dict[str, Any]


@cache
def script() -> str:
    """Vega, Vega-Lite and Vega-Embed, as one script."""
    return files(__package__).joinpath("vega.js").read_text("utf-8")


def display(kind: str, label: str) -> str:
    """A label as charts show it: a technique's words (`Name_Calling-Labeling` ->
    `Name Calling/Labeling`), a narrative as it is."""
    return technique_label(label) if kind == "technique" else label


def _values(rows: list[Row], kind: str) -> dict[str, Any]:
    return {"values": [{**row, "name": display(kind, row[kind])} for row in rows]}


def rate_heatmap(rows: list[Row], kind: str, by: str = "outlet") -> Spec:
    """One row per label, one column per group (`by`); each cell the rate, printed with its
    counts ("12% (3/25)")."""
    import altair as alt

    base = alt.Chart(_values(rows, kind)).encode(
        x=alt.X(f"{by}:N", title=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
        y=alt.Y("name:N", title=None, axis=alt.Axis(labelLimit=320)),
    )
    tooltip = [
        alt.Tooltip(f"{by}:N"),
        alt.Tooltip("name:N", title=kind),
        alt.Tooltip("shown:N", title="articles carrying it"),
    ]
    cells = base.mark_rect().encode(
        color=alt.Color(
            "rate:Q",
            title="share of articles",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=alt.Legend(format="%"),
        ),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=11).encode(
        text="shown:N",
        color=alt.condition("datum.rate > 0.55", alt.value("white"), alt.value("#1f2937")),
        tooltip=tooltip,
    )
    longest = max((len(str(row["shown"])) for row in rows), default=8)
    spec: Spec = (
        (cells + text)
        .properties(width=alt.Step(max(90, 7 * longest + 12)), height=alt.Step(24))
        .to_dict()
    )
    return spec


def rate_weeks(rows: list[Row], kind: str) -> Spec:
    """The rate of each label by week: one small chart per label, on one time axis."""
    import altair as alt

    spec: Spec = (
        alt.Chart(_values(rows, kind))
        .mark_line(point=True)
        .encode(
            x=alt.X("week:T", title=None, axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30)),
            y=alt.Y(
                "rate:Q",
                title=None,
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", tickCount=3),
            ),
            tooltip=[
                alt.Tooltip("week:T", title="week of", format="%Y-%m-%d"),
                alt.Tooltip("name:N", title=kind),
                alt.Tooltip("shown:N", title="articles carrying it"),
            ],
        )
        .properties(width=560, height=60)
        .facet(
            row=alt.Row(
                "name:N",
                title=None,
                header=alt.Header(labelAngle=0, labelAlign="left", labelLimit=260),
            )
        )
        .to_dict()
    )
    return spec
