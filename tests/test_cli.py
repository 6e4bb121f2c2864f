"""The command line, through Typer's runner and as the installed `spinscope` script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import spinscope.pipeline
from spinscope import __version__
from spinscope.cli import app
from spinscope.document import Analysis, json_schema
from spinscope.errors import ModelError
from spinscope.ingest import sample_article

SAMPLE = sample_article()
SAMPLE_TITLE = "Brackenridge orders boil-water notice as stomach illness spreads"
SHORT = "Council backs plan\nThe council said that the plan would cut costs by 20 percent.\n"


def run(*args: str | Path, input: str | None = None) -> Result:
    """`spinscope ARGS…` in-process, on a terminal 200 columns wide (Rich reads COLUMNS)."""
    return CliRunner().invoke(app, [str(a) for a in args], input=input, env={"COLUMNS": "200"})


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def json_lines(output: str) -> list[Analysis]:
    """The analyses in JSON output: one pretty JSON document, or JSON Lines."""
    if output.startswith("{\n"):
        return [Analysis.from_json(output)]
    return [Analysis.from_json(line) for line in output.splitlines()]


# --- small commands -----------------------------------------------------------------------


def test_version_and_help() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"spinscope {__version__}"
    result = run("analyze", "--help")
    assert result.exit_code == 0
    for option in ("--format", "--out-dir", "--sample", "--max-bytes", "--workers", "--column"):
        assert option in result.stdout


def test_schema_prints_the_json_schema() -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json_schema()


# --- analyze: formats and destinations ----------------------------------------------------


def test_sample_as_terminal_text() -> None:
    result = run("analyze", "--sample")
    assert result.exit_code == 0, result.output
    assert SAMPLE_TITLE in result.stdout
    for name in ("Elena Voss", "Raymond Okafor", "Dana Whitfield", "Who says what", "Claims"):
        assert name in result.stdout
    assert result.stderr == "1 analysed, 0 failed\n"


def test_sample_as_json() -> None:
    result = run("analyze", "--sample", "--format", "json")
    assert result.exit_code == 0, result.output
    analysis = Analysis.from_json(result.stdout)
    assert result.stdout.startswith("{\n")  # one article: pretty JSON
    assert analysis.article.id == "sample" and analysis.article.title == SAMPLE_TITLE
    assert analysis.article.text == SAMPLE.text
    assert len(analysis.quotes) >= 8 and len(analysis.claims) >= 8


def test_sample_finds_what_it_was_written_for() -> None:
    analysis = Analysis.from_json(run("analyze", "--sample", "-f", "json").stdout)
    by_speaker: dict[str, list[str]] = {}
    for quote in analysis.quotes:
        by_speaker.setdefault(quote.speaker_entity or "", []).append(quote.kind)
    # “…,” Mayor Elena Voss said …, “…”: one quote in two pieces, without its attribution.
    split = next(q for q in analysis.quotes if q.speaker_entity == "Elena Voss")
    assert split.kind == "direct" and len(split.content) == 2
    assert not any("Voss said" in span.text for span in split.content)
    assert "indirect" in by_speaker["Raymond Okafor"]  # Okafor said that …
    titled = [q for q in analysis.quotes if q.speaker and "commissioner" in q.speaker.text]
    assert titled and titled[0].speaker_entity == "Raymond Okafor"
    pronouns = {q.speaker.text: q.speaker_entity for q in analysis.quotes if q.speaker}
    assert pronouns["he"] == "Raymond Okafor" and pronouns["she"] == "Dana Whitfield"
    sourced = next(c for c in analysis.claims if "according to" in c.span.text)
    assert "1,200" in [n.text for n in sourced.numbers]
    assert sourced.source.span and sourced.source.span.text == "the county health department"
    hedges = {h.text for c in analysis.claims for h in c.hedges}
    assert {"is believed", "reportedly"} <= hedges


def test_html_report_to_a_file_prints_the_summary_too(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    result = run("analyze", "--sample", "--out", report)  # format from the suffix
    assert result.exit_code == 0, result.output
    assert report.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert SAMPLE_TITLE in result.stdout and "Elena Voss" in result.stdout
    quiet = run("analyze", "--sample", "--out", tmp_path / "quiet.html", "--quiet")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    assert (tmp_path / "quiet.html").is_file()


def test_format_follows_the_out_suffix(tmp_path: Path) -> None:
    assert run("analyze", "--sample", "-o", tmp_path / "a.json", "-q").exit_code == 0
    assert Analysis.from_json((tmp_path / "a.json").read_text("utf-8")).article.id == "sample"
    assert run("analyze", "--sample", "-o", tmp_path / "a.txt", "-q").exit_code == 0
    assert "Who says what" in (tmp_path / "a.txt").read_text("utf-8")
    forced = run("analyze", "--sample", "-o", tmp_path / "b.txt", "-f", "json", "-q")
    assert forced.exit_code == 0
    assert Analysis.from_json((tmp_path / "b.txt").read_text("utf-8")).article.id == "sample"


def test_several_articles_json_lines_and_text(tmp_path: Path) -> None:
    short = write(tmp_path / "short.txt", SHORT)
    result = run("analyze", "--sample", short, "-f", "json")
    assert result.exit_code == 0, result.output
    assert [a.article.id for a in json_lines(result.stdout)] == ["sample", "short"]
    assert (
        run("analyze", "--sample", short, "-o", tmp_path / "all.jsonl", "-f", "json").exit_code == 0
    )
    assert len(json_lines((tmp_path / "all.jsonl").read_text("utf-8"))) == 2
    result = run("analyze", "--sample", short, "-o", tmp_path / "all.txt", "-q")
    text = (tmp_path / "all.txt").read_text("utf-8")
    assert SAMPLE_TITLE in text and "Council backs plan" in text


def test_several_articles_cannot_go_into_one_html_file(tmp_path: Path) -> None:
    short = write(tmp_path / "short.txt", SHORT)
    result = run("analyze", "--sample", short, "-o", tmp_path / "r.html")
    assert result.exit_code == 2
    assert "use --out-dir" in result.stderr
    records = tmp_path / "two.jsonl"
    records.write_text(json.dumps({"text": SHORT}) + "\n" + json.dumps({"text": SHORT}) + "\n")
    result = run("analyze", records, "-f", "html")
    assert result.exit_code == 2 and "use --out-dir" in result.stderr


def test_out_dir_names_files_after_their_inputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write(tmp_path / "a" / "story.txt", SHORT)
    second = write(tmp_path / "b" / "story.txt", SHORT)  # same stem
    records = tmp_path / "feed.jsonl"
    records.write_text(
        json.dumps({"id": "x/../1", "text": SHORT}) + "\n" + json.dumps({"text": SHORT}) + "\n"
    )
    stdin = "From stdin\nShe said it was fine.\n"
    args = (first, second, records, "-", "--sample", "--out-dir", out, "-f", "json", "-q")
    result = run("analyze", *args, input=stdin)
    assert result.exit_code == 0, result.output
    stdin_id = Analysis.from_json(run("analyze", "-", "-f", "json", input=stdin).stdout).article.id
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "sample.json",
            "story.json",
            "story-2.json",
            "x_.._1.json",
            "feed_2.json",
            f"{stdin_id}.json",
        ]
    )
    assert Analysis.from_json((out / "feed_2.json").read_text("utf-8")).article.id == "feed:2"
    text = run("analyze", first, "--out-dir", tmp_path / "text", "-q")  # default format: text
    assert text.exit_code == 0 and [p.name for p in (tmp_path / "text").iterdir()] == ["story.txt"]
    assert run("analyze", first, "--out-dir", tmp_path / "h", "-f", "html", "-q").exit_code == 0
    assert [p.name for p in (tmp_path / "h").iterdir()] == ["story.html"]


def test_out_dir_never_overwrites_an_input(tmp_path: Path) -> None:
    story = write(tmp_path / "story.txt", SHORT)
    result = run("analyze", story, "--out-dir", tmp_path, "-q")
    assert result.exit_code == 0
    assert story.read_text("utf-8") == SHORT
    assert "Council backs plan" in (tmp_path / "story-2.txt").read_text("utf-8")


# --- analyze: bad inputs ------------------------------------------------------------------


def test_bad_inputs_in_one_run(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: no 50 MB written
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(
        "Café owner speaks\nJosé Núñez said that prices would rise.\n".encode("latin-1")
    )
    unbalanced = write(tmp_path / "unbalanced.txt", "Row\nThe mayor said the plan” would work.\n")
    good = write(tmp_path / "good.txt", SHORT)
    private_url = "http://10.0.0.1/"
    result = run(
        "analyze", empty, binary, huge, latin1, unbalanced, private_url, good, "-f", "json"
    )

    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {empty}: is empty",
        f"error: {binary}: looks binary (contains NUL bytes); "
        f"if it is UTF-16 text, save it as UTF-8",
        f"error: {huge}: is 52,428,800 bytes, over the 2,000,000-byte cap; "
        f"raise it with --max-bytes (IngestOptions.max_bytes)",
        f"error: {private_url}: host '10.0.0.1' resolves to 10.0.0.1, a private address; refused "
        f"(allow it with --allow-private or IngestOptions(allow_private=True))",
    ]
    assert f"warning: {latin1}: decoded as cp1252 (detected), not UTF-8" in result.stderr
    assert f"warning: {unbalanced}: unpaired closing quote mark '”'" in result.stderr
    assert result.stderr.splitlines()[-1] == "3 analysed, 4 failed"
    assert "Traceback" not in result.output
    analyses = json_lines(result.stdout)
    assert [a.article.id for a in analyses] == ["latin1", "unbalanced", "good"]
    assert "José Núñez" in analyses[0].article.text
    assert analyses[0].warnings[0] == "decoded as cp1252 (detected), not UTF-8"


def test_max_bytes_and_missing_file(tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", SHORT)
    result = run("analyze", good, "--max-bytes", "10")
    assert result.exit_code == 1 and "over the 10-byte cap" in result.stderr
    result = run("analyze", tmp_path / "missing.txt")
    assert result.exit_code == 1
    assert (
        result.stderr == f"error: {tmp_path / 'missing.txt'}: no such file\n0 analysed, 1 failed\n"
    )


def test_a_failing_analysis_is_reported_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_parse = spinscope.pipeline.parse

    def parse(article, nlp=None):  # type: ignore[no-untyped-def]
        if article.id == "bad":
            raise RuntimeError("boom")
        return real_parse(article, nlp)

    monkeypatch.setattr(spinscope.pipeline, "parse", parse)
    bad, good = write(tmp_path / "bad.txt", SHORT), write(tmp_path / "good.txt", SHORT)
    result = run("analyze", bad, good, "-f", "json")
    assert result.exit_code == 1
    assert f"error: {bad}: analysis failed: RuntimeError: boom" in result.stderr
    assert [a.article.id for a in json_lines(result.stdout)] == ["good"]


def test_max_seconds_fails_each_article_past_its_budget_and_the_run_goes_on(
    articles: Path,
) -> None:
    """`--max-seconds`: an article still being analysed when its budget is spent is one
    `error:` line of its own, and the next article is analysed (here, with a budget no
    article can meet, it fails the same way); 0 means no budget."""
    first, second = sorted(articles.iterdir())[:2]
    result = run("analyze", first, second, "--max-seconds", "0.000001", "-f", "json")
    assert result.exit_code == 1, result.output
    stopped = "analysis stopped: it took longer than its budget of 1e-06 s (raise it with "
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {first}: {stopped}--max-seconds)",
        f"error: {second}: {stopped}--max-seconds)",
    ]
    assert result.stderr.splitlines()[-1] == "0 analysed, 2 failed"
    assert result.stdout == "" and "Traceback" not in result.output
    unlimited = run("analyze", first, "--max-seconds", "0", "-f", "json")
    assert unlimited.exit_code == 0, unlimited.output
    assert unlimited.stderr.splitlines()[-1] == "1 analysed, 0 failed"
    (analysis,) = json_lines(unlimited.stdout)
    assert analysis.article.id == first.stem and analysis.article.text == first.read_text("utf-8")
    assert analysis.quotes  # a news article, analysed in full
    negative = run("analyze", first, "--max-seconds", "-1")
    assert negative.exit_code == 2 and "--max-seconds" in negative.output


def test_a_missing_model_stops_the_run_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def load_nlp() -> None:
        raise ModelError("no English spaCy pipeline is installed")

    monkeypatch.setattr(spinscope.pipeline, "load_nlp", load_nlp)
    result = run("analyze", "--sample")
    assert result.exit_code == 1
    assert result.stderr == "error: no English spaCy pipeline is installed\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give at least one PATH"),
        (("--sample", "--out", "a.json", "--out-dir", "d"), "not both"),
        (("--sample", "--out", "report.md"), "cannot tell the output format"),
        (("--sample", "--column", "body"), "is not FIELD=NAME"),
        (("--sample", "--column", "nope=body"), "unknown record field(s) in columns: nope"),
        (("--sample", "--format", "pdf"), "Invalid value"),
        (("--sample", "--workers", "0"), "Invalid value"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run("analyze", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_out_must_not_be_an_input(tmp_path: Path) -> None:
    story = write(tmp_path / "story.txt", SHORT)
    result = run("analyze", story, "--out", story)
    assert result.exit_code == 2 and "is one of the inputs" in result.stderr
    assert story.read_text("utf-8") == SHORT


def test_unwritable_outputs_fail_before_analysing(tmp_path: Path) -> None:
    result = run("analyze", "--sample", "--out", tmp_path / "nowhere" / "r.json")
    assert result.exit_code == 2 and "there is no folder" in result.stderr
    assert result.stdout == ""
    a_file = write(tmp_path / "a-file", "")
    result = run("analyze", "--sample", "--out-dir", a_file / "reports")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"error: cannot write {a_file / 'reports'}: ")
    assert "Traceback" not in result.output


# --- analyze: the same article in every input format -------------------------------------


def test_txt_html_and_jsonl_of_one_article_give_the_same_title_and_text(tmp_path: Path) -> None:
    title, *paragraphs = SAMPLE.text.rstrip("\n").split("\n")
    txt = write(tmp_path / "story.txt", "\n".join([title, *paragraphs]))
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    html = write(
        tmp_path / "story.html",
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>\n{body}"
        f"</article><footer>Copyright Daily Example</footer></body></html>",
    )
    jsonl = tmp_path / "feed.jsonl"
    record = {"id": "story", "title": title, "text": txt.read_text("utf-8")}
    jsonl.write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    result = run("analyze", txt, html, jsonl, "-f", "json")
    assert result.exit_code == 0, result.output
    from_txt, from_html, from_jsonl = json_lines(result.stdout)
    assert from_txt.article.title == from_html.article.title == from_jsonl.article.title == title
    assert from_txt.article.text == from_html.article.text == from_jsonl.article.text
    assert from_txt.quotes == from_html.quotes == from_jsonl.quotes


def test_stdin(tmp_path: Path) -> None:
    result = run("analyze", "-", "-f", "json", input=SHORT)
    assert result.exit_code == 0, result.output
    assert Analysis.from_json(result.stdout).article.title == "Council backs plan"


def test_two_workers_give_the_same_output_in_the_same_order(tmp_path: Path) -> None:
    inputs = [write(tmp_path / f"s{i}.txt", SHORT.replace("20", str(i))) for i in range(5)]
    one = run("analyze", *inputs, "--sample", "-f", "json")
    two = run("analyze", *inputs, "--sample", "-f", "json", "--workers", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout
    assert [a.article.id for a in json_lines(two.stdout)] == [
        "sample",
        "s0",
        "s1",
        "s2",
        "s3",
        "s4",
    ]


# --- eval quotes --------------------------------------------------------------------------


@pytest.fixture
def small_polnear(shared_data: Path, tmp_path: Path) -> Path:
    """Three PolNeAR dev articles with their annotations, copied into tmp_path for this test."""
    dev = shared_data / "polnear" / "dev"
    data = tmp_path / "polnear-small"
    (data / "text").mkdir(parents=True)
    (data / "attributions").mkdir()
    for text in sorted((dev / "text").glob("*.txt"))[:3]:
        shutil.copy(text, data / "text")
        for ann in (dev / "attributions").glob(f"{text.stem}_*.ann"):
            shutil.copy(ann, data / "attributions")
    return data


def test_eval_quotes_writes_predictions_and_rescores_them(
    small_polnear: Path, tmp_path: Path
) -> None:
    predictions = tmp_path / "pred"
    result = run("eval", "quotes", "--data", small_polnear, "--predictions", predictions, "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["articles"] == 3 and scores["gold"] > 0 and scores["predicted"] > 0
    assert 0.0 < scores["soft_f1"] <= 1.0
    assert len(list(predictions.glob("*.ann"))) == 3
    rescored = run("eval", "quotes", "--data", small_polnear, "--score", predictions, "--json")
    assert rescored.exit_code == 0 and json.loads(rescored.stdout) == scores
    table = run("eval", "quotes", "--data", small_polnear, "--score", predictions)
    assert table.exit_code == 0
    assert "content, soft overlap" in table.stdout and "speaker accuracy" in table.stdout
    assert f"{scores['soft_f1']:.3f}" in table.stdout


def test_eval_quotes_errors(small_polnear: Path, tmp_path: Path) -> None:
    result = run("eval", "quotes", "--data", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'nowhere'}: no such directory\n"
    result = run("eval", "quotes", "--data", tmp_path)  # not PolNeAR-shaped
    assert result.exit_code == 1 and "expected a folder text/" in result.stderr
    (tmp_path / "empty-pred").mkdir()
    result = run("eval", "quotes", "--data", small_polnear, "--score", tmp_path / "empty-pred")
    assert result.exit_code == 1 and "no predictions for 3 of 3 articles" in result.stderr
    both = ("--predictions", tmp_path / "p", "--score", tmp_path / "p")
    assert run("eval", "quotes", "--data", small_polnear, *both).exit_code == 2
    assert "Traceback" not in result.output


# --- the installed script -----------------------------------------------------------------


def script() -> str:
    beside = Path(sys.executable).with_name("spinscope")
    found = str(beside) if beside.is_file() else shutil.which("spinscope")
    if found is None:
        pytest.fail("the `spinscope` script is not installed; run `pip install -e .`")
    return found


def test_installed_script_writes_a_report_and_prints_the_summary(tmp_path: Path) -> None:
    done = subprocess.run(
        [script(), "analyze", "--sample", "--out", "sample-report.html"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "sample-report.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert SAMPLE_TITLE in done.stdout
    assert done.stderr == "1 analysed, 0 failed\n"


def test_installed_script_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    write(tmp_path / "good.txt", SHORT)
    done = subprocess.run(
        [script(), "analyze", "missing.txt", "-", "good.txt", "--format", "json"],
        cwd=tmp_path,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: missing.txt: no such file",
        "error: -: standard input is empty",
        "1 analysed, 2 failed",
    ]
    assert Analysis.from_json(done.stdout).article.id == "good"
