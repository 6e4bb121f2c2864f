"""The web app's CSV downloads, in-process on SQLite: their file names and their cells."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from spinscope.store import Store
from spinscope.web import Settings, Workbench, create_app

TEXT = (
    "Mayor backs new bridge\n"
    'Mayor Elena Voss said the bridge would open in May. "We will not wait," she said.\n'
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = Store(str(tmp_path / "spinscope.db"))
    workbench = Workbench(store, Settings(layers=("quotes", "claims")))
    try:
        yield TestClient(create_app(workbench), base_url="http://localhost")
    finally:
        workbench.close()
        store.close()


def test_findings_csv_of_an_article_id_beyond_latin1(client: TestClient) -> None:
    """The id names the file: sent as UTF-8 in `filename*` (RFC 6266/5987), and as an ASCII
    stand-in in `filename` (a header must be Latin-1: `ł` and `中` are not)."""
    article_id = 'Łódź 中文/"x"'
    analysed = client.post("/api/v1/analyze", json={"text": TEXT, "id": article_id})
    assert analysed.status_code == 200, analysed.text
    href = "/articles/" + "%C5%81%C3%B3d%C5%BA%20%E4%B8%AD%E6%96%87%2F%22x%22"
    response = client.get(href + "/findings.csv")
    assert response.status_code == 200, response.text
    assert response.text.startswith("layer,")
    disposition = response.headers["content-disposition"]
    assert disposition.isascii()
    assert disposition == (
        'attachment; filename="--d------x--findings.csv"; '
        "filename*=UTF-8''%C5%81%C3%B3d%C5%BA%20%E4%B8%AD%E6%96%87--x--findings.csv"
    )
    encoded = disposition.partition("filename*=UTF-8''")[2]
    assert unquote(encoded) == "Łódź 中文--x--findings.csv"  # path separator, quotes: "-"


def test_findings_csv_of_an_ascii_id_keeps_its_name(client: TestClient) -> None:
    analysed = client.post("/api/v1/analyze", json={"text": TEXT, "id": "story-1.v2"})
    assert analysed.status_code == 200, analysed.text
    response = client.get("/articles/story-1.v2/findings.csv")
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"story-1.v2-findings.csv\"; filename*=UTF-8''story-1.v2-findings.csv"
    )


def test_an_upload_keeps_the_notes_on_how_it_was_read(client: TestClient) -> None:
    """An upload that is not UTF-8 is decoded, and its analysis says how, as `analyze` and
    `batch` say it (the pipeline keeps ingest notes, whoever calls it)."""
    latin1 = ("Café owners said the société would fail. " * 3 + "\n").encode("cp1252")
    response = client.post(
        "/api/v1/analyze/upload",
        files={"file": ("cafe.txt", latin1, "text/plain")},
        data={"outlet": "Herald"},
    )
    assert response.status_code == 200, response.text
    (analysis,) = response.json()["analyses"]
    assert analysis["warnings"][0] == "decoded as cp1252 (detected), not UTF-8"
    assert analysis["article"]["outlet"] == "Herald"
    assert "société" in analysis["article"]["text"]


def test_a_job_keeps_the_notes_on_how_its_articles_were_read(client: TestClient) -> None:
    """The notes travel with a job's articles through the store (migration 0005), so an article
    analysed in the background says how it was read, as one analysed at once does."""
    import time

    from spinscope.document import Article
    from spinscope.ingest.base import Loaded

    workbench = client.app.state.workbench  # type: ignore[attr-defined]
    note = "decoded as cp1252 (detected), not UTF-8"
    article = Article(id="cafe", text="Café owners said the société would fail.\n")
    job = workbench.submit([Loaded(article, (note,)), Article(id="plain", text=TEXT)])
    deadline = time.monotonic() + 60
    while (found := workbench.job(job.id)).status in ("queued", "running"):
        assert time.monotonic() < deadline, found
        time.sleep(0.1)
    assert found.status == "done", found
    cafe, plain = workbench.store.get("cafe"), workbench.store.get("plain")
    assert cafe is not None and cafe.warnings[0] == note
    assert plain is not None and note not in plain.warnings
