"""The views of a layer that declares none, from its rows (`spinscope.tables`): a Rich table for
the terminal summary (`table_view`), and, for the layers registered outside spinscope, a panel
of the HTML report (`html_views`; the report's template draws spinscope's own layers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis
from spinscope.layers import BUILTIN, Layer, registered
from spinscope.tables import flat_value, layer_rows


@dataclass(frozen=True)
class HtmlView:
    """One layer's panel in the HTML report: its own fragment, or its rows as a table."""

    name: str
    count: int
    fragment: Markup | None
    columns: list[str]
    rows: list[list[Any]]


def other_layers(analysis: Analysis) -> list[Layer]:
    """The layers registered outside spinscope that found something in `analysis`."""
    return [
        layer for layer in registered() if layer.name not in BUILTIN and layer.findings(analysis)
    ]


def table_view(layer: Layer, analysis: Analysis) -> Table:
    """A layer's findings as a Rich table of its rows: the terminal view of a layer that
    declares none."""
    columns, rows = _table(layer, analysis)
    table = Table(title=f"{layer.name} ({len(layer.findings(analysis))})", title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text("" if value is None else str(value)) for value in row))
    return table


def html_views(analysis: Analysis) -> list[HtmlView]:
    """An `HtmlView` for each such layer."""
    views = []
    for layer in other_layers(analysis):
        count = len(layer.findings(analysis))
        if layer.views.html is not None:
            views.append(HtmlView(layer.name, count, Markup(layer.views.html(analysis)), [], []))
        else:
            views.append(HtmlView(layer.name, count, None, *_table(layer, analysis)))
    return views


def _table(layer: Layer, analysis: Analysis) -> tuple[list[str], list[list[Any]]]:
    """The layer's columns and rows, as its table has them (a layer without a table: each
    finding's JSON)."""
    if layer.table is None:
        found = layer.findings(analysis)
        return ["finding"], [
            [item.model_dump_json() if hasattr(item, "model_dump_json") else str(item)]
            for item in found
        ]
    columns = list(layer.table.columns)
    rows = layer_rows(layer, analysis)
    return columns, [[flat_value(row[c]) for c in columns] for row in rows]
