"""The layer as the unit of spinscope: a layer registered here, in the test, with no other module
edited, has its findings in the JSON, the batch's Parquet tables, the store, the CSV export, the
terminal summary and the HTML report; and every registered layer keeps the contract its
registration states."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict
from rich.table import Table as RichTable
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from spinscope import Pipeline
from spinscope.batch import BatchOptions, run_batch
from spinscope.cli import app
from spinscope.corpus import Corpus, Section, rate_sections
from spinscope.document import Analysis, Article, Span
from spinscope.evaluate import Benchmark, Result, Run
from spinscope.layers import (
    BUILTIN,
    CorpusView,
    Facet,
    Findings,
    Search,
    Table,
    Views,
    register,
    registered,
    unregister,
)
from spinscope.output.html import Annotation, HtmlPart, render_html
from spinscope.output.terminal import render_text
from spinscope.parse import Parsed
from spinscope.store import Filters, Store
from spinscope.store.models import FindingRow
from spinscope.tables import columns, finding_rows
from spinscope.web import Settings, Workbench, create_app

SAMPLE = Path(__file__).parent.parent / "spinscope" / "data" / "sample.txt"

TEXT = (
    "Council votes on the bridge\n"
    "The council voted on Monday. This is an outrage! Residents were not asked.\n"
    'Mayor Elena Voss said the bridge would open in May. "We will not wait!" she said.\n'
)


class Exclamation(BaseModel):
    """A sentence that ends with an exclamation mark."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sentence: Span
    marks: int
    source: str


def exclamations(parsed: Parsed, found: Findings) -> list[Exclamation]:
    return [
        Exclamation(sentence=s, marks=s.text.count("!"), source="exclamations/rule@test")
        for s in parsed.sentences
        if "!" in s.text
    ]


def exclamation_rows(found: Sequence[Exclamation]) -> Iterator[dict[str, Any]]:
    for f in found:
        yield {
            "start": f.sentence.start,
            "end": f.sentence.end,
            "sentence": f.sentence.text,
            "marks": f.marks,
        }


def registered_toy(table: dict[str, Any] | None = None, **declared: Any) -> Iterator[str]:
    """The toy layer, registered for one test with what `declared` (and `table`, to its
    table) adds, then unregistered."""
    register(
        "exclamations",
        requires=("quotes",),
        item=Exclamation,
        table=Table(
            columns={"start": "int", "end": "int", "sentence": "str", "marks": "int"},
            rows=exclamation_rows,
            label="marks",
            text="sentence",
            **(table or {}),
        ),
        **declared,
    )(exclamations)
    try:
        yield "exclamations"
    finally:
        unregister("exclamations")


@pytest.fixture
def toy() -> Iterator[str]:
    yield from registered_toy()


OUTRAGE = "This is an outrage!"


def test_a_toy_layer_s_findings_are_in_the_json(toy: str) -> None:
    analysis = Pipeline(["quotes", toy]).analyze(TEXT)
    found = analysis.extensions[toy]
    assert [f.sentence.text for f in found] == [OUTRAGE, '"We will not wait!"']
    data = analysis.to_dict()
    assert data["extensions"][toy][0]["sentence"]["text"] == OUTRAGE
    back = Analysis.from_json(analysis.to_json())
    assert back == analysis and isinstance(back.extensions[toy][0], Exclamation)
    assert analysis.findings(toy) == found


def test_a_toy_layer_s_spans_are_checked_against_the_text(toy: str) -> None:
    analysis = Pipeline(["quotes", toy]).analyze(TEXT)
    data = analysis.to_dict()
    data["extensions"][toy][0]["sentence"]["start"] += 1
    data["extensions"][toy][0]["sentence"]["end"] += 1
    with pytest.raises(ValueError, match=r"extensions\.exclamations\[0\]\.sentence span"):
        Analysis.model_validate(data)


def test_a_toy_layer_s_findings_are_in_the_parquet_tables(toy: str, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    source = tmp_path / "story.txt"
    source.write_text(TEXT, "utf-8")
    out = tmp_path / "out"
    summary = run_batch([str(source)], str(out), BatchOptions(layers=("quotes", toy)))
    assert summary.analysed == 1
    parts = sorted((out / toy).glob("*.parquet"))
    assert parts, f"no {toy} table in {sorted(p.name for p in out.iterdir())}"
    rows = pq.read_table(parts).to_pylist()
    assert next(r["sentence"] for r in rows) == OUTRAGE
    assert list(rows[0]) == list(columns(toy))
    articles = pq.read_table(sorted((out / "articles").glob("*.parquet"))).to_pylist()
    assert articles[0][toy] == 2


def test_a_toy_layer_s_findings_are_in_the_store_and_its_csv(toy: str, tmp_path: Path) -> None:
    store = Store(str(tmp_path / "spinscope.db"))
    workbench = Workbench(store, Settings(layers=("quotes", toy)))
    try:
        client = TestClient(create_app(workbench), base_url="http://localhost")
        response = client.post("/api/v1/analyze", json={"id": "council", "text": TEXT})
        assert response.status_code == 200, response.text
        with Session(store.engine) as session:
            stored = session.execute(
                select(FindingRow.label, FindingRow.text, FindingRow.start)
                .where(FindingRow.layer == toy)
                .order_by(FindingRow.idx)
            ).all()
        assert stored[0] == ("1", OUTRAGE, TEXT.index(OUTRAGE))
        analysis = store.get("council")
        assert analysis is not None and isinstance(analysis.extensions[toy][0], Exclamation)
        export = client.get("/articles/council/findings.csv")
        assert export.status_code == 200
        rows = list(csv.DictReader(io.StringIO(export.text)))
        mine = [r for r in rows if r["layer"] == toy]
        assert next(r["sentence"] for r in mine) == OUTRAGE and mine[0]["marks"] == "1"
    finally:
        workbench.close()
        store.close()


def test_a_toy_layer_s_facet_and_search_are_the_store_s_the_api_s_and_the_pages(
    tmp_path: Path,
) -> None:
    """Declared on its table, a toy layer's labels filter the corpus (and are rated), its
    findings are counted in each article's summary and found by the search, in the store, the
    API and the corpus page, with no other module edited."""
    declared = {
        "facet": Facet("marks", "Exclamation marks", choices=lambda: [("1", "one"), ("2", "two")]),
        "search": Search("Exclamations", "exclamation", shown={"marks": "marks"}),
    }
    for toy in registered_toy(table=declared):
        store = Store(str(tmp_path / "spinscope.db"))
        workbench = Workbench(store, Settings(layers=("quotes", toy)))
        try:
            client = TestClient(create_app(workbench), base_url="http://localhost")
            for id, text in (("council", TEXT), ("calm", "Calm\nNothing happened today.\n")):
                response = client.post("/api/v1/analyze", json={"id": id, "text": text})
                assert response.status_code == 200, response.text
            assert {s.id: s.counts[toy] for s in store.articles()} == {"council": 2, "calm": 0}
            assert [s.id for s in store.articles(Filters(labels={"marks": "1"}))] == ["council"]
            listed = client.get("/api/v1/articles", params={"marks": "1"}).json()
            assert [(a["id"], a[toy]) for a in listed["articles"]] == [("council", 2)]
            found = client.get("/api/v1/search", params={"q": "outrage"}).json()
            assert [(h["text"], h["marks"], h["start"]) for h in found[toy]] == [
                (OUTRAGE, 1, TEXT.index(OUTRAGE))
            ]
            rates = client.get("/api/v1/stats", params={"of": "marks"}).json()
            assert rates["rows"][0]["counts"] == {"1": 1}
            page = client.get("/corpus", params={"q": "outrage"}).text
            assert "<h2>Exclamations <small>1 for" in page and 'name="marks"' in page
            assert 'id="spec-exclamations-by-outlet"' in client.get("/corpus").text
        finally:
            workbench.close()
            store.close()


def test_a_toy_layer_s_findings_are_in_the_terminal_and_the_html(toy: str) -> None:
    analysis = Pipeline(["quotes", toy]).analyze(TEXT)
    text = render_text(analysis, width=160)
    assert "exclamations (2)" in text and OUTRAGE in text
    page = render_html(analysis)
    section = re.search(r'<section class="panel other-layer".*?</section>', page, re.S)
    assert section is not None and "exclamations" in section[0] and OUTRAGE in section[0]


def _marked(analysis: Analysis) -> HtmlPart:
    """The toy layer's own part of the report: each exclaiming sentence marked in the text,
    and a count among the header's."""
    found = analysis.extensions["exclamations"]
    return HtmlPart(
        highlights=[
            Annotation(f.sentence.start, f.sentence.end, f"x{i}", ("x",), "Exclamation")
            for i, f in enumerate(found)
        ],
        chips=Markup(f'<span class="count-chip"><b>{len(found)}</b> exclamations</span>'),
    )


def test_a_toy_layer_draws_its_own_part_of_the_html_report() -> None:
    """A layer whose `views.html` draws a part of its own has its highlights in the article's
    text, beside the built-in layers', and its pieces in their places."""
    for _ in registered_toy(views=Views(html=_marked)):
        analysis = Pipeline(["quotes", "exclamations"]).analyze(TEXT)
        page = render_html(analysis)
    assert re.search(rf'<span class="x" data-ann="x0" title="Exclamation">{OUTRAGE}</span>', page)
    assert 'data-ann="q1 x1"' in page  # "We will not wait!": the second quote's, and its own
    header = page[page.index('<div class="counts">') : page.index("</header>")]
    assert "<b>2</b> exclamations" in header
    assert "other-layer" not in page  # it drew its part: no panel of rows


# The contract of every registered layer ---------------------------------------------------

_TYPES = {"str": str, "int": int, "float": (float, int), "bool": bool, "list": list}


@pytest.fixture(scope="module")
def sample() -> Article:
    return Article(id="sample", text=SAMPLE.read_text("utf-8"))


@pytest.mark.parametrize("name", BUILTIN)
def test_every_layer_keeps_its_contract(name: str, sample: Article) -> None:
    (layer,) = [layer for layer in registered() if layer.name == name]
    analysis = Pipeline([name]).analyze(sample)
    found = layer.findings(analysis)
    assert found, f"{name} found nothing in the sample article"
    # It writes its own field and its requirements' only (the spans are checked by Analysis).
    ran = {layer.field, *(r.field for r in registered() if r.name in layer.requires)}
    for other in registered():
        if other.field not in ran:
            assert other.findings(analysis) == [], f"{name} filled {other.field}"
    # Its rows have the columns of its table, each of the declared type.
    if layer.table is not None:
        rows = finding_rows(analysis)[layer.field]
        assert len(rows) == len(found)
        for row in rows:
            assert list(row) == list(columns(layer.field))
            for column, kind in columns(layer.field).items():
                value = row[column]
                assert value is None or isinstance(value, _TYPES[kind]), (column, value)
                if kind == "list":
                    assert all(isinstance(item, str) for item in value)
            if row.get("start") is not None:
                assert 0 <= row["start"] <= row["end"] <= len(sample.text)
    else:
        assert layer.summary is not None, f"{name} declares neither a table nor a summary"
    # Its views render, and its part of the HTML report marks only the article's text.
    assert render_text(analysis)
    assert render_html(analysis)
    assert layer.views.html is not None, f"{name} draws no part of the HTML report"
    part = layer.views.html(analysis)
    assert isinstance(part, HtmlPart) and (part.panel or part.chips), name
    assert all(0 <= a.start <= a.end <= len(sample.text) for a in part.highlights), name


# --- a toy layer's benchmark and corpus report section, declared in its registration ---------


def _read_gold(data: Path) -> dict[str, tuple[str, int]]:
    """A toy benchmark's data: `<name>.txt` articles, and `gold.tsv` (name, exclaiming
    sentences)."""
    gold = {}
    for line in (data / "gold.tsv").read_text("utf-8").splitlines():
        name, count = line.split("\t")
        gold[name] = ((data / f"{name}.txt").read_text("utf-8"), int(count))
    return gold


def _predict(gold: dict[str, tuple[str, int]], run: Run) -> dict[str, int]:
    pipeline = Pipeline(["quotes", "exclamations"])
    return {
        name: len(pipeline.analyze(text).findings("exclamations"))
        for name, (text, _) in gold.items()
    }


def _score(gold: dict[str, tuple[str, int]], found: dict[str, int]) -> Result:
    right = sum(found.get(name) == count for name, (_, count) in gold.items())
    table = RichTable("accuracy")
    table.add_row(f"{right / len(gold):.3f}")
    return Result({"articles": len(gold), "accuracy": right / len(gold)}, table)


def _write(path: Path, found: dict[str, int], gold: object) -> None:
    path.write_text("".join(f"{name}\t{n}\n" for name, n in found.items()), "utf-8")


def _read(path: Path, gold: object) -> dict[str, int]:
    lines = path.read_text("utf-8").splitlines()
    return {name: int(n) for name, n in (line.split("\t") for line in lines)}


TOY_BENCHMARK = Benchmark(
    name="exclamations",
    data="a folder of <name>.txt articles and gold.tsv (name, exclaiming sentences)",
    read=_read_gold,
    predict=_predict,
    score=_score,
    read_predictions=_read,
    write_predictions=_write,
)


def _corpus_sections(rows: list[dict[str, Any]], corpus: Corpus) -> list[Section]:
    found = [(row["article_id"], f"{row['marks']} marks") for row in rows]
    return rate_sections("exclamation", "Exclamations", found, corpus)


@pytest.fixture
def scored_toy() -> Iterator[str]:
    yield from registered_toy(
        views=Views(corpus=CorpusView(("article_id", "marks"), _corpus_sections)),
        benchmark=f"{__name__}:TOY_BENCHMARK",
    )


def test_a_toy_layer_s_benchmark_is_scored_by_spinscope_eval(
    scored_toy: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "bridge.txt").write_text(TEXT, "utf-8")
    (data / "calm.txt").write_text("The council met. Nothing happened.\n", "utf-8")
    (data / "gold.tsv").write_text("bridge\t2\ncalm\t1\n", "utf-8")  # calm: deliberately wrong
    runner = CliRunner()
    listed = runner.invoke(app, ["eval"])
    assert listed.exit_code == 0 and "exclamations" in listed.stdout
    predictions = tmp_path / "predicted.tsv"
    args = ["eval", scored_toy, "--data", str(data), "--json"]
    ran = runner.invoke(app, [*args, "--predictions", str(predictions)])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout) == {"articles": 2, "accuracy": 0.5}
    assert predictions.read_text("utf-8") == "bridge\t2\ncalm\t0\n"
    rescored = runner.invoke(app, [*args, "--score", str(predictions)])
    assert rescored.exit_code == 0 and json.loads(rescored.stdout) == json.loads(ran.stdout)
    # what the benchmark does not declare is a usage error, named
    refused = runner.invoke(app, [*args, "--split", "validation"])
    assert refused.exit_code == 2 and "eval exclamations takes no --split" in refused.stderr
    refused = runner.invoke(app, [*args, "--level", "paragraph"])
    assert refused.exit_code == 2 and "no level 'paragraph'" in refused.stderr


def test_a_toy_layer_s_corpus_section_is_in_the_report(scored_toy: str, tmp_path: Path) -> None:
    for name in "abc":
        text = TEXT if name != "c" else "The council met. Nothing happened.\n"
        (tmp_path / f"{name}.txt").write_text(text, "utf-8")
    out = tmp_path / "out"
    options = BatchOptions(layers=("quotes", scored_toy))
    summary = run_batch([str(tmp_path / f"{n}.txt") for n in "abc"], str(out), options)
    assert summary.analysed == 3
    result = CliRunner().invoke(app, ["report", str(out), "--csv", str(tmp_path / "csv")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "csv" / "exclamation_rates_by_outlet.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    # two of the three articles (no outlet: all "(unknown)") carry sentences of one mark
    found = [(r["outlet"], r["exclamation"], r["count"], r["articles"]) for r in rows]
    assert found == [("(unknown)", "1 marks", "2", "3")]
