"""Analyses as flat tables, the one flattening spinscope has: one row per article, and one per
finding of each layer that declares a table (`spinscope.layers.Table`), each with its
`article_id`, its `index` in the layer's findings and the layer's own columns. The batch Parquet
files, the store's findings and every CSV export are these rows.

The schemas come from the layers' declarations, so an empty chunk writes the same columns as a
full one, and a new layer's table appears everywhere without a change here. pyarrow (the `batch`
extra) is imported only when a table is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spinscope.document import Analysis, Review
from spinscope.layers import Layer, Row, registered

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "Indexed",
    "Row",
    "article_row",
    "columns",
    "finding_rows",
    "finding_tables",
    "flat_rows",
    "flat_value",
    "indexed",
    "layer_rows",
    "schema",
    "tables",
    "to_arrow",
]

#: The columns every finding row starts with.
FINDING_KEYS: Mapping[str, str] = {"article_id": "str", "index": "int"}

ERRORS: Mapping[str, str] = {"where": "str", "article_id": "str", "stage": "str", "reason": "str"}


def _tabled() -> list[Layer]:
    return [layer for layer in registered() if layer.table is not None]


def finding_tables() -> tuple[str, ...]:
    """The finding tables, in the order they are written: one per layer with a table, named by
    the field the layer assigns."""
    return tuple(layer.field for layer in _tabled())


def tables() -> tuple[str, ...]:
    """Every table: `articles` first, then the finding tables, `errors` last."""
    return ("articles", *finding_tables(), "errors")


def columns(table: str) -> Mapping[str, str]:
    """Column name -> type name ("str", "int", "float", "bool", "list" of strings) of `table`."""
    if table == "articles":
        return _article_columns()
    if table == "errors":
        return ERRORS
    for layer in _tabled():
        if layer.field == table:
            assert layer.table is not None
            return {**FINDING_KEYS, **layer.table.columns}
    raise KeyError(f"no table {table!r}; the tables are: {', '.join(tables())}")


def _article_columns() -> dict[str, str]:
    found: dict[str, str] = {}
    for layer in registered():
        if layer.table is not None:
            found[layer.field] = "int"  # how many it found
        if layer.summary is not None:
            found.update(layer.summary.columns)
    return {
        "article_id": "str",
        "where": "str",
        "title": "str",
        "outlet": "str",
        "published": "str",
        "url": "str",
        "author": "str",
        "language": "str",
        "chars": "int",
        **found,
        "warnings": "list",
        "spinscope_version": "str",
        "model_version": "str",
        "text": "str",
    }


def schema(table: str) -> pa.Schema:
    """The Arrow schema of `table`."""
    import pyarrow as pa

    types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    return pa.schema(
        [
            pa.field(name, pa.list_(pa.string()) if kind == "list" else types[kind])
            for name, kind in columns(table).items()
        ]
    )


def to_arrow(table: str, rows: Iterable[Row]) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_pylist(list(rows), schema=schema(table))


def article_row(analysis: Analysis, where: str, model_version: str) -> Row:
    article = analysis.article
    found: Row = {}
    for layer in registered():
        if layer.table is not None:
            found[layer.field] = len(layer.findings(analysis))
        if layer.summary is not None:
            found.update(layer.summary.values(layer.findings(analysis)))
    return {
        "article_id": article.id,
        "where": where,
        "title": article.title,
        "outlet": article.outlet,
        "published": article.published,
        "url": article.url,
        "author": article.author,
        "language": article.language,
        "chars": len(article.text),
        **found,
        "warnings": list(analysis.warnings),
        "spinscope_version": analysis.spinscope_version,
        "model_version": model_version,
        "text": article.text,
    }


def finding_rows(analysis: Analysis) -> dict[str, list[Row]]:
    """The rows of each finding table for one analysis (every table, empty where the layer
    found nothing or did not run)."""
    return {layer.field: layer_rows(layer, analysis) for layer in _tabled()}


def layer_rows(layer: Layer, analysis: Analysis) -> list[Row]:
    """The rows of one layer's table for one analysis (`ValueError` naming the layer when a
    row does not have the columns its table declares)."""
    assert layer.table is not None
    names = layer.table.columns.keys()
    rows = []
    for i, row in enumerate(layer.table.rows(layer.findings(analysis))):
        if row.keys() != names:
            raise ValueError(
                f"layer {layer.name!r} made a row with columns {sorted(row)}, but its table "
                f"declares {sorted(names)}"
            )
        rows.append({"article_id": analysis.article.id, "index": i, **row})
    return rows


def flat_rows(analysis: Analysis) -> list[Row]:
    """Every finding of one analysis as one list of rows (its CSV export): each row names its
    `layer` (the table), its `index` there and its offsets first, then its table's other
    columns, a list joined by "; "."""
    return [
        {
            "layer": table,
            "index": row["index"],
            "start": row.get("start"),
            "end": row.get("end"),
            **{
                key: flat_value(value)
                for key, value in row.items()
                if key not in ("article_id", "index", "start", "end")
            },
        }
        for table, rows in finding_rows(analysis).items()
        for row in rows
    ]


@dataclass(frozen=True)
class Indexed:
    """A finding as the store keeps it to group, filter and search by: its table, its index,
    its `label` and `text` (the columns its layer names for them), its offsets, score and
    whether it is uncertain where its row has them, what a reviewer decided about it (None
    where none did), and the whole row."""

    table: str
    index: int
    label: str | None
    text: str
    start: int | None
    end: int | None
    score: float | None
    uncertain: bool
    review: Review | None
    row: Row


def indexed(analysis: Analysis) -> Iterator[Indexed]:
    """Every finding of an analysis, as the store keeps it."""
    for layer in _tabled():
        assert layer.table is not None
        label, text = layer.table.label, layer.table.text
        findings = layer.findings(analysis)
        for row in layer_rows(layer, analysis):
            review = getattr(findings[row["index"]], "review", None)
            yield Indexed(
                table=layer.field,
                index=row["index"],
                label=None if label is None or row[label] is None else str(row[label]),
                text="" if text is None or row[text] is None else str(flat_value(row[text])),
                start=row.get("start"),
                end=row.get("end"),
                score=row.get("score"),
                uncertain=bool(row.get("uncertain")),
                review=review,
                row=row,
            )


def flat_value(value: Any) -> Any:
    """A cell of a flat export (CSV, a view's table): a list joined by "; "."""
    return "; ".join(value) if isinstance(value, list) else value
