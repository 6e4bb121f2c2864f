"""`spinscope report`: the corpus report of a real batch run, rendered, escaped, and as CSV."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import vl_convert
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from spinscope.batch import BatchOptions, committed_parts, run_batch
from spinscope.batch.report import Section, load, sections, week_of, write_csv
from spinscope.cli import app
from spinscope.corpus import Corpus
from spinscope.ingest import IngestOptions
from spinscope.layers.quotes import corpus as quotes_corpus
from spinscope.store import Store
from spinscope.web import Settings, Workbench, create_app

HOSTILE = "<script>alert('x')</script> & Co"
LAYERS = ("quotes", "claims", "techniques", "narratives")
OPTIONS = BatchOptions(
    layers=LAYERS, ingest=IngestOptions(columns={"outlet": "site", "published": "date"})
)


@pytest.fixture(scope="module")
def output(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSONL corpus of eight short PolNeAR articles from three outlets (one with a hostile
    name) over three weeks, analysed into a Parquet output."""
    source = shared_data / "polnear" / "train" / "text"
    chosen = [p for p in sorted(source.glob("*.txt")) if 1500 <= p.stat().st_size <= 3000][:8]
    folder = tmp_path_factory.mktemp("report")
    outlets = ["Daily Planet", "Bugle", HOSTILE]
    dates = ["2016-05-02", "2016-05-11", "2016-05-19T08:00:00Z"]
    with (folder / "feed.jsonl").open("w", encoding="utf-8") as f:
        for i, path in enumerate(chosen):
            record = {
                "id": f"{path.stem}-{HOSTILE}" if i == 0 else path.stem,
                "text": path.read_text("utf-8"),
                "site": outlets[i % 3],
                "date": dates[i % 3],
            }
            f.write(json.dumps(record) + "\n")
    out = folder / "run.parquet"
    summary = run_batch([str(folder / "feed.jsonl")], str(out), OPTIONS)
    assert summary.analysed == 8
    return out


def test_week_of() -> None:
    assert week_of("2016-05-19T08:00:00Z") == "2016-05-16"  # a Thursday -> its Monday
    assert week_of("2016-05-16") == "2016-05-16"
    assert week_of("May 2016") is None and week_of(None) is None and week_of("2016-02-30") is None


def test_report_renders_charts_and_tables_offline_and_escapes(output: Path, tmp_path: Path) -> None:
    page = tmp_path / "corpus.html"
    # every finding counted: most technique spans are suggestions (see the test below)
    result = CliRunner().invoke(app, ["report", str(output), "--html", str(page), "--uncertain"])
    assert result.exit_code == 0, result.output
    html = page.read_text("utf-8")
    assert "left-out" not in html and "left out" not in result.output

    # self-contained: no script or stylesheet from elsewhere, the Vega libraries inlined
    assert not re.search(r"<(script|link)[^>]+(src|href)=", html)
    assert "vegaEmbed" in html and "cdn.jsdelivr" not in html

    # the hostile outlet name is text everywhere: escaped in the tables, \u003c in the JSON
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html
    specs_text = re.search(r'<script type="application/json" id="specs">(.*?)</script>', html, re.S)
    assert specs_text is not None
    specs = json.loads(specs_text.group(1))
    assert set(specs) == {
        "technique_rates_by_outlet",
        "technique_rates_by_week",
        "narrative_rates_by_outlet",
        "narrative_rates_by_week",
        "speakers",
        "claim_sources_by_outlet",
        "checkworthy_claims",
    }

    # every chart renders with its data (Vega, through vl-convert) and shows the outlets
    for key, spec in specs.items():
        svg = vl_convert.vegalite_to_svg(spec)
        assert "<svg" in svg, key
        if key.endswith("by_outlet"):
            assert "Daily Planet" in svg and "Bugle" in svg, key

    # the tables behind the charts agree with the output's tables
    tables = load(output, uncertain=True)
    claims = tables["claims"]
    sources = _rows(specs, "claim_sources_by_outlet")  # one row per outlet and kind of source
    assert sum(int(str(r["claims"])) for r in sources) == len(claims)


def _rows(specs: dict[str, dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """A chart's data (Altair keeps inline data in the spec's named `datasets`)."""
    spec = specs[key]
    rows: list[dict[str, Any]] = spec["datasets"][spec["data"]["name"]]
    return rows


def test_report_csv_tables(output: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(output), "--csv", str(tmp_path / "csv")])
    assert result.exit_code == 0, result.output
    tables = load(output)
    with (tmp_path / "csv" / "claim_sources_by_outlet.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["outlet"] for r in rows} == {"Daily Planet", "Bugle", HOSTILE}
    assert sum(int(r["claims"]) for r in rows) == len(tables["claims"])
    for r in rows:
        unsourced = (int(r["vague"]) + int(r["none"])) / int(r["claims"])
        assert float(r["unsourced_share"]) == pytest.approx(unsourced)
    with (tmp_path / "csv" / "technique_rates_by_outlet.csv").open(encoding="utf-8") as f:
        rates = list(csv.DictReader(f))
    carried = {(t["article_id"], t["technique"]) for t in tables["techniques"]}
    assert sum(int(r["count"]) for r in rates) == len(carried) > 0  # articles, not spans
    for r in rates:
        assert float(r["rate"]) == pytest.approx(int(r["count"]) / int(r["articles"]))
        assert r["shown"] == f"{float(r['rate']):.0%} ({r['count']}/{r['articles']})"
    with (tmp_path / "csv" / "checkworthy_claims.csv").open(encoding="utf-8") as f:
        top = list(csv.DictReader(f))
    scores = [float(r["score"]) for r in top]
    assert scores == sorted(scores, reverse=True) and len(top) == min(25, len(tables["claims"]))
    texts = pq.read_table(committed_parts(output, "articles"), columns=["article_id", "text"])
    articles = dict(zip(*texts.to_pydict().values(), strict=True))
    for r in top:  # each claim is where its offsets say
        assert articles[r["article_id"]][int(r["start"]) : int(r["end"])] == r["claim"]
    assert committed_parts(output, "articles")


def test_the_report_leaves_uncertain_findings_out_unless_asked(output: Path) -> None:
    """As the workbench's rates do: a suggestion (`uncertain`) is not an article carrying a
    label, unless `--uncertain` counts it."""
    mixed = 0
    for table in ("claims", "narratives"):
        written = pq.read_table(committed_parts(output, table)).to_pylist()
        sure = [r for r in written if not r["uncertain"]]
        mixed += 0 < len(sure) < len(written)
        assert len(load(output)[table]) == len(sure)
        assert len(load(output, uncertain=True)[table]) == len(written)
    assert mixed, "the corpus should hold both kinds of finding in one table"


def test_the_report_says_how_many_uncertain_findings_it_leaves_out(
    output: Path, tmp_path: Path
) -> None:
    page = tmp_path / "corpus.html"
    result = CliRunner().invoke(app, ["report", str(output), "--html", str(page)])
    assert result.exit_code == 0, result.output
    counts = {}
    for table in ("quotes", "claims", "techniques", "narratives"):  # the report's tables
        written = pq.read_table(committed_parts(output, table), columns=["uncertain"])
        counts[table] = sum(written.column("uncertain").to_pylist())
    assert counts["techniques"] and counts["claims"]
    said = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
    assert f"left out as uncertain ({said}): --uncertain counts them" in result.output
    page_says = "leave out the uncertain findings (suggestions: a calibrated score under 0.5)"
    assert f"{page_says}: {said}." in page.read_text("utf-8")


def test_report_needs_a_batch_output(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "not a spinscope batch output" in result.stderr
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "--html FILE, --csv DIR" in result.stderr


def test_report_csv_cells_are_never_formulas(tmp_path: Path) -> None:
    """Article text reaches the tables (claims, speakers, outlets): a cell that a spreadsheet
    would run as a formula is written as text, with a leading quote; numbers stay numbers."""
    row = {
        "claim": '=HYPERLINK("http://evil.example","click")',
        "speaker": "+cmd|' /C calc'!A0",
        "outlet": "-2+3",
        "verb": "@SUM(A1:A2)",
        "tab": "\t=1",
        "cr": "\r=1",
        "plain": "The council - said",
        "rate": -0.25,
        "count": 3,
        "none": None,
    }
    (path,) = write_csv(tmp_path / "csv", [Section("claims", "Claims", "", [row], None)])
    with path.open(encoding="utf-8", newline="") as f:
        (written,) = list(csv.DictReader(f))
    assert written == {
        "claim": '\'=HYPERLINK("http://evil.example","click")',
        "speaker": "'+cmd|' /C calc'!A0",
        "outlet": "'-2+3",
        "verb": "'@SUM(A1:A2)",
        "tab": "'\t=1",
        "cr": "'\r=1",
        "plain": "The council - said",
        "rate": "-0.25",
        "count": "3",
        "none": "",
    }


def test_report_csv_of_a_batch_run_guards_hostile_outlets_and_ids(
    shared_data: Path, tmp_path: Path
) -> None:
    """Issue 15: `spinscope report OUT --csv DIR` wrote an outlet starting with `=`, `+` or `@`
    as it was, a formula to a spreadsheet. End to end (a JSONL feed through `spinscope batch`,
    then the report), every such cell is written as text, as the web CSV writes it."""
    source = shared_data / "polnear" / "train" / "text"
    chosen = [p for p in sorted(source.glob("*.txt")) if 1500 <= p.stat().st_size <= 3000][:3]
    outlets = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(A1:A2)"]
    feed = tmp_path / "feed.jsonl"
    with feed.open("w", encoding="utf-8") as f:
        for i, path in enumerate(chosen):
            article_id = "=1+1" if i == 0 else path.stem
            record = {"id": article_id, "text": path.read_text("utf-8"), "outlet": outlets[i]}
            f.write(json.dumps(record) + "\n")
    out = tmp_path / "run.parquet"
    runner = CliRunner()
    batch = runner.invoke(app, ["batch", str(feed), "--out", str(out), "--layers", "quotes,claims"])
    assert batch.exit_code == 0, batch.output
    result = runner.invoke(app, ["report", str(out), "--csv", str(tmp_path / "csv")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "csv" / "claim_sources_by_outlet.csv").open(encoding="utf-8") as f:
        by_outlet = list(csv.DictReader(f))
    assert {r["outlet"] for r in by_outlet} == {f"'{outlet}" for outlet in outlets}
    with (tmp_path / "csv" / "checkworthy_claims.csv").open(encoding="utf-8") as f:
        top = list(csv.DictReader(f))
    assert "'=1+1" in {r["article_id"] for r in top}
    cells = 0
    for path in sorted((tmp_path / "csv").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    cells += 1
                    assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
                    if cell.startswith("-"):
                        float(cell)  # only a negative number may start with "-"
    assert cells > 0


def test_the_workbench_the_api_and_the_report_give_the_same_rates(
    output: Path, tmp_path: Path
) -> None:
    """One corpus, analysed into a batch folder and into a store: the report's rates by outlet
    and by week are the API's, and the workbench's corpus page shows them with their counts."""
    store_url = f"sqlite:///{tmp_path / 'corpus.db'}"
    feed = output.parent / "feed.jsonl"
    assert run_batch([str(feed)], store_url, OPTIONS).analysed == 8
    parts = {part.key: part.rows for part in sections(load(output))}
    store = Store(store_url)
    client = TestClient(
        create_app(Workbench(store, Settings(layers=LAYERS))), base_url="http://localhost"
    )
    try:
        for of in ("technique", "narrative"):
            for by in ("outlet", "week"):
                answer = client.get("/api/v1/stats", params={"by": by, "of": of}).json()
                api = {
                    (row["key"], label): (row["counts"][label], row["articles"], rate)
                    for row in answer["rows"]
                    for label, rate in row["rates"].items()
                }
                report = {
                    (r[by], r[of]): (r["count"], r["articles"], round(r["rate"], 4))
                    for r in parts[f"{of}_rates_by_{by}"]
                }
                assert api == report and report, (of, by)
        page = client.get("/corpus").text
        row = next(r for r in parts["technique_rates_by_outlet"] if r["outlet"] == "Bugle")
        assert row["shown"] in page
        # The page's charts draw the report's rates: every cell of the labels they show.
        for key, of, by in (
            ("techniques-by-outlet", "technique", "outlet"),
            ("narratives-by-week", "narrative", "week"),
        ):
            found = re.search(f'id="spec-{key}">(.*?)</script>', page)
            assert found is not None, key
            spec = json.loads(found[1])
            drawn = {
                (v[by], v[of]): (v["count"], v["articles"], v["shown"])
                for values in spec["datasets"].values()
                for v in values
            }
            labels = {label for _, label in drawn}
            report = {
                (r[by], r[of]): (r["count"], r["articles"], r["shown"])
                for r in parts[f"{of}_rates_by_{by}"]
                if r[of] in labels
            }
            assert report and {k: v for k, v in drawn.items() if v[0]} == report, key
    finally:
        store.close()


def test_a_surname_alone_is_the_one_full_name_of_the_corpus_it_ends() -> None:
    """One article says "Obama", another introduces "Barack Obama": the speakers' section
    counts one speaker. "Clinton" ends two full names and stays a speaker of its own."""
    said = [
        ("a", "Obama", "said"),
        ("b", "Barack Obama", "said"),
        ("b", "Barack Obama", "claimed"),
        ("c", "Clinton", "said"),
        ("c", "Hillary Clinton", "said"),
        ("d", "Bill Clinton", "said"),
    ]
    rows: list[dict[str, Any]] = [
        {"article_id": a, "speaker_entity": who, "cue": cue} for a, who, cue in said
    ]
    assert quotes_corpus.full_names(r["speaker_entity"] for r in rows) == {"Obama": "Barack Obama"}
    [section] = quotes_corpus.sections(rows, Corpus({}))
    totals = {r["speaker"]: r["speaker_quotes"] for r in section.rows}
    assert totals == {"Barack Obama": 3, "Clinton": 1, "Hillary Clinton": 1, "Bill Clinton": 1}
