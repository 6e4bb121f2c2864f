"""The store, run against SQLite and against a live PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.migration import MigrationContext
from corpus import URW_BLAME, corpus, made
from sqlalchemy import func, select, text

from spinscope.errors import StoreError
from spinscope.store import Filters, Store, database_url, search_words, snippet
from spinscope.store.models import AnalysisRow, ArticleRow, FindingRow


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        yield opened


@pytest.fixture
def filled(store: Store) -> Store:
    for analysis in corpus():
        store.save(analysis)
    return store


def _rows(store: Store, table: type) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table)) or 0


def test_save_and_get_round_trip(store: Store) -> None:
    analysis = corpus()[0]
    assert store.save(analysis) == analysis
    assert store.get("one") == analysis
    assert store.get("missing") is None


def test_resaving_the_same_id_updates(store: Store) -> None:
    first = corpus()[0]
    store.save(first)
    changed = made("one", first.article.text + " More.", title="Updated title")
    store.save(changed)
    assert store.count() == 1
    assert _rows(store, ArticleRow) == 1
    assert _rows(store, AnalysisRow) == 1
    stored = store.get("one")
    assert stored is not None and stored.article.title == "Updated title"
    # The findings are those of the new analysis only.
    assert _rows(store, FindingRow) == 0


def test_resaving_the_same_text_under_another_id_updates(store: Store) -> None:
    first = corpus()[1]
    store.save(first)
    again = made("another-id", first.article.text, title="Same text")
    stored = store.save(again)
    assert stored.article.id == "two"
    assert store.count() == 1
    got = store.get("two")
    assert got is not None and got.article.title == "Same text"
    assert store.get("another-id") is None


def test_a_newer_version_is_kept_beside_the_older(store: Store) -> None:
    old = made("v", "An article. It said so.", version="0.1.0", techniques=[])
    new = made(
        "v", "An article. It said so.", version="0.2.0", techniques=[("Doubt", "It said so")]
    )
    store.save(new)
    store.save(old)  # saved later, but older: it does not become current
    assert [a.spinscope_version for a in store.versions("v")] == ["0.2.0", "0.1.0"]
    current = store.get("v")
    assert current is not None and current.spinscope_version == "0.2.0"
    assert store.get("v", version="0.1.0") == old
    assert store.count() == 1
    # Filters and stats read the current analysis only.
    assert [s.id for s in store.articles(Filters(labels={"technique": "Doubt"}))] == ["v"]
    assert store.articles()[0].counts["techniques"] == 1


def test_delete_one_version(store: Store) -> None:
    store.save(made("v", "Text. More.", version="0.1.0"))
    store.save(made("v", "Text. More.", version="0.2.0", techniques=[("Doubt", "More")]))
    assert store.delete_version("v", "0.9.9") is False
    assert store.delete_version("nope", "0.1.0") is False
    assert store.delete_version("v", "0.2.0") is True
    current = store.get("v")
    assert current is not None and current.spinscope_version == "0.1.0"
    assert store.articles()[0].counts["techniques"] == 0 and _rows(store, FindingRow) == 0
    assert store.delete_version("v", "0.1.0") is True
    assert store.get("v") is None and store.count() == 0 and _rows(store, ArticleRow) == 0


def test_list_and_filters(filled: Store) -> None:
    def ids(**kw: object) -> list[str]:
        labels = {k: kw.pop(k) for k in ("technique", "narrative", "speaker") if k in kw}
        return [s.id for s in filled.articles(Filters(**kw, labels=labels))]  # type: ignore[arg-type]

    assert ids() == ["three", "two", "one"]  # newest first
    assert ids(outlet="Daily Wire Service") == ["three", "one"]
    assert ids(since=date(2026, 3, 3)) == ["three", "two"]
    assert ids(until=date(2026, 3, 4)) == ["two", "one"]
    assert ids(technique="Loaded_Language") == ["two", "one"]
    assert ids(narrative=URW_BLAME) == ["one"]
    assert ids(speaker="peskov") == ["three", "one"]
    assert ids(speaker="peskov", technique="Loaded_Language") == ["one"]
    assert ids(outlet="nobody") == []
    assert filled.count(Filters(outlet="Daily Wire Service")) == 2
    summary = filled.articles(Filters(labels={"narrative": URW_BLAME}))[0]
    assert (
        summary.counts["quotes"],
        summary.counts["techniques"],
        summary.counts["narratives"],
    ) == (1, 1, 1)
    assert [s.id for s in filled.articles(limit=1, offset=1)] == ["two"]
    assert summary.updated_at.utcoffset() == timedelta(0)
    assert filled.outlets() == ["City Herald", "Daily Wire Service"]


def test_speaker_filter_is_not_a_pattern(filled: Store) -> None:
    assert filled.articles(Filters(labels={"speaker": "%"})) == []
    assert filled.articles(Filters(labels={"speaker": "_"})) == []


def test_search_articles_and_quotes(filled: Store) -> None:
    found = filled.search("what did Peskov say about NATO?")
    assert found.words == ("peskov", "nato")
    assert [hit.article.id for hit in found.articles] == ["one"]
    assert [(q.article_id, q.shown["speaker"], q.text) for q in found.findings["quotes"]] == [
        ("one", "Dmitry Peskov", "NATO enlargement was a threat")
    ]
    sanctions = filled.search("sanctions")
    assert [hit.article.id for hit in sanctions.articles] == ["three"]
    assert [q.text for q in sanctions.findings["quotes"]] == ["sanctions would fail"]
    hit = sanctions.articles[0].snippet
    assert ("sanctions", True) in hit.pieces
    # Stemming: "sanction" finds "sanctions" on both databases.
    assert [h.article.id for h in filled.search("sanction").articles] == ["three"]
    # Filters apply to search too.
    assert (
        filled.search("Peskov", Filters(since=date(2026, 3, 10))).findings["quotes"][0].article_id
        == "three"
    )
    assert filled.search("nothing-like-this").articles == []
    assert filled.search("  ?! ").articles == []


def test_search_syntax_is_not_interpreted(filled: Store) -> None:
    for query in [
        '"',
        "NATO OR",
        "a AND (b",
        "*",
        "NEAR(",
        "title:x",
        "!",
        "a & | b",
        "'",
        "_",
        "__init__",
        "x:*",
        "日本語",
        "1,200",
    ]:
        filled.search(query)  # no error from FTS5 or to_tsquery syntax


def test_delete(filled: Store) -> None:
    assert filled.delete("one") is True
    assert filled.delete("one") is False
    assert filled.get("one") is None
    assert [s.id for s in filled.articles()] == ["three", "two"]
    assert filled.search("NATO").articles == []
    assert filled.search("NATO").findings["quotes"] == []
    with filled.engine.connect() as connection:
        orphans = connection.scalar(
            select(func.count())
            .select_from(FindingRow)
            .where(FindingRow.article_pk.not_in(select(ArticleRow.pk)))
        )
    assert orphans == 0


def test_stats_by_outlet_and_week(filled: Store) -> None:
    by_outlet = {row.key: row for row in filled.stats("outlet", "technique")}
    assert by_outlet["Daily Wire Service"].articles == 2
    assert by_outlet["Daily Wire Service"].counts == {
        "Loaded_Language": 1,
        "Name_Calling-Labeling": 1,
    }
    assert by_outlet["Daily Wire Service"].rate("Loaded_Language") == 0.5
    assert by_outlet["City Herald"].rate("Loaded_Language") == 1.0
    weeks = filled.stats("week", "technique")
    assert [(row.key, row.articles) for row in weeks] == [("2026-03-02", 2), ("2026-03-09", 1)]
    assert weeks[0].counts == {"Loaded_Language": 2}
    narratives = {row.key: row.counts for row in filled.stats("outlet", "narrative")}
    assert narratives == {"Daily Wire Service": {URW_BLAME: 1}, "City Herald": {}}
    only = filled.stats("outlet", "technique", Filters(outlet="City Herald"))
    assert [row.key for row in only] == ["City Herald"]


def test_reopening_keeps_everything(db_url: str) -> None:
    with Store(db_url) as store:
        store.save(corpus()[0])
    with Store(db_url) as store:  # migrations are already at head: nothing changes
        assert store.get("one") == corpus()[0]


def test_full_text_index_follows_updates(store: Store) -> None:
    store.save(made("x", "Apples are red.", title="Fruit"))
    store.save(made("x", "Pears are green.", title="Fruit"))
    assert store.search("apples").articles == []
    assert [h.article.id for h in store.search("pears").articles] == ["x"]


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    with Store(tmp_path / "w.db") as store, store.engine.connect() as connection:
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"


def test_database_urls(tmp_path: Path) -> None:
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url(f"sqlite:///{tmp_path}/a.db") == f"sqlite:///{tmp_path}/a.db"
    assert database_url(str(tmp_path / "b.db")) == f"sqlite:///{tmp_path}/b.db"
    with pytest.raises(StoreError, match="unknown database URL scheme"):
        database_url("mysql://x/y")
    with pytest.raises(StoreError, match="file"):
        database_url("sqlite://")


def test_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open database"):
        Store("postgresql://nobody@127.0.0.1:1/none")


def test_search_words_and_snippets() -> None:
    assert search_words("What did Peskov say about NATO?") == ("peskov", "nato")
    assert search_words("what did") == ("what", "did")
    assert search_words("") == ()
    cut = snippet("x" * 300 + " NATO grows " + "y" * 300, ("nato",), width=100)
    assert cut.pieces[0] == ("…", False) and ("NATO", True) in cut.pieces
    assert cut.text.endswith("…")


def test_concurrent_saves_of_one_new_article_make_one(store: Store) -> None:
    import threading

    versions = [f"0.{k}.0" for k in range(1, 9)]
    barrier = threading.Barrier(len(versions))
    failures: list[BaseException] = []

    def save(version: str) -> None:
        barrier.wait()
        try:
            store.save(made("race", "One article, saved at once.", version=version))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=save, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _rows(store, ArticleRow) == 1
    assert [a.spinscope_version for a in store.versions("race")] == versions[::-1]
    with store.engine.connect() as connection:
        current = connection.execute(
            select(AnalysisRow.spinscope_version).where(AnalysisRow.current)
        ).all()
    assert current == [("0.8.0",)]


def test_migrations_match_the_models(store: Store) -> None:
    """The schema the migrations make is the one the models declare (but for the full-text
    search tables and columns, which only the migrations know)."""
    from alembic.autogenerate import compare_metadata

    from spinscope.store.models import Base

    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    differences = [d for d in diff if "_fts" not in repr(d) and "search" not in repr(d)]
    assert differences == []


def _migrate_to(db_url: str, revision: str) -> list[str]:
    """Upgrade or downgrade the database to the Alembic `revision`; the tables it then has."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect

    from spinscope.store.engine import _MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    engine = create_engine(database_url(db_url))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            current = MigrationContext.configure(connection).get_current_revision()
            if current is not None and current > revision:
                command.downgrade(config, revision)
            else:
                command.upgrade(config, revision)
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_store_made_before_the_batch_tables_is_upgraded_on_open(db_url: str) -> None:
    """A database at migration 0001 gets 0002's batch tables when opened; 0002's downgrade
    drops them and keeps the articles, and the next open adds them again."""
    assert "batch_chunks" not in _migrate_to(db_url, "0001")
    with Store(db_url) as store:
        store.save(corpus()[0])
    assert "batch_chunks" not in _migrate_to(db_url, "0001")
    with Store(db_url) as store:
        assert store.get("one") == corpus()[0]
        with store.engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM batch_chunks")) == 0
            assert connection.scalar(text("SELECT count(*) FROM batch_errors")) == 0


def test_findings_move_between_the_per_layer_tables_and_one_findings_table(db_url: str) -> None:
    """Migration 0004 moves the findings of stored analyses from the per-layer tables (quotes,
    techniques, …) into `findings`, and its downgrade moves them back: search, filters,
    statistics and counts read the same either side of the round trip."""
    with Store(db_url) as store:
        for analysis in corpus():
            store.save(analysis)

        def seen() -> tuple[Any, ...]:
            found = store.search("what did Peskov say about NATO?")
            return (
                [(q.article_id, q.shown, q.text, q.start, q.end) for q in found.findings["quotes"]],
                [(r.key, r.articles, r.counts) for r in store.stats("outlet", "technique")],
                [(r.key, r.counts) for r in store.stats("week", "narrative")],
                [(s.id, s.counts) for s in store.articles()],
                [s.id for s in store.articles(Filters(labels={"speaker": "peskov"}))],
            )

        before = seen()
    tables = _migrate_to(db_url, "0003")
    assert "findings" not in tables and {"quotes", "techniques", "narratives"} <= set(tables)
    with Store(db_url) as store:  # opening it upgrades again
        assert seen() == before
        assert before[0] and before[1] and before[3]
