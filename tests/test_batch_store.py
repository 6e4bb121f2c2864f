"""`spinscope batch --out sqlite:///…` and `--out postgresql://…`: the batch run writes into the
workbench's store, on a real SQLite file and a real PostgreSQL (the `db_url` fixture), with the
guarantees of the folder outputs: whole chunks only after a SIGKILL, a rerun writes nothing
twice, bad records recorded, the counts add up."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from corpus import corpus
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from test_batch import GERMAN, LAYERS, OPTIONS, counts, killable_command, run

from spinscope.batch import run_batch
from spinscope.batch.chunks import Chunk, Done, model_version
from spinscope.batch.store_output import StoreOutput
from spinscope.errors import StoreError
from spinscope.store import Store, database_url
from spinscope.store.models import (
    AnalysisRow,
    ArticleRow,
    BatchChunkRow,
    BatchErrorRow,
    FindingRow,
)


def url_of(db: str) -> str:
    """`--out` for a database of the `db_url` fixture: a file path becomes `sqlite:///PATH`."""
    return db if "://" in db else f"sqlite:///{db}"


def another_db(db: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second fresh database of the same kind as `db`."""
    if "://" in db:
        return str(request.getfixturevalue("postgres").create_database())
    return str(tmp_path / "another.db")


def snapshot(db: str) -> dict[str, Any]:
    """What a batch run leaves in a store, but for the times and the primary keys (a PostgreSQL
    sequence moves on in a transaction that rolls back): each article's analysis JSON, the rows
    of every table, the commit records in order and the bad records."""
    engine = create_engine(database_url(db))
    try:
        with engine.connect() as connection:
            analyses = dict(
                connection.execute(
                    select(ArticleRow.id, AnalysisRow.data).join(
                        AnalysisRow, AnalysisRow.article_pk == ArticleRow.pk
                    )
                ).all()
            )
            rows = {
                table.__tablename__: connection.scalar(select(func.count()).select_from(table))
                for table in (ArticleRow, AnalysisRow, FindingRow, BatchChunkRow)
            }
            chunks = [
                (json.loads(articles), version)
                for articles, version in connection.execute(
                    select(BatchChunkRow.articles, BatchChunkRow.model_version).order_by(
                        BatchChunkRow.pk
                    )
                )
            ]
            errors = sorted(
                tuple(r)
                for r in connection.execute(
                    select(
                        BatchErrorRow.where,
                        BatchErrorRow.article_id,
                        BatchErrorRow.stage,
                        BatchErrorRow.reason,
                        BatchErrorRow.model_version,
                    )
                )
            )
    finally:
        engine.dispose()
    return {"analyses": analyses, "rows": rows, "chunks": chunks, "errors": errors}


def chunks_committed(db: str) -> int:
    """The chunks committed so far (0 before the run has made the database and its tables)."""
    if "://" not in db and not Path(db).exists():
        return 0
    engine = create_engine(database_url(db))
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(BatchChunkRow)) or 0
    except DBAPIError:  # no tables yet
        return 0
    finally:
        engine.dispose()


def test_batch_into_the_store_then_search_and_a_rerun_does_no_work(
    articles: Path, db_url: str
) -> None:
    out = url_of(db_url)
    first = run("batch", articles, "--out", out, "--layers", LAYERS, "--chunk-size", "4")
    assert first.exit_code == 0, first.output
    assert counts(first.stderr) == {"read": 6, "analysed": 6, "skipped": 0, "failed": 0}
    stems = sorted(p.stem for p in articles.iterdir())
    with Store(db_url) as store:
        assert store.count() == 6
        assert sorted(s.id for s in store.articles(limit=100)) == stems
        assert sum(s.counts["quotes"] for s in store.articles(limit=100)) > 0
        analysis = store.get(stems[0])
        assert analysis is not None
        assert analysis.article.text == (articles / f"{stems[0]}.txt").read_text("utf-8")
        title_word = max((w for w in analysis.article.title.split() if w.isalpha()), key=len)
        hits = store.search(title_word).articles
        assert stems[0] in [hit.article.id for hit in hits]
        quoted = next(a for a in map(store.get, stems) if a is not None and a.quotes)
        quote_words = quoted.quotes[0].content[0].text.split()
        word = next(w for w in quote_words if w.isalpha() and w.istitle() and len(w) > 4)
        assert quoted.article.id in [q.article_id for q in store.search(word).findings["quotes"]]
    stored = snapshot(db_url)
    assert [ids for ids, _ in stored["chunks"]] == [stems[:4], stems[4:]]
    assert {version for _, version in stored["chunks"]} == {model_version(("quotes", "claims"))}

    engine = create_engine(database_url(db_url))
    with engine.connect() as connection:
        updated = connection.execute(select(AnalysisRow.pk, AnalysisRow.updated_at)).all()
    second = run("batch", articles, "--out", out, "--layers", LAYERS, "--chunk-size", "4")
    assert second.exit_code == 0, second.output
    assert counts(second.stderr) == {"read": 6, "analysed": 0, "skipped": 6, "failed": 0}
    assert snapshot(db_url) == stored
    with engine.connect() as connection:  # nothing rewritten
        assert connection.execute(select(AnalysisRow.pk, AnalysisRow.updated_at)).all() == updated
    engine.dispose()


def test_another_model_version_is_done_again(articles: Path, db_url: str) -> None:
    out = url_of(db_url)
    run_batch([str(articles)], out, OPTIONS)
    engine = create_engine(database_url(db_url))
    with engine.begin() as connection:
        first = connection.scalar(select(func.min(BatchChunkRow.pk)))
        connection.execute(
            update(BatchChunkRow)
            .where(BatchChunkRow.pk == first)
            .values(model_version="0.0.1+older")
        )
    engine.dispose()
    summary = run_batch([str(articles)], out, OPTIONS)
    assert (summary.analysed, summary.skipped) == (2, 4)  # the older chunk's two again
    with Store(db_url) as store:
        assert store.count() == 6  # updated, not added


def test_a_chunk_commits_whole_or_not_at_all(db_url: str) -> None:
    """A chunk whose transaction fails at its last row (a bad record that breaks a constraint)
    leaves none of its analyses, commit record or errors behind."""
    analyses = corpus()[:2]
    output = StoreOutput(url_of(db_url), ("quotes", "claims"))
    try:
        broken = Chunk(
            [(a, "x") for a in analyses],
            [{"where": "x", "article_id": None, "stage": "read", "reason": None}],
        )
        with pytest.raises(StoreError, match="nothing of it was kept") as raised:
            output.commit(broken)
        assert isinstance(raised.value.__cause__, IntegrityError)
        assert output.done() == Done(frozenset(), frozenset())
        assert set(snapshot(db_url)["rows"].values()) == {0}
        output.commit(Chunk([(a, "x") for a in analyses]))
        assert output.done().ids == {a.article.id for a in analyses}
        assert output.store.count() == 2
    finally:
        output.close()


def test_sigkill_mid_run_then_rerun_gives_the_rows_of_an_uninterrupted_run(
    articles: Path, db_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A real run with 2 worker processes into the store, killed with SIGKILL after two
    commits; the same command then finishes it with the rows of an uninterrupted run."""
    command = killable_command(articles)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    whole = another_db(db_url, request, tmp_path)
    subprocess.run([*command, url_of(whole)], check=True, env=env, timeout=300)

    process = subprocess.Popen([*command, url_of(db_url)], env=env)
    try:
        deadline = time.monotonic() + 240
        while chunks_committed(db_url) < 2:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    killed = snapshot(db_url)
    committed = len(killed["chunks"])
    assert 2 <= committed < 6
    # Only whole chunks: every article stored is one a commit record lists, with its findings.
    assert sorted(killed["analyses"]) == sorted(i for ids, _ in killed["chunks"] for i in ids)
    subprocess.run([*command, url_of(db_url)], check=True, env=env, timeout=300)
    assert snapshot(db_url) == snapshot(whole)


def test_bad_records_go_to_the_batch_errors_table(
    articles: Path, db_url: str, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(articles, corpus)
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "german.txt").write_text(GERMAN, "utf-8")
    feed = corpus / "feed.jsonl"
    text = (articles / sorted(p.name for p in articles.iterdir())[0]).read_text("utf-8")
    feed.write_text(
        json.dumps({"id": "feed-1", "text": text + " Also."}) + '\n{"id": "cut off\n', "utf-8"
    )
    out = url_of(db_url)
    result = run("batch", corpus, "--out", out, "--layers", LAYERS, "--chunk-size", "3")
    assert result.exit_code == 1, result.output
    assert counts(result.stderr) == {"read": 11, "analysed": 7, "skipped": 0, "failed": 4}
    assert "bad records and why: the batch_errors table of" in result.stderr
    errors = {e[0]: e for e in snapshot(db_url)["errors"]}
    version = model_version(("quotes", "claims"))
    assert set(errors) == {
        str(corpus / "binary.txt"),
        str(corpus / "empty.txt"),
        str(corpus / "german.txt"),
        f"{feed}:2",
    }
    assert errors[str(corpus / "empty.txt")] == (
        str(corpus / "empty.txt"),
        None,
        "read",
        "is empty",
        version,
    )
    assert "not valid JSON" in errors[f"{feed}:2"][3]
    german = errors[str(corpus / "german.txt")]
    assert german[1:3] == ("german", "analyse") and "not English" in german[3]
    with Store(db_url) as store:
        assert store.count() == 7 and store.get("german") is None

    again = run("batch", corpus, "--out", out, "--layers", LAYERS, "--chunk-size", "3")
    assert again.exit_code == 0, again.output
    assert counts(again.stderr) == {"read": 11, "analysed": 0, "skipped": 11, "failed": 0}
    assert len(snapshot(db_url)["errors"]) == 4


def test_a_field_too_long_for_the_store_is_a_bad_record(
    articles: Path, db_url: str, tmp_path: Path
) -> None:
    """An article id over 200 characters or an outlet over 300 would stop the run at its chunk
    on PostgreSQL (and again at every rerun): it is a bad record instead, on both databases."""
    text = sorted(articles.iterdir())[0].read_text("utf-8")
    feed = tmp_path / "feed.jsonl"
    records = [
        {"id": "x" * 250, "text": text},
        {"id": "long-outlet", "text": text + " Two.", "outlet": "o" * 400},
        {"id": "fine", "text": text + " Three.", "outlet": "Herald"},
    ]
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    out = url_of(db_url)
    result = run("batch", feed, "--out", out, "--layers", "claims")
    assert result.exit_code == 1, result.output
    assert counts(result.stderr) == {"read": 3, "analysed": 1, "skipped": 0, "failed": 2}
    errors = {e[1]: e for e in snapshot(db_url)["errors"]}
    assert set(errors) == {"x" * 250, "long-outlet"}
    assert errors["x" * 250][2:4] == (
        "store",
        "its id is 250 characters long, over the store's 200",
    )
    assert "its outlet is 400 characters long" in errors["long-outlet"][3]
    with Store(db_url) as store:
        assert [s.id for s in store.articles()] == ["fine"]
    again = run("batch", feed, "--out", out, "--layers", "claims")
    assert counts(again.stderr) == {"read": 3, "analysed": 0, "skipped": 3, "failed": 0}
