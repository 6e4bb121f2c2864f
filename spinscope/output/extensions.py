"""The views of a layer that declares none, from its rows (`spinscope.tables`): a Rich table for
the terminal summary (`table_view`), and the columns and rows of its panel in the HTML report
(`rows_table`)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from spinscope.document import Analysis
from spinscope.layers import Layer
from spinscope.tables import flat_value, layer_rows


def table_view(layer: Layer, analysis: Analysis) -> Table:
    """A layer's findings as a Rich table of its rows: the terminal view of a layer that
    declares none."""
    columns, rows = rows_table(layer, analysis)
    table = Table(title=f"{layer.name} ({len(layer.findings(analysis))})", title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text("" if value is None else str(value)) for value in row))
    return table


def rows_table(layer: Layer, analysis: Analysis) -> tuple[list[str], list[list[Any]]]:
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
