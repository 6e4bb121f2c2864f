"""Killing the server with SIGKILL in the middle of writes loses no acknowledged analysis and
leaves the database consistent, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from serving import Server
from sqlalchemy import func, select, text

from spinscope.document import Analysis
from spinscope.store import Store
from spinscope.store.models import AnalysisRow, ArticleRow, FindingRow

WRITERS = 6


def _article(writer: int, n: int) -> dict[str, str]:
    return {
        "id": f"w{writer}-{n}",
        "text": f"Report {writer}-{n}\nThe mayor said plan {writer}-{n} would cost 12 dollars. "
        f'"It is ready," she said.\n',
        "outlet": f"Outlet {writer % 3}",
        "published": "2026-03-02",
    }


def test_sigkill_during_writes_loses_no_committed_analysis(db_url: str, tmp_path: Path) -> None:
    server = Server(db_url, "--layers", "quotes,claims", "--no-sample", log=tmp_path / "log")
    acknowledged: dict[str, str] = {}  # id -> the analysis JSON the server answered
    stop = threading.Event()

    def write(writer: int) -> None:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            n = 0
            while not stop.is_set():
                try:
                    response = client.post("/api/v1/analyze", json=_article(writer, n))
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    acknowledged[f"w{writer}-{n}"] = response.text
                n += 1

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()  # SIGKILL, with writes in flight
    stop.set()
    for thread in threads:
        thread.join(30)
    assert len(acknowledged) >= 30, "too few writes before the kill to test anything"

    with Store(db_url) as store:
        for article_id, answered in acknowledged.items():
            stored = store.get(article_id)
            assert stored is not None, f"acknowledged {article_id} was lost"
            assert stored == Analysis.from_json(answered)
        _assert_consistent(store)
        stored_count = store.count()
    assert stored_count >= len(acknowledged)  # at most the writes cut short may add one each
    assert stored_count <= len(acknowledged) + WRITERS

    # The server starts again on the same database and writes go on.
    again = Server(db_url, "--layers", "quotes,claims", "--no-sample", log=tmp_path / "log2")
    try:
        response = httpx.post(f"{again.base}/api/v1/analyze", json=_article(99, 0), timeout=30)
        assert response.status_code == 200
        listing = httpx.get(f"{again.base}/api/v1/articles", params={"limit": 1}).json()
        assert listing["total"] == stored_count + 1
    finally:
        again.stop()


def test_sigkill_during_corrections_loses_no_acknowledged_one(db_url: str, tmp_path: Path) -> None:
    """Reviewers correct the findings of one article while the server is killed: every
    correction it acknowledged is kept, the analysis shows them, and after a restart the
    server reads them and takes more."""
    server = Server(db_url, "--layers", "quotes,claims", "--no-sample", log=tmp_path / "log")
    article = _article(0, 0)
    claims = httpx.post(f"{server.base}/api/v1/analyze", json=article, timeout=60).json()["claims"]
    url = f"/api/v1/articles/{article['id']}/corrections"
    acknowledged: list[dict[str, object]] = []
    stop = threading.Event()

    def correct(writer: int) -> None:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            n = 0
            while not stop.is_set():
                claim = claims[(writer + n) % len(claims)]
                action = "confirm" if n % 2 else "reject"
                body = {
                    "kind": "claim",
                    "action": action,
                    "finding": claim,
                    "note": f"{writer}-{n}",
                }
                try:
                    response = client.post(url, json=body)
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 201:
                    acknowledged.append(response.json())
                n += 1

    threads = [threading.Thread(target=correct, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(30)
    assert len(acknowledged) >= 40, "too few corrections before the kill to test anything"

    with Store(db_url) as store:
        kept = {c.id: c for c in store.corrections()}
        for answered in acknowledged:
            assert answered["id"] in kept, f"acknowledged correction {answered['id']} was lost"
            assert kept[answered["id"]].note == answered["note"]  # type: ignore[index]
        assert len(kept) <= len(acknowledged) + WRITERS
        _assert_consistent(store)
        reviewed = store.get(article["id"])
        assert reviewed is not None
        last = max(kept)  # the newest correction decides its claim's review
        assert any(c.review and c.review.correction == last for c in reviewed.claims)

    again = Server(db_url, "--layers", "quotes,claims", "--no-sample", log=tmp_path / "log2")
    try:
        listed = httpx.get(f"{again.base}{url}", timeout=30).json()
        assert [c["id"] for c in listed] == sorted(kept)
        note = {"kind": "article", "action": "note", "note": "after the restart"}
        assert httpx.post(f"{again.base}{url}", json=note, timeout=30).status_code == 201
    finally:
        again.stop()


def _assert_consistent(store: Store) -> None:
    with store.engine.connect() as connection:
        count = lambda query: connection.scalar(query) or 0  # noqa: E731
        articles = count(select(func.count()).select_from(ArticleRow))
        # Every article has exactly one current analysis; no analysis without its article.
        current = count(select(func.count()).select_from(AnalysisRow).where(AnalysisRow.current))
        assert current == articles
        assert (
            count(select(func.count()).where(~AnalysisRow.article_pk.in_(select(ArticleRow.pk))))
            == 0
        )
        # Every finding belongs to a stored analysis, and each analysis's findings are those of
        # its JSON (all or nothing).
        orphans = select(func.count()).where(~FindingRow.analysis_pk.in_(select(AnalysisRow.pk)))
        assert count(orphans) == 0
        for pk, data in connection.execute(select(AnalysisRow.pk, AnalysisRow.data)):
            quotes = count(
                select(func.count()).where(
                    FindingRow.analysis_pk == pk, FindingRow.layer == "quotes"
                )
            )
            assert quotes == len(Analysis.from_json(data).quotes)
        if store.dialect == "sqlite":
            assert connection.scalar(text("PRAGMA integrity_check")) == "ok"
            assert connection.scalar(text("SELECT count(*) FROM articles_fts")) == articles
            connection.execute(
                text("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
            )
            connection.execute(
                text("INSERT INTO findings_fts(findings_fts) VALUES ('integrity-check')")
            )
            connection.rollback()
        else:
            assert count(text("SELECT count(*) FROM articles WHERE search IS NULL")) == 0
