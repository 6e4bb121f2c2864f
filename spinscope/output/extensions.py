"""The views of the layers registered outside spinscope (`spinscope.layers.register`), in the
terminal summary and the HTML report: the layer's own views where it declares them, else a table
of its rows (`spinscope.tables`). spinscope's own layers are drawn by `terminal` and `html`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis
from spinscope.layers import BUILTIN, Layer, registered
from spinscope.tables import finding_rows, flat_value


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


def terminal_views(analysis: Analysis) -> Iterator[Any]:
    """A Rich renderable for each such layer."""
    for layer in other_layers(analysis):
        if layer.views.terminal is not None:
            view = layer.views.terminal(analysis)
            if view is not None:
                yield view
            continue
        columns, rows = _table(layer, analysis)
        table = Table(title=f"{layer.name} ({len(layer.findings(analysis))})", title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(Text("" if value is None else str(value)) for value in row))
        yield table


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
    rows = finding_rows(analysis)[layer.field]
    return columns, [[flat_value(row[c]) for c in columns] for row in rows]
