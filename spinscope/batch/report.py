"""The corpus report of a batch output: `spinscope report OUT --html corpus.html [--csv DIR]`.

From the committed tables of OUT (Parquet, or the analyses of a JSONL output flattened the
same way) it computes a few summary tables, draws each with Altair (Vega-Lite specs, the rate
charts those of the workbench: `spinscope.charts`) and writes one self-contained HTML page: the
specs, the tables behind them, and the script that draws them (`spinscope.charts.script`) inlined,
so the page needs no network. `--csv` writes the same tables as CSV files.

Each layer declares its own sections (`spinscope.layers.CorpusView`, in the layer's `corpus`
module): the rates of the labels it finds by outlet and by week (the share of articles carrying
each, with its counts, `spinscope.corpus.rate_sections`), or its rankings.

Articles without an outlet count as `(unknown)`; the week is the Monday of the article's
`published` date (ISO `YYYY-MM-DD` at its start), and articles without one are left out of
the by-week tables.

Only the columns the report needs are read (`report_columns`: no article text), and they are
aggregated in plain Python: fine for hundreds of thousands of articles; a corpus of tens of
millions would want the aggregation done in Arrow (or DuckDB) instead.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from spinscope.batch.folder import committed_parts, output_meta
from spinscope.charts import EMBED_OPTIONS, script
from spinscope.corpus import UNKNOWN_OUTLET, Corpus, Section, week_of
from spinscope.document import Analysis
from spinscope.errors import require
from spinscope.layers import CorpusView, Layer, registered
from spinscope.output.html import script_json, templates
from spinscope.output.spreadsheet import safe_cell
from spinscope.tables import Row, article_row, finding_rows
from spinscope.version import __version__

#: The column that marks a finding uncertain (`spinscope.ml.calibration`).
UNCERTAIN = "uncertain"
#: The columns the report reads from the articles table.
ARTICLE_COLUMNS = ("article_id", "outlet", "published")


def report_columns() -> dict[str, tuple[str, ...]]:
    """The columns the report reads from each table: the articles', and those each layer's
    corpus view names (not the articles' text: a corpus's text need not fit in memory for its
    report)."""
    return {
        "articles": ARTICLE_COLUMNS,
        **{layer.field: view.columns for layer, view in _corpus_views()},
    }


def _corpus_views() -> list[tuple[Layer, CorpusView]]:
    return [(layer, layer.views.corpus) for layer in registered() if layer.views.corpus is not None]


def load(out: Path, uncertain: bool = False) -> dict[str, list[Row]]:
    """The rows of every table of a batch output that the report reads (`report_columns`),
    without the uncertain findings unless `uncertain` (`spinscope.ml.calibration`: the
    report's rates, as the workbench's, leave suggestions out), and the errors."""
    import pyarrow.parquet as pq

    meta = output_meta(out)
    wanted = report_columns()
    tables: dict[str, list[Row]] = {name: [] for name in wanted}
    if meta["format"] == "jsonl":
        for part in committed_parts(out, "analyses"):
            for line in part.read_text("utf-8").splitlines():
                analysis = Analysis.from_json(line)
                rows = {"articles": [article_row(analysis, "", "")], **finding_rows(analysis)}
                for name, columns in wanted.items():
                    tables[name] += [
                        {c: row[c] for c in columns}
                        for row in rows[name]
                        if uncertain or not row.get(UNCERTAIN)
                    ]
    else:
        for name, columns in wanted.items():
            parts = committed_parts(out, name)
            if not parts:
                continue
            # written before findings were marked uncertain, a table has no such column
            marked = not uncertain and UNCERTAIN in pq.read_schema(parts[0]).names
            table = pq.read_table(
                parts,
                columns=list(columns) + ([UNCERTAIN] if marked else []),
                filters=[(UNCERTAIN, "!=", True)] if marked else None,
            )
            tables[name] = table.select(list(columns)).to_pylist()
    tables["errors"] = [
        json_row
        for part in committed_parts(out, "errors")
        for json_row in _json_lines(part.read_text("utf-8"))
    ]
    return tables


def left_out(out: Path) -> dict[str, int]:
    """How many uncertain findings each table of a batch output that the report reads holds,
    where it holds any: what the rates leave out unless asked to count them (`load`)."""
    import pyarrow.parquet as pq

    counts = dict.fromkeys(report_columns(), 0)
    if output_meta(out)["format"] == "jsonl":
        for part in committed_parts(out, "analyses"):
            for line in part.read_text("utf-8").splitlines():
                for name, rows in finding_rows(Analysis.from_json(line)).items():
                    if name in counts:
                        counts[name] += sum(bool(r.get(UNCERTAIN)) for r in rows)
    else:
        for name in counts:
            parts = committed_parts(out, name)
            if parts and UNCERTAIN in pq.read_schema(parts[0]).names:
                found = pq.read_table(parts, columns=[UNCERTAIN], filters=[(UNCERTAIN, "==", True)])
                counts[name] = found.num_rows
    return {name: count for name, count in counts.items() if count}


def _json_lines(text: str) -> Iterable[Row]:
    return (json.loads(line) for line in text.splitlines() if line.strip())


def sections(tables: dict[str, list[Row]]) -> list[Section]:
    """The report's sections, computed from the tables: each layer's, in the registry's order."""
    corpus = Corpus.of(tables["articles"])
    return [
        section
        for layer, view in _corpus_views()
        for section in view.sections(tables.get(layer.field, []), corpus)
    ]


# --- writing -------------------------------------------------------------------------------


def render_html(
    out: Path, tables: dict[str, list[Row]], parts: list[Section], uncertain: dict[str, int]
) -> str:
    """The report page, saying how many `uncertain` findings per table its rates leave out."""
    articles = tables["articles"]
    dates = sorted(d for a in articles if (d := week_of(a["published"])))
    meta = output_meta(out)
    facts = {
        "articles": len(articles),
        "outlets": len({a["outlet"] or UNKNOWN_OUTLET for a in articles}),
        "weeks": f"{dates[0]} – {dates[-1]}" if dates else "no dates",
        **{layer.field: len(tables.get(layer.field, [])) for layer, _ in _corpus_views()},
        "bad records": len(tables["errors"]),
    }
    return (
        templates("spinscope.batch")
        .get_template("corpus.html.j2")
        .render(
            name=out.name,
            facts=facts,
            layers=", ".join(meta.get("layers", [])),
            sections=parts,
            left_out=", ".join(f"{count} {name}" for name, count in uncertain.items()),
            specs=script_json({s.key: s.chart for s in parts if s.chart is not None}),
            javascript=script().replace("</script", "<\\/script"),
            embed_options=script_json(EMBED_OPTIONS),
            version=__version__,
        )
    )


def write_csv(directory: Path, parts: list[Section]) -> list[Path]:
    """One CSV file per section's table, its cells safe to open in a spreadsheet (`safe_cell`:
    a claim, speaker or outlet is article text, and may start like a formula)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for section in parts:
        path = directory / f"{section.key}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            if section.rows:
                writer = csv.DictWriter(f, fieldnames=list(section.rows[0]))
                writer.writeheader()
                writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in section.rows)
        written.append(path)
    return written


def report(
    out: Path, html: Path | None = None, csv_dir: Path | None = None, uncertain: bool = False
) -> tuple[list[Section], dict[str, int]]:
    """Write the report of the batch output `out` as HTML and/or CSV, counting uncertain
    findings only if `uncertain` (see `load`); its sections, and how many uncertain findings
    per table they leave out (`left_out`; none when counted)."""
    require("pyarrow", "spinscope report", "batch")
    tables = load(out, uncertain)
    parts = sections(tables)
    left = {} if uncertain else left_out(out)
    if html is not None:
        html.write_text(render_html(out, tables, parts, left), "utf-8")
    if csv_dir is not None:
        write_csv(csv_dir, parts)
    return parts, left
