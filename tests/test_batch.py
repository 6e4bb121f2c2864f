"""`spinscope batch`: real articles, the real pipeline (quotes and claims, to stay fast), real
files; resumability, a SIGKILL in the middle of a run, and a corpus of planted bad records."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from spinscope.batch import BatchOptions, Summary, committed_parts, run_batch
from spinscope.cli import app
from spinscope.cli.batch import BatchProgress
from spinscope.document import Analysis
from spinscope.errors import ExtraError, require

LAYERS = "quotes,claims"
OPTIONS = BatchOptions(layers=("quotes", "claims"), chunk_size=2)
GERMAN = (
    "Regierung plant neue Steuern\n"
    "Die Bundesregierung hat am Montag angekündigt, dass die Steuern im nächsten Jahr um zehn "
    "Prozent steigen werden, sagte der Finanzminister in Berlin vor Journalisten.\n"
)
LATIN1 = (
    "Café owners warn of price rises\n"
    "The owner of the Café Müller said on Monday that prices would rise by 10 percent because "
    "of the new tax, according to the local chamber of commerce.\n"
)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def counts(stderr: str) -> dict[str, int]:
    """The summary line's counts: read, analysed, skipped, failed."""
    match = re.search(
        r"(\d+) read: (\d+) analysed, (\d+) skipped \(done before\), (\d+) failed", stderr
    )
    assert match, stderr
    read, analysed, skipped, failed = map(int, match.groups())
    assert read == analysed + skipped + failed
    return {"read": read, "analysed": analysed, "skipped": skipped, "failed": failed}


def children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux)."""
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def killable_command(articles: Path) -> list[str]:
    """`spinscope batch` of `articles` as a command line for a subprocess, with 2 workers and
    one record per chunk (so that there is a moment to kill it between commits); `--out` last,
    its value to be added."""
    return [
        sys.executable,
        "-c",
        "from spinscope.cli import app; app()",
        "batch",
        str(articles),
        "--layers",
        LAYERS,
        "--chunk-size",
        "1",
        "--workers",
        "2",
        "--quiet",
        "--out",
    ]


def files_of(out: Path) -> dict[str, bytes]:
    """Every file of an output folder, by relative path, with its bytes."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# --- resumability -------------------------------------------------------------------------


def test_batch_writes_tables_and_a_second_run_does_no_work(articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    first = run("batch", articles, "--out", out, "--layers", LAYERS, "--chunk-size", "4")
    assert first.exit_code == 0, first.output
    assert counts(first.stderr) == {"read": 6, "analysed": 6, "skipped": 0, "failed": 0}
    rows = pq.read_table(committed_parts(out, "articles")).to_pylist()
    assert sorted(r["article_id"] for r in rows) == sorted(p.stem for p in articles.iterdir())
    texts = {r["article_id"]: r["text"] for r in rows}
    for r in rows:
        assert r["text"] == (articles / f"{r['article_id']}.txt").read_text("utf-8")
    quotes = pq.read_table(committed_parts(out, "quotes")).to_pylist()
    claims = pq.read_table(committed_parts(out, "claims")).to_pylist()
    assert quotes and claims
    for q in quotes:  # offsets point into the article text
        text = texts[q["article_id"]]
        if q["speaker"] is not None:
            assert text[q["speaker_start"] : q["speaker_end"]] == q["speaker"]
        assert q["start"] < q["end"] <= len(text)
    for c in claims:
        assert texts[c["article_id"]][c["start"] : c["end"]] == c["text"]
        assert c["source_kind"] in ("named", "vague", "none")
    assert sum(r["quotes"] for r in rows) == len(quotes)
    assert len(committed_parts(out, "articles")) == 2  # 6 records in chunks of 4

    before = files_of(out)
    second = run("batch", articles, "--out", out, "--layers", LAYERS, "--chunk-size", "4")
    assert second.exit_code == 0, second.output
    assert counts(second.stderr) == {"read": 6, "analysed": 0, "skipped": 6, "failed": 0}
    assert files_of(out) == before  # nothing written twice, nothing rewritten


def test_jsonl_output_holds_analyses(articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    summary = run_batch([str(articles)], str(out), OPTIONS)
    assert (summary.read, summary.analysed, summary.chunks) == (6, 6, 3)
    analyses = [
        Analysis.from_json(line)
        for part in committed_parts(out, "analyses")
        for line in part.read_text("utf-8").splitlines()
    ]
    assert [a.article.id for a in analyses] == sorted(p.stem for p in articles.iterdir())
    assert all(a.quotes or a.claims for a in analyses)


def test_leftovers_of_a_killed_commit_are_removed_and_redone(
    articles: Path, tmp_path: Path
) -> None:
    """A run killed between renaming a chunk's files and writing its commit record leaves
    files no commit lists: the next run deletes them and analyses those articles again."""
    out = tmp_path / "run.parquet"
    run_batch([str(articles)], str(out), OPTIONS)
    complete = files_of(out)
    last = sorted((out / "_chunks").glob("*.json"))[-1]
    last.unlink()  # as if killed just before the last commit
    (out / "_tmp" / "part-000009").mkdir(parents=True)
    (out / "_tmp" / "part-000009" / "quotes.parquet").write_bytes(b"half")
    (out / "_chunks" / "000003.json.tmp").write_text("{")
    summary = run_batch([str(articles)], str(out), OPTIONS)
    assert (summary.analysed, summary.skipped) == (2, 4)
    assert files_of(out) == complete


def test_another_model_version_is_not_done(articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    run_batch([str(articles)], str(out), OPTIONS)
    record_path = sorted((out / "_chunks").glob("*.json"))[0]
    record = json.loads(record_path.read_text("utf-8"))
    record["model_version"] = "0.0.1+older"
    record_path.write_text(json.dumps(record), "utf-8")
    summary = run_batch([str(articles)], str(out), OPTIONS)
    assert (summary.analysed, summary.skipped) == (2, 4)  # the older chunk's two again


def test_refuses_a_folder_that_is_not_its_own_and_other_layers(
    articles: Path, tmp_path: Path
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", "utf-8")
    result = run("batch", articles, "--out", tmp_path / "mine", "--layers", LAYERS)
    assert result.exit_code == 1 and "not a spinscope batch output" in result.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text("utf-8") == "keep me"
    out = tmp_path / "run.parquet"
    run_batch([str(articles)], str(out), OPTIONS)
    result = run("batch", articles, "--out", out, "--layers", "quotes")
    assert result.exit_code == 1 and "give another --out" in result.stderr
    result = run("batch", articles, "--out", "mysql://db/corpus", "--layers", LAYERS)
    assert result.exit_code == 1 and "unknown database URL scheme 'mysql'" in result.stderr


# --- SIGKILL --------------------------------------------------------------------------------


def test_sigkill_mid_run_then_rerun_gives_the_uninterrupted_output(
    articles: Path, tmp_path: Path
) -> None:
    """A real run with 2 worker processes, killed with SIGKILL after two commits: its workers
    end too, and the same command then finishes it with the files of an uninterrupted run."""
    command = killable_command(articles)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    whole = tmp_path / "whole.parquet"
    subprocess.run([*command, str(whole)], check=True, env=env, timeout=300)

    killed = tmp_path / "killed.parquet"
    process = subprocess.Popen([*command, str(killed)], env=env)
    try:
        deadline = time.monotonic() + 240
        while len(list((killed / "_chunks").glob("0*.json"))) < 2:  # two chunks committed
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        workers = children(process.pid)  # the pool's processes
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert len(workers) >= 2
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in workers):  # they end with their parent
        assert time.monotonic() < deadline, "the workers outlived the killed run"
        time.sleep(0.1)
    committed = len(list((killed / "_chunks").glob("0*.json")))
    assert 2 <= committed < 6
    subprocess.run([*command, str(killed)], check=True, env=env, timeout=300)
    assert files_of(killed) == files_of(whole)


# --- bad records ------------------------------------------------------------------------------


def test_planted_bad_records_go_to_errors_and_every_good_record_is_analysed(
    articles: Path, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(articles, corpus)
    good = {p.stem for p in articles.iterdir()}
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "huge.txt").write_bytes(b"All work and no play. " * 1_000_000)  # 22 MB
    (corpus / "latin1.txt").write_bytes(LATIN1.encode("latin-1"))
    (corpus / "german.txt").write_text(GERMAN, "utf-8")
    records = corpus / "feed.jsonl"
    first = {"id": "feed-1", "text": (articles / f"{sorted(good)[0]}.txt").read_text("utf-8")}
    second = {"id": "feed-2", "text": (articles / f"{sorted(good)[1]}.txt").read_text("utf-8")}
    records.write_text(
        json.dumps(first)
        + "\n"
        + '{"id": "feed-x", "text": "cut off\n'
        + json.dumps(second)
        + "\n",
        "utf-8",
    )
    out = tmp_path / "run.jsonl"
    result = run("batch", corpus, "--out", out, "--layers", LAYERS, "--chunk-size", "3")
    assert result.exit_code == 1, result.output  # some records failed
    assert counts(result.stderr) == {"read": 14, "analysed": 9, "skipped": 0, "failed": 5}

    errors = [
        json.loads(line)
        for part in committed_parts(out, "errors")
        for line in part.read_text("utf-8").splitlines()
    ]
    by_where = {e["where"]: e for e in errors}
    assert set(by_where) == {
        str(corpus / "binary.txt"),
        str(corpus / "empty.txt"),
        str(corpus / "huge.txt"),
        f"{records}:2",
        str(corpus / "german.txt"),
    }
    assert "binary" in by_where[str(corpus / "binary.txt")]["reason"]
    assert by_where[str(corpus / "empty.txt")]["reason"] == "is empty"
    assert "over the 2,000,000-byte cap" in by_where[str(corpus / "huge.txt")]["reason"]
    assert "not valid JSON" in by_where[f"{records}:2"]["reason"]
    german = by_where[str(corpus / "german.txt")]
    assert german["stage"] == "analyse" and german["article_id"] == "german"
    assert "not English" in german["reason"] and "'de'" in german["reason"]

    analyses = {
        a.article.id: a
        for part in committed_parts(out, "analyses")
        for a in map(Analysis.from_json, part.read_text("utf-8").splitlines())
    }
    assert set(analyses) == good | {"latin1", "feed-1", "feed-2"}
    latin1 = analyses["latin1"]
    assert latin1.article.text == LATIN1  # decoded, not mangled
    assert any("not UTF-8" in w for w in latin1.warnings)
    sources = [c.source.span.text for c in latin1.claims if c.source.span is not None]
    assert any("chamber of commerce" in source for source in sources)

    again = run("batch", corpus, "--out", out, "--layers", LAYERS, "--chunk-size", "3")
    assert again.exit_code == 0, again.output
    assert counts(again.stderr) == {"read": 14, "analysed": 0, "skipped": 14, "failed": 0}


def test_hostile_record_files_end_in_error_lines_and_the_rest_is_analysed(
    articles: Path, tmp_path: Path
) -> None:
    """The inputs of issue 15: a JSONL line nested 200,000 deep, a WARC record whose
    Content-Length runs past the file, a NUL byte in a JSONL line: each is one bad record, and
    every other article of the run is analysed."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = sorted(articles.iterdir())[:2]
    for path in good:
        shutil.copy(path, corpus / path.name)
    (corpus / "d.jsonl").write_text("[" * 200_000 + "]" * 200_000 + "\n")
    (corpus / "g.warc").write_bytes(
        b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999999\r\n\r\nshort"
    )
    text = good[0].read_text("utf-8")
    lines = [
        json.dumps({"id": "n1", "text": text}).encode(),
        b'{"id": "n2", "text": "a\x00b"}',  # a raw NUL byte
        json.dumps({"id": "n3", "text": text + " Again."}).encode(),
    ]
    (corpus / "nul.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "run.parquet"
    result = run("batch", corpus, "--out", out, "--layers", LAYERS)
    assert result.exit_code == 1, result.output
    assert counts(result.stderr) == {"read": 7, "analysed": 4, "skipped": 0, "failed": 3}
    shown = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(shown) == 3
    assert f"error: {corpus / 'd.jsonl'}:1: is nested too deeply" in result.stderr
    errors = {
        json.loads(line)["where"]: json.loads(line)["reason"]
        for part in committed_parts(out, "errors")
        for line in part.read_text("utf-8").splitlines()
    }
    assert "nested too deeply" in errors[f"{corpus / 'd.jsonl'}:1"]
    assert [w for w in errors if w.startswith(f"{corpus / 'g.warc'}@")]
    assert f"{corpus / 'nul.jsonl'}:2" in errors


def test_max_seconds_makes_each_article_past_its_budget_a_bad_record(
    articles: Path, tmp_path: Path
) -> None:
    """`--max-seconds`: an article whose analysis outlasts its budget is a bad record (an
    `error:` line, a row of OUT/errors/), and the run goes on to the next and completes; 0
    means no budget."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    chosen = sorted(articles.iterdir())[:2]
    for path in chosen:
        shutil.copy(path, corpus / path.name)
    out = tmp_path / "run.jsonl"
    result = run("batch", corpus, "--out", out, "--layers", LAYERS, "--max-seconds", "0.000001")
    assert result.exit_code == 1, result.output
    assert counts(result.stderr) == {"read": 2, "analysed": 0, "skipped": 0, "failed": 2}
    stopped = "analysis stopped: it took longer than its budget of 1e-06 s"
    shown = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(shown) == 2 and all(stopped in line for line in shown), shown
    assert f"bad records and why: {out / 'errors'}/" in result.stderr
    assert "Traceback" not in result.output
    errors = [
        json.loads(line)
        for part in committed_parts(out, "errors")
        for line in part.read_text("utf-8").splitlines()
    ]
    assert sorted(e["article_id"] for e in errors) == sorted(p.stem for p in chosen)
    assert all(e["stage"] == "analyse" and stopped in e["reason"] for e in errors)
    assert not [line for part in committed_parts(out, "analyses") for line in part.read_text()]

    unlimited = tmp_path / "unlimited.jsonl"
    result = run("batch", corpus, "--out", unlimited, "--layers", LAYERS, "--max-seconds", "0")
    assert result.exit_code == 0, result.output
    assert counts(result.stderr) == {"read": 2, "analysed": 2, "skipped": 0, "failed": 0}
    analysed = [
        Analysis.from_json(line)
        for part in committed_parts(unlimited, "analyses")
        for line in part.read_text("utf-8").splitlines()
    ]
    assert sorted(a.article.id for a in analysed) == sorted(p.stem for p in chosen)


def test_any_language_analyses_the_german_text_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "german.txt").write_text(GERMAN, "utf-8")
    out = tmp_path / "run.jsonl"
    summary = run_batch(
        [str(tmp_path / "in")], str(out), BatchOptions(layers=("claims",), english_only=False)
    )
    assert (summary.analysed, summary.failed) == (1, 0)
    (analysis,) = map(
        Analysis.from_json, committed_parts(out, "analyses")[0].read_text("utf-8").splitlines()
    )
    assert analysis.article.language == "de" and "not English" in analysis.warnings[0]


# --- the command's options and its progress bar -----------------------------------------------


def test_usage_errors(articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    result = run("batch", articles, "--out", out, "--layers", "quotes,nonsense")
    assert result.exit_code == 2 and "unknown layer 'nonsense'" in result.stderr
    result = run("batch", articles, "--out", out, "--ray-address", "ray://head:10001")
    assert result.exit_code == 2 and "--ray-address goes with --engine ray" in result.stderr
    result = run("batch", articles, "--out", out, "--name-fields", "(?P<colour>x)")
    assert result.exit_code == 2 and "not colour" in result.stderr
    assert not out.exists()


def test_a_missing_extra_is_named() -> None:
    with pytest.raises(ExtraError, match=r"pip install 'spinscope\[batch\]'"):
        require("no_such_module_here", "reading Parquet files", "batch")


def test_progress_bar_shows_counts_rate_and_eta() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    bar = BatchProgress(console)
    bar(Summary(total=10, read=1, analysed=1))
    time.sleep(0.05)
    bar(Summary(total=10, read=4, analysed=2, skipped=1, failed=1))
    console.print(bar.progress.get_renderable())
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "4/10" in shown and "articles/s" in shown and "ETA" in shown
    assert "2 ok, 1 skipped, 1 failed" in shown


def test_a_repeated_article_id_is_a_bad_record(articles: Path, tmp_path: Path) -> None:
    first = sorted(articles.iterdir())[0]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(first, tmp_path / "a" / first.name)
    shutil.copy(first, tmp_path / "b" / first.name)  # same stem, so the same article id
    out = tmp_path / "run.jsonl"
    summary = run_batch([str(tmp_path / "a"), str(tmp_path / "b")], str(out), OPTIONS)
    assert (summary.read, summary.analysed, summary.failed) == (2, 1, 1)
    (error,) = [json.loads(x) for x in committed_parts(out, "errors")[0].read_text().splitlines()]
    assert error["where"] == str(tmp_path / "b" / first.name)
    assert (
        error["reason"] == f"repeats the article id {first.stem!r} of {tmp_path / 'a' / first.name}"
    )
