"""The corpus report of a batch output: `spinscope report OUT --html corpus.html [--csv DIR]`.

From the committed tables of OUT (Parquet, or the analyses of a JSONL output flattened the
same way) it computes a few summary tables, draws each with Altair (Vega-Lite specs, the rate
charts those of the workbench: `spinscope.charts`) and writes one self-contained HTML page: the
specs, the tables behind them, and the script that draws them (`spinscope.charts.script`) inlined,
so the page needs no network. `--csv` writes the same tables as CSV files.

The summary tables:

- technique_rates_by_outlet, technique_rates_by_week, narrative_rates_by_outlet,
  narrative_rates_by_week: the share of articles carrying each technique or narrative
  (`spinscope.rates`), with its counts;
- speakers: the most-quoted speakers (resolved entities) and the reporting verbs they get;
- claim_sources_by_outlet: claims with a named, vague or no source, and the unsourced share;
- checkworthy_claims: the most check-worthy claims of the corpus.

Articles without an outlet count as `(unknown)`; the week is the Monday of the article's
`published` date (ISO `YYYY-MM-DD` at its start), and articles without one are left out of
the by-week tables.

Only the columns the report needs are read (`REPORT_COLUMNS`: no article text), and they are
aggregated in plain Python: fine for hundreds of thousands of articles; a corpus of tens of
millions would want the aggregation done in Arrow (or DuckDB) instead.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spinscope.batch.folder import committed_parts, output_meta
from spinscope.charts import EMBED_OPTIONS, rate_heatmap, rate_weeks, script
from spinscope.document import Analysis
from spinscope.errors import require
from spinscope.output.html import script_json, templates
from spinscope.output.spreadsheet import safe_cell
from spinscope.rates import Rate, rate_row
from spinscope.tables import Row, article_row, finding_rows
from spinscope.version import __version__

UNKNOWN_OUTLET = "(unknown)"
#: How many rows the ranked tables keep.
TOP_SPEAKERS = 15
TOP_CLAIMS = 25
#: How many reporting verbs the speakers chart colours; the rest are drawn as "other".
TOP_VERBS = 8
OTHER_VERBS = "(other)"
#: How many techniques and narratives the by-week charts draw (the most frequent).
TOP_SERIES = 8

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Section:
    """One part of the report: a heading, a note, a chart (a Vega-Lite spec) and its table."""

    key: str
    title: str
    note: str
    rows: list[Row]
    chart: dict[str, Any] | None


#: The columns the report reads from each table (not the articles' text: a corpus's text
#: need not fit in memory for its report).
REPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "articles": ("article_id", "outlet", "published"),
    "quotes": ("article_id", "speaker_entity", "cue"),
    "claims": ("article_id", "index", "start", "end", "text", "source_kind", "score"),
    "techniques": ("article_id", "technique"),
    "entities": ("article_id",),
    "narratives": ("article_id", "narrative"),
}


def load(out: Path) -> dict[str, list[Row]]:
    """The rows of every table of a batch output that the report reads (`REPORT_COLUMNS`),
    and the errors."""
    import pyarrow.parquet as pq

    meta = output_meta(out)
    tables: dict[str, list[Row]] = {name: [] for name in REPORT_COLUMNS}
    if meta["format"] == "jsonl":
        for part in committed_parts(out, "analyses"):
            for line in part.read_text("utf-8").splitlines():
                analysis = Analysis.from_json(line)
                rows = {"articles": [article_row(analysis, "", "")], **finding_rows(analysis)}
                for name, columns in REPORT_COLUMNS.items():
                    tables[name] += [{c: row[c] for c in columns} for row in rows[name]]
    else:
        for name, columns in REPORT_COLUMNS.items():
            parts = committed_parts(out, name)
            if parts:
                tables[name] = pq.read_table(parts, columns=list(columns)).to_pylist()
    tables["errors"] = [
        json_row
        for part in committed_parts(out, "errors")
        for json_row in _json_lines(part.read_text("utf-8"))
    ]
    return tables


def _json_lines(text: str) -> Iterable[Row]:
    return (json.loads(line) for line in text.splitlines() if line.strip())


def week_of(published: str | None) -> str | None:
    """The Monday of the week of an ISO date at the start of `published`, as YYYY-MM-DD."""
    match = _DATE.match(published or "")
    if not match:
        return None
    try:
        day = datetime.date(*map(int, match.groups()))
    except ValueError:
        return None
    return (day - datetime.timedelta(days=day.weekday())).isoformat()


def sections(tables: dict[str, list[Row]]) -> list[Section]:
    """The report's sections, computed from the tables."""
    articles = tables["articles"]
    outlet = {a["article_id"]: a["outlet"] or UNKNOWN_OUTLET for a in articles}
    week = {a["article_id"]: week_of(a["published"]) for a in articles}
    per_outlet = Counter(outlet.values())
    per_week = Counter(w for w in week.values() if w is not None)
    return [
        *_rate_sections(
            "technique",
            "Persuasion techniques",
            [(t["article_id"], t["technique"]) for t in tables["techniques"]],
            outlet,
            week,
            per_outlet,
            per_week,
        ),
        *_rate_sections(
            "narrative",
            "Narratives",
            [(n["article_id"], n["narrative"]) for n in tables["narratives"]],
            outlet,
            week,
            per_outlet,
            per_week,
        ),
        _speakers(tables["quotes"]),
        _claim_sources(tables["claims"], outlet),
        _checkworthy(tables["claims"], {a["article_id"]: a for a in articles}, outlet),
    ]


def _rate_sections(
    kind: str,
    title: str,
    found: list[tuple[str, str]],
    outlet: dict[str, str],
    week: dict[str, str | None],
    per_outlet: Counter[str],
    per_week: Counter[str],
) -> list[Section]:
    """Rates of `found` (article id, label) by outlet and by week: the share of the group's
    articles that carry the label at least once (`spinscope.rates`), with the counts."""
    carried = sorted(set(found))  # an article carries a label once, however many spans
    by_outlet = Counter(
        (outlet.get(article_id, UNKNOWN_OUTLET), label) for article_id, label in carried
    )
    by_week: Counter[tuple[str, str]] = Counter()
    for article_id, label in carried:
        when = week.get(article_id)
        if when is not None:
            by_week[when, label] += 1
    outlet_rows = [
        rate_row("outlet", o, kind, label, Rate(n, per_outlet[o]))
        for (o, label), n in sorted(by_outlet.items())
    ]
    week_rows = [
        rate_row("week", w, kind, label, Rate(n, per_week[w]))
        for (w, label), n in sorted(by_week.items())
    ]
    totals = Counter(label for _, label in carried)
    top = {label for label, _ in totals.most_common(TOP_SERIES)}
    return [
        Section(
            f"{kind}_rates_by_outlet",
            f"{title} by outlet",
            f"Rate: the share of the outlet's articles that carry the {kind} at least once "
            "(count: those articles; articles: all the outlet's articles analysed).",
            outlet_rows,
            rate_heatmap(outlet_rows, kind) if outlet_rows else None,
        ),
        Section(
            f"{kind}_rates_by_week",
            f"{title} by week",
            f"Rate: the share of the week's articles that carry the {kind} at least once (weeks "
            f"start on Monday; the chart draws the {TOP_SERIES} most frequent, the table has all).",
            week_rows,
            rate_weeks([r for r in week_rows if r[kind] in top], kind) if week_rows else None,
        ),
    ]


def _speakers(quotes: list[Row]) -> Section:
    speakers = Counter(q["speaker_entity"] for q in quotes if q["speaker_entity"])
    top = [name for name, _ in speakers.most_common(TOP_SPEAKERS)]
    verbs: dict[str, Counter[str]] = defaultdict(Counter)
    for q in quotes:
        if q["speaker_entity"] in top:
            verbs[q["speaker_entity"]][(q["cue"] or "(no verb)").lower()] += 1
    rows = [
        {"speaker": name, "verb": verb, "quotes": n, "speaker_quotes": speakers[name]}
        for name in top
        for verb, n in verbs[name].most_common()
    ]
    chart = None
    if rows:
        import altair as alt

        # The chart colours the most frequent verbs and puts the long tail under "other";
        # the table keeps every verb.
        overall: Counter[str] = Counter()
        for r in rows:
            overall[r["verb"]] += r["quotes"]
        shown = [verb for verb, _ in overall.most_common(TOP_VERBS)]
        drawn: Counter[tuple[str, str]] = Counter()
        for r in rows:
            drawn[r["speaker"], r["verb"] if r["verb"] in shown else OTHER_VERBS] += r["quotes"]
        bars = [{"speaker": who, "verb": verb, "quotes": n} for (who, verb), n in drawn.items()]
        chart = (
            alt.Chart(_data(bars))
            .mark_bar()
            .encode(
                y=alt.Y("speaker:N", sort=top, title=None),
                x=alt.X("sum(quotes):Q", title="quotes"),
                color=alt.Color("verb:N", sort=[*shown, OTHER_VERBS], title="reporting verb"),
                order=alt.Order("verb_rank:Q"),
                tooltip=["speaker:N", "verb:N", "quotes:Q"],
            )
            .transform_calculate(
                verb_rank=f"indexof({json.dumps([*shown, OTHER_VERBS])}, datum.verb)"
            )
            .properties(width=560, height=alt.Step(18))
            .to_dict()
        )
    return Section(
        "speakers",
        "Most-quoted speakers and their reporting verbs",
        f"The {TOP_SPEAKERS} speakers (resolved to an entity) with the most quotes, split by the "
        f"reporting verb of each quote (the chart colours the {TOP_VERBS} most frequent verbs; "
        f"the table has them all).",
        rows,
        chart,
    )


def _claim_sources(claims: list[Row], outlet: dict[str, str]) -> Section:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for c in claims:
        counts[outlet.get(c["article_id"], UNKNOWN_OUTLET)][c["source_kind"]] += 1
    rows: list[Row] = []
    shares: list[Row] = []  # the chart's rows: one per outlet and kind of source
    for name in sorted(counts):
        n = counts[name]
        total = sum(n.values())
        shares += [
            {"outlet": name, "source": kind, "claims": n[kind], "share": n[kind] / total}
            for kind in ("none", "vague", "named")
        ]
        rows.append(
            {
                "outlet": name,
                "claims": total,
                "named": n["named"],
                "vague": n["vague"],
                "none": n["none"],
                "unsourced_share": (n["vague"] + n["none"]) / total,
            }
        )
    chart = None
    if rows:
        import altair as alt

        chart = (
            alt.Chart(_data(shares))
            .mark_bar()
            .encode(
                y=alt.Y("outlet:N", title=None),
                x=alt.X("share:Q", stack="normalize", axis=alt.Axis(format="%"), title="claims"),
                color=alt.Color(
                    "source:N",
                    sort=["none", "vague", "named"],
                    scale=alt.Scale(
                        domain=["none", "vague", "named"], range=["#b91c1c", "#f59e0b", "#0f766e"]
                    ),
                    title="source",
                ),
                order=alt.Order("source:N"),
                tooltip=["outlet:N", "source:N", "claims:Q", alt.Tooltip("share:Q", format=".1%")],
            )
            .properties(width=560, height=alt.Step(22))
            .to_dict()
        )
    return Section(
        "claim_sources_by_outlet",
        "Claims with no or vague sources, by outlet",
        "Each claim's attributed source: named (a person or body), vague (\u201cofficials\u201d, "
        "\u201csome say\u201d) or none. The unsourced share is vague plus none.",
        rows,
        chart,
    )


def _checkworthy(claims: list[Row], articles: dict[str, Row], outlet: dict[str, str]) -> Section:
    scored = [c for c in claims if c["score"] is not None]
    scored.sort(key=lambda c: (-c["score"], c["article_id"], c["index"]))
    rows = [
        {
            "score": round(c["score"], 4),
            "claim": c["text"],
            "source": c["source_kind"],
            "outlet": outlet.get(c["article_id"], UNKNOWN_OUTLET),
            "published": (articles.get(c["article_id"]) or {}).get("published"),
            "article_id": c["article_id"],
            "start": c["start"],
            "end": c["end"],
        }
        for c in scored[:TOP_CLAIMS]
    ]
    chart = None
    if rows:
        import altair as alt

        shown = [
            {**r, "label": r["claim"] if len(r["claim"]) <= 70 else r["claim"][:69] + "…"}
            for r in rows
        ]
        chart = (
            alt.Chart(_data(shown))
            .mark_bar()
            .encode(
                y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=460)),
                x=alt.X("score:Q", scale=alt.Scale(domain=[0, 1]), title="check-worthiness"),
                color=alt.Color("outlet:N"),
                tooltip=["claim:N", "outlet:N", "published:N", "score:Q", "source:N"],
            )
            .properties(width=360, height=alt.Step(18))
            .to_dict()
        )
    return Section(
        "checkworthy_claims",
        "Most check-worthy claims",
        f"The {TOP_CLAIMS} claims with the highest check-worthiness score in the corpus.",
        rows,
        chart,
    )


def _data(rows: list[Row]) -> dict[str, Any]:
    """Rows as a Vega-Lite inline data set."""
    return {"values": rows}


# --- writing -------------------------------------------------------------------------------


def render_html(out: Path, tables: dict[str, list[Row]], parts: list[Section]) -> str:
    """The report page."""
    articles = tables["articles"]
    dates = sorted(d for a in articles if (d := week_of(a["published"])))
    meta = output_meta(out)
    facts = {
        "articles": len(articles),
        "outlets": len({a["outlet"] or UNKNOWN_OUTLET for a in articles}),
        "weeks": f"{dates[0]} – {dates[-1]}" if dates else "no dates",
        "quotes": len(tables["quotes"]),
        "claims": len(tables["claims"]),
        "technique spans": len(tables["techniques"]),
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


def report(out: Path, html: Path | None = None, csv_dir: Path | None = None) -> list[Section]:
    """Write the report of the batch output `out` as HTML and/or CSV; its sections."""
    require("pyarrow", "spinscope report", "batch")
    tables = load(out)
    parts = sections(tables)
    if html is not None:
        html.write_text(render_html(out, tables, parts), "utf-8")
    if csv_dir is not None:
        write_csv(csv_dir, parts)
    return parts
