"""Reviewers' corrections (issue 18): kept in the store apart from the analyses, shown in each
finding's `review`, kept across re-analysis, counted in the rates, and made over the API by
named reviewers; on SQLite and on a live PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

import importlib.resources
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import spinscope
from spinscope.document import Analysis, Article, Technique
from spinscope.errors import SpinscopeError
from spinscope.review import Correction, CorrectionError
from spinscope.store import Filters, Store
from spinscope.web import Settings, Workbench, create_app
from spinscope.web.reviewers import read_reviewers

LAYERS = ("quotes", "claims", "techniques", "entities", "genre")
TEXT = importlib.resources.files("spinscope.data").joinpath("sample.txt").read_text("utf-8")
#: Words of the sample no layer flags, which a reviewer marks as loaded language.
MISSED = "sat on it"


@pytest.fixture(scope="module")
def model() -> Analysis:
    """The sample as the shipped models analyse it."""
    return spinscope.analyze(Article(id="sample", text=TEXT), layers=LAYERS)


@pytest.fixture
def store(db_url: str, model: Analysis) -> Iterator[Store]:
    with Store(db_url) as opened:
        opened.save(model, LAYERS)
        yield opened


def finding(item: Any) -> dict[str, Any]:
    """A finding as the Analysis JSON gives it."""
    data: dict[str, Any] = item.model_dump(mode="json")
    return data


def plain(item: Any) -> dict[str, Any]:
    """A finding as a correction keeps it: without its review."""
    return {k: v for k, v in finding(item).items() if k != "review"}


def loaded(start: int) -> dict[str, Any]:
    """A technique a reviewer adds: the words `MISSED`, as loaded language."""
    return {
        "technique": "Loaded_Language",
        "group": "Manipulative wording",
        "start": start,
        "end": start + len(MISSED),
        "text": MISSED,
    }


def test_corrections_show_in_the_analysis_and_survive_a_reanalysis(
    store: Store, model: Analysis
) -> None:
    quote, voss = model.quotes[0], model.quotes[1]
    technique = model.techniques[0]
    added = loaded(TEXT.index(MISSED))
    store.correct(
        "sample", Correction(kind="quote", action="confirm", finding=finding(quote)), "ana"
    )
    store.correct(
        "sample",
        Correction(kind="technique", action="reject", finding=finding(technique), note="a quote"),
        "ana",
    )
    store.correct(
        "sample",
        Correction(
            kind="quote",
            action="edit",
            finding=finding(voss),
            replacement={"speaker_entity": "Mayor Elena Voss"},
        ),
        "bob",
    )
    store.correct("sample", Correction(kind="technique", action="add", replacement=added), "bob")
    store.correct("sample", Correction(kind="article", action="note", note="checked"), "bob")

    for reviewed in (store.get("sample"), store.save(model, LAYERS), store.get("sample")):
        assert reviewed is not None
        assert reviewed.quotes[0].review is not None
        assert (reviewed.quotes[0].review.status, reviewed.quotes[0].review.reviewer) == (
            "confirmed",
            "ana",
        )
        assert reviewed.quotes[0].review.model_agrees
        edited = reviewed.quotes[1]
        assert edited.speaker_entity == "Mayor Elena Voss" and edited.source == "review/bob"
        assert edited.review is not None and edited.review.status == "edited"
        assert not edited.review.model_agrees  # the model still names "Elena Voss"
        rejected = reviewed.techniques[0]
        assert rejected.review is not None and rejected.review.status == "rejected"
        assert rejected.review.note == "a quote" and not rejected.review.model_agrees
        mine = reviewed.techniques[-1]
        assert (mine.text, mine.score, mine.uncertain) == (MISSED, None, False)
        assert mine.review is not None and mine.review.status == "added"
        # the other findings are as the model made them, and nothing else moved
        assert reviewed.quotes[2:] == model.quotes[2:]
        assert len(reviewed.techniques) == len(model.techniques) + 1
        assert Analysis.from_json(reviewed.to_json()) == reviewed

    kept = store.corrections(article_id="sample")
    assert [(c.kind, c.action, c.reviewer) for c in kept] == [
        ("quote", "confirm", "ana"),
        ("technique", "reject", "ana"),
        ("quote", "edit", "bob"),
        ("technique", "add", "bob"),
        ("article", "note", "bob"),
    ]
    assert (
        kept[1].model == technique.source and kept[1].spinscope_version == model.spinscope_version
    )
    assert kept[2].finding == plain(voss)
    assert kept[2].after is not None and kept[2].after["speaker_entity"] == "Mayor Elena Voss"
    assert [c.action for c in store.corrections(reviewer="ana")] == ["confirm", "reject"]
    assert [c.action for c in store.corrections(kind="technique")] == ["reject", "add"]


def test_a_newer_model_shows_where_it_now_agrees_and_disagrees(
    store: Store, model: Analysis
) -> None:
    """A reviewer rejects one technique and adds another; a newer model drops the first and
    finds the second: both reviews say the model agrees now, and the rejected finding, which
    the newer model no longer makes, is not shown at all."""
    technique = model.techniques[0]
    added = loaded(TEXT.index(MISSED))
    store.correct(
        "sample", Correction(kind="technique", action="reject", finding=finding(technique)), "ana"
    )
    store.correct("sample", Correction(kind="technique", action="add", replacement=added), "ana")
    found_by_newer = Technique(**added, score=0.8, source="techniques/newer@3")
    newer = model.model_copy(update={"spinscope_version": "99.0"}).with_findings(
        {"techniques": [found_by_newer, *model.techniques[1:]]}
    )
    reviewed = store.save(newer, LAYERS)
    assert reviewed.spinscope_version == "99.0"
    assert technique not in [t.model_copy(update={"review": None}) for t in reviewed.techniques]
    mine = [t for t in reviewed.techniques if t.review is not None]
    assert len(mine) == 1 and mine[0].review is not None
    assert mine[0].review.status == "added" and mine[0].review.model_agrees
    assert mine[0].source == "review/ana"  # the reviewer's version is the one shown
    # the older version's analysis is still there, reviewed the same way
    older = store.get("sample", model.spinscope_version)
    assert older is not None and older.techniques[0].review is not None
    assert older.techniques[0].review.status == "rejected"


def test_rates_and_filters_count_what_reviewers_accept_and_not_what_they_reject(
    store: Store, model: Analysis
) -> None:
    technique = model.techniques[0]
    assert technique.uncertain  # a suggestion: not counted until a reviewer accepts it
    label = technique.technique
    counts = lambda: store.stats(of="technique")[0].counts  # noqa: E731
    assert label not in counts()
    store.correct(
        "sample", Correction(kind="technique", action="confirm", finding=finding(technique)), "ana"
    )
    assert counts()[label] == 1
    assert store.count(Filters(labels={"technique": label})) == 1
    reviewed = store.get("sample")
    assert reviewed is not None
    store.correct(
        "sample",
        Correction(kind="technique", action="reject", finding=finding(reviewed.techniques[0])),
        "bob",
    )
    assert label not in store.stats(of="technique", filters=Filters(uncertain=True))[0].counts
    assert store.articles()[0].counts["techniques"] == len(model.techniques) - 1


def cast_as_guardian(store: Store, entity: Any) -> None:
    """A reviewer casts `entity` as a Protagonist, Guardian."""
    replacement = {"role": {"main": "Protagonist", "fine": ["Guardian"]}}
    store.correct(
        "sample",
        Correction(kind="entity", action="edit", finding=finding(entity), replacement=replacement),
        "ana",
    )


def test_an_entity_role_can_be_given_and_rejected(store: Store, model: Analysis) -> None:
    entity = next(e for e in model.entities if e.name == "Dana Whitfield")
    cast_as_guardian(store, entity)
    reviewed = store.get("sample")
    assert reviewed is not None
    cast = next(e for e in reviewed.entities if e.name == "Dana Whitfield")
    assert cast.role is not None and cast.role.main == "Protagonist"
    assert cast.mentions == entity.mentions  # an edit changes only what it gives
    assert cast.review is not None and not cast.review.model_agrees
    store.correct(
        "sample", Correction(kind="entity", action="reject", finding=finding(cast)), "bob"
    )
    again = store.get("sample")
    assert again is not None
    rejected = next(e for e in again.entities if e.name == "Dana Whitfield")
    assert rejected.role == cast.role and rejected.review is not None
    assert (rejected.review.status, rejected.review.reviewer) == ("rejected", "bob")
    assert rejected.review.model_agrees  # the model casts her in no role either
    assert len(again.entities) == len(model.entities)


def test_a_note_on_a_finding_is_kept_and_decides_nothing(store: Store, model: Analysis) -> None:
    quote = model.quotes[0]
    kept = store.correct(
        "sample",
        Correction(kind="quote", action="note", finding=finding(quote), note="call the city"),
        "ana",
    )
    assert kept is not None and (kept.action, kept.note, kept.finding) == (
        "note",
        "call the city",
        plain(quote),
    )
    reviewed = store.get("sample")
    assert reviewed is not None and reviewed.quotes == model.quotes  # no review: a remark
    with pytest.raises(CorrectionError) as caught:
        store.correct(
            "sample", Correction(kind="quote", action="note", finding=finding(quote)), "ana"
        )
    assert caught.value.field == "note"


def test_the_review_queue_puts_the_least_sure_first_and_drops_what_is_decided(
    store: Store, model: Analysis
) -> None:
    queue = store.queue("uncertain", limit=500)
    scores = [abs(item.score - 0.5) for item in queue if item.score is not None]
    assert len(scores) == len(queue) > 10 and scores == sorted(scores)
    first = queue[0]
    assert {item.kind for item in queue} >= {"quote", "claim"}
    decided = model.findings(first.field)[first.index]
    assert first.label is not None and first.text
    store.correct(
        "sample", Correction(kind=first.kind, action="confirm", finding=finding(decided)), "ana"
    )
    assert (first.field, first.index) not in [(i.field, i.index) for i in store.queue(limit=500)]

    claims = store.queue("checkworthy")
    assert {item.kind for item in claims} == {"claim"}
    assert [i.score for i in claims] == sorted((i.score for i in claims), reverse=True)

    assert store.queue("disagreements") == []
    voss = model.quotes[1]
    store.correct(
        "sample",
        Correction(
            kind="quote",
            action="edit",
            finding=finding(voss),
            replacement={"speaker_entity": "E. Voss"},
        ),
        "bob",
    )
    [disagreement] = store.queue("disagreements")
    assert (disagreement.kind, disagreement.index, disagreement.review) == ("quote", 1, "edited")


@pytest.mark.parametrize(
    ("correction", "field", "fragment"),
    [
        ({"kind": "techniqe", "action": "reject", "finding": {}}, "kind", "the kinds are"),
        (
            {
                "kind": "technique",
                "action": "add",
                "replacement": {**loaded(0), "technique": "Lies"},
            },
            "replacement.technique",
            "unknown persuasion technique",
        ),
        (
            {"kind": "technique", "action": "add", "replacement": loaded(0)},
            "replacement",
            "does not match the article text",
        ),
        (
            {"kind": "genre", "action": "confirm", "finding": {"genre": "satire", "source": "x"}},
            "finding",
            "has no such genre",
        ),
        ({"kind": "genre", "action": "edit", "finding": None}, "finding", "name the genre"),
        ({"kind": "article", "action": "reject"}, "action", "a note"),
    ],
)
def test_a_correction_that_cannot_be_made_names_its_field(
    store: Store, model: Analysis, correction: dict[str, Any], field: str, fragment: str
) -> None:
    assert model.genre is not None and model.genre.genre != "satire"
    with pytest.raises(CorrectionError) as caught:
        store.correct("sample", Correction(**correction), "ana")
    assert caught.value.field == field
    assert fragment in str(caught.value)
    assert store.corrections() == []


def test_twenty_reviewers_correcting_at_once_lose_nothing(store: Store, model: Analysis) -> None:
    """Each of 20 reviewers confirms or rejects findings of the same article, at once, on their
    own connections: every correction is kept, and the analysis shows the last one of each."""
    claims = model.claims
    assert len(claims) >= 10
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def review(n: int) -> None:
        try:
            start.wait()
            for i in (n % 10, (n + 3) % 10):
                action = "confirm" if n % 2 else "reject"
                store.correct(
                    "sample",
                    Correction(
                        kind="claim", action=action, finding=finding(claims[i]), note=f"r{n}"
                    ),
                    f"reviewer{n}",
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=review, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    kept = store.corrections()
    assert len(kept) == 40 and len({c.id for c in kept}) == 40
    assert {c.reviewer for c in kept} == {f"reviewer{n}" for n in range(20)}
    reviewed = store.get("sample")
    assert reviewed is not None
    last = {}
    for correction in kept:
        last[next(i for i, c in enumerate(claims) if plain(c) == correction.finding)] = correction
    for i, correction in last.items():
        review = reviewed.claims[i].review
        assert review is not None and review.correction == correction.id


def test_corrections_survive_reopening_the_store(
    db_url: str, store: Store, model: Analysis
) -> None:
    store.correct(
        "sample",
        Correction(kind="quote", action="confirm", finding=finding(model.quotes[0])),
        "ana",
    )
    with Store(db_url) as again:
        reviewed = again.get("sample")
        assert reviewed is not None and reviewed.quotes[0].review is not None
        assert [c.reviewer for c in again.corrections()] == ["ana"]


def test_the_store_keeps_the_model_s_analysis_not_a_reviewed_one(store: Store) -> None:
    reviewed = store.get("sample")
    assert reviewed is not None
    quote = reviewed.quotes[0]
    store.correct(
        "sample", Correction(kind="quote", action="confirm", finding=finding(quote)), "ana"
    )
    again = store.get("sample")
    assert again is not None
    with pytest.raises(SpinscopeError, match=r"quotes\[0\] carries a review"):
        store.save(again)


def test_metadata_can_be_changed_and_is_kept_by_a_reanalysis(store: Store, model: Analysis) -> None:
    changed = store.update(
        "sample", outlet="Brackenridge Herald", published="2026-03-05", title="Boil water"
    )
    assert changed is not None
    assert (changed.article.outlet, changed.article.published, changed.article.title) == (
        "Brackenridge Herald",
        "2026-03-05",
        "Boil water",
    )
    assert store.outlets() == ["Brackenridge Herald"]
    again = store.save(model, LAYERS)  # the model's article has no outlet or date
    assert (again.article.outlet, again.article.published) == ("Brackenridge Herald", "2026-03-05")
    assert store.update("sample", outlet=None) is not None
    assert store.outlets() == []
    with pytest.raises(SpinscopeError, match="cannot change text"):
        store.update("sample", text="new")
    assert store.update("nothing", outlet="x") is None


# -- the API, with named reviewers --------------------------------------------------------------

ANA = "ana-token-0123456789"
BOB = "bob-token-0123456789"


@pytest.fixture
def reviewers_file(tmp_path: Path) -> Path:
    path = tmp_path / "reviewers"
    path.write_text(f"# the desk\nana {ANA}\n\nbob {BOB}\n", "utf-8")
    return path


@pytest.fixture
def client(db_url: str, model: Analysis, reviewers_file: Path) -> Iterator[TestClient]:
    with Store(db_url) as store:
        store.save(model, LAYERS)
        settings = Settings(layers=LAYERS, reviewers=read_reviewers(reviewers_file))
        workbench = Workbench(store, settings)
        try:
            yield TestClient(create_app(workbench), base_url="http://localhost")
        finally:
            workbench.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_reviewers_correct_over_the_api_and_visitors_only_read(
    client: TestClient, model: Analysis
) -> None:
    url = "/api/v1/articles/sample/corrections"
    body = {"kind": "technique", "action": "reject", "finding": finding(model.techniques[0])}
    refused = client.post(url, json=body)
    assert refused.status_code == 401 and "token" in refused.json()["error"]
    assert client.post(url, json=body, headers=bearer("not-a-reviewer-token")).status_code == 401
    made = client.post(url, json=body, headers=bearer(ANA))
    assert made.status_code == 201, made.text
    assert (made.json()["reviewer"], made.json()["action"]) == ("ana", "reject")
    note = {"kind": "article", "action": "note", "note": "the mayor's quote checked by phone"}
    assert client.post(url, json=note, headers=bearer(BOB)).json()["reviewer"] == "bob"

    # anyone reads: the analysis as reviewed, and the corrections
    analysis = client.get("/api/v1/articles/sample").json()
    assert analysis["schema_version"] == "1.4"
    assert analysis["techniques"][0]["review"]["status"] == "rejected"
    assert analysis["techniques"][0]["review"]["reviewer"] == "ana"
    assert [c["reviewer"] for c in client.get(url).json()] == ["ana", "bob"]
    assert [
        c["kind"] for c in client.get("/api/v1/corrections", params={"reviewer": "bob"}).json()
    ] == ["article"]
    assert client.get("/api/v1/corrections", params={"kind": "quote"}).json() == []
    future = client.get("/api/v1/corrections", params={"since": "2999-01-01T00:00:00Z"})
    assert future.json() == []


def test_a_bad_correction_is_a_422_that_names_the_field(client: TestClient) -> None:
    url = "/api/v1/articles/sample/corrections"
    cases = [
        (
            {
                "kind": "technique",
                "action": "add",
                "replacement": {**loaded(0), "technique": "Lies"},
            },
            "replacement.technique: unknown persuasion technique",
        ),
        ({"kind": "technique", "action": "add", "replacement": loaded(0)}, "replacement: span 0:9"),
        (
            {"kind": "frame", "action": "add", "replacement": {"frame": "Vibes"}},
            "replacement.frame: unknown frame",
        ),
        ({"kind": "technique", "action": "maybe"}, "action"),
        ({"kind": "nonsense", "action": "confirm", "finding": {}}, "kind: no kind 'nonsense'"),
    ]
    for body, fragment in cases:
        response = client.post(url, json=body, headers=bearer(ANA))
        assert response.status_code == 422, response.text
        assert fragment in response.json()["error"], (body, response.json())
    missing = client.post(
        "/api/v1/articles/none/corrections",
        json={"kind": "article", "action": "note", "note": "x"},
        headers=bearer(ANA),
    )
    assert missing.status_code == 404
    assert client.get("/api/v1/corrections", params={"kind": "nonsense"}).status_code == 422
    assert client.get(url).json() == []
    queue = client.get("/api/v1/review", params={"order": "checkworthy", "limit": 3}).json()
    assert len(queue) == 3 and {item["kind"] for item in queue} == {"claim"}
    assert client.get("/api/v1/review", params={"order": "loudest"}).status_code == 422


def test_metadata_is_changed_over_the_api(client: TestClient) -> None:
    response = client.patch(
        "/api/v1/articles/sample",
        json={"outlet": "Herald", "published": "2026-03-05"},
        headers=bearer(BOB),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["article"]["outlet"], response.json()["article"]["published"]) == (
        "Herald",
        "2026-03-05",
    )
    assert client.patch("/api/v1/articles/sample", json={"outlet": "x"}).status_code == 401
    bad = client.patch("/api/v1/articles/sample", json={"text": "x"}, headers=bearer(BOB))
    assert bad.status_code == 422 and "text" in bad.json()["error"]
    assert (
        client.patch("/api/v1/articles/none", json={"outlet": "x"}, headers=bearer(BOB)).status_code
        == 404
    )
    listed = client.get("/api/v1/articles", params={"outlet": "Herald"}).json()
    assert listed["total"] == 1


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("ana short\n", "at least 16"),
        (f"ana {ANA}\nbob {ANA}\n", "has the token of ana"),
        (f"ana {ANA}\nana {BOB}\n", "named twice"),
        (f"ana {ANA} extra\n", "nothing else"),
        ("# nobody\n", "names no reviewer"),
    ],
)
def test_a_bad_reviewers_file_says_where(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "reviewers"
    path.write_text(content, "utf-8")
    with pytest.raises(SpinscopeError, match=fragment):
        read_reviewers(path)


# -- corrections as training data -------------------------------------------------------------


def test_export_corrections_in_the_benchmarks_formats_and_score_the_model_against_them(
    db_url: str, store: Store, model: Analysis, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from spinscope.cli import app
    from spinscope.evaluate.brat import read_ann
    from spinscope.evaluate.entities import read_framing_dir
    from spinscope.evaluate.semeval import read_techniques_dir

    start = TEXT.index(MISSED)
    store.correct(
        "sample", Correction(kind="technique", action="add", replacement=loaded(start)), "ana"
    )
    store.correct(
        "sample",
        Correction(kind="technique", action="reject", finding=finding(model.techniques[0])),
        "ana",
    )
    store.correct(
        "sample",
        Correction(kind="quote", action="confirm", finding=finding(model.quotes[1])),
        "ana",
    )
    whitfield = next(e for e in model.entities if e.name == "Dana Whitfield")
    cast_as_guardian(store, whitfield)
    runner = CliRunner()
    for format in ("semeval2023", "semeval2025", "brat"):
        result = runner.invoke(
            app,
            ["export", "corrections", str(tmp_path / format), "--format", format, "--db", db_url],
        )
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Wrote 1 reviewed article (")
    # techniques: the span the reviewer added, not the one rejected nor the unreviewed ones
    techniques = read_techniques_dir(tmp_path / "semeval2023")
    assert techniques.texts == {"1": TEXT}
    assert [(s.technique, TEXT[s.start : s.end]) for s in techniques.require_spans()["1"]] == [
        ("Loaded_Language", MISSED)
    ]
    assert (tmp_path / "semeval2023" / "ids.tsv").read_text() == "article1\tsample\n"
    # roles: the entity's first mention with the reviewer's role
    [role] = read_framing_dir(tmp_path / "semeval2025").mentions
    assert (role.mention, role.main, role.fine) == ("Dana Whitfield", "Protagonist", ("Guardian",))
    # quotes: the confirmed one, in PolNeAR's brat layout
    [attribution] = read_ann(tmp_path / "brat" / "attributions" / "article1_review.ann", TEXT)
    assert [s.text for s in attribution.content] == [s.text for s in model.quotes[1].content]

    # the current model scored against the reviewers
    scored = runner.invoke(
        app, ["eval", "techniques", "--data", str(tmp_path / "semeval2023"), "--json"]
    )
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.output)
    # the reviewers' one span, which the model misses; its own span is the one they rejected
    assert (figures["articles"], figures["gold"], figures["predicted"]) == (
        1,
        1,
        len(model.techniques),
    )
    assert figures["f1"] == 0.0

    # a reviewer-less format is refused, naming the formats
    refused = runner.invoke(
        app, ["export", "corrections", str(tmp_path / "x"), "--format", "csv", "--db", db_url]
    )
    assert refused.exit_code == 2 and "semeval2023, semeval2025, brat" in refused.output


def test_the_api_exports_corrections_as_a_zip(client: TestClient, model: Analysis) -> None:
    import io
    import zipfile

    body = {"kind": "technique", "action": "add", "replacement": loaded(TEXT.index(MISSED))}
    assert (
        client.post(
            "/api/v1/articles/sample/corrections", json=body, headers=bearer(ANA)
        ).status_code
        == 201
    )
    response = client.get("/api/v1/export/corrections", params={"format": "semeval2023"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    spans = archive.read("corrections-semeval2023/spans/article1-labels-subtask-3.txt").decode()
    start = TEXT.index(MISSED)
    assert spans == f"1\tLoaded_Language\t{start}\t{start + len(MISSED)}\n"
    assert archive.read("corrections-semeval2023/articles/article1.txt").decode() == TEXT
    assert client.get("/api/v1/export/corrections", params={"format": "csv"}).status_code == 422


def test_twenty_reviewers_correcting_over_http_at_once_lose_nothing(
    db_url: str, tmp_path: Path
) -> None:
    """The same, through a real server: 20 named reviewers, each on their own connection,
    correct the claims of one article at once; every correction the server acknowledged is
    kept under its reviewer's name."""
    import httpx
    from serving import Server

    tokens = {f"reviewer{n}": f"token-{n:02d}-0123456789abcdef" for n in range(20)}
    (tmp_path / "reviewers").write_text(
        "".join(f"{name} {token}\n" for name, token in tokens.items()), "utf-8"
    )
    server = Server(
        db_url,
        "--layers",
        "quotes,claims",
        "--no-sample",
        "--reviewers",
        str(tmp_path / "reviewers"),
        log=tmp_path / "log",
    )
    try:
        auth = {"Authorization": f"Bearer {tokens['reviewer0']}"}
        posted = httpx.post(
            f"{server.base}/api/v1/analyze",
            json={"text": TEXT, "id": "sample"},
            headers=auth,
            timeout=120,
        )
        claims = posted.json()["claims"]
        url = f"{server.base}/api/v1/articles/sample/corrections"
        acknowledged: list[dict[str, Any]] = []
        refused: list[str] = []
        start = threading.Barrier(20)

        def review(name: str, token: str, n: int) -> None:
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
                start.wait()
                for k in range(3):
                    claim = claims[(n + k) % len(claims)]
                    body = {
                        "kind": "claim",
                        "action": ("confirm", "reject")[k % 2],
                        "finding": claim,
                    }
                    response = client.post(url, json={**body, "note": f"{name}-{k}"})
                    if response.status_code == 201:
                        acknowledged.append(response.json())
                    else:
                        refused.append(f"{response.status_code} {response.text}")

        threads = [
            threading.Thread(target=review, args=(name, token, n))
            for n, (name, token) in enumerate(tokens.items())
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
        assert refused == [] and len(acknowledged) == 60
        kept = httpx.get(f"{server.base}/api/v1/corrections", timeout=30).json()
        assert sorted(c["id"] for c in kept) == sorted(c["id"] for c in acknowledged)
        assert all(c["note"].startswith(c["reviewer"] + "-") for c in kept)
        assert {c["reviewer"] for c in kept} == set(tokens)
        reviewed = httpx.get(f"{server.base}/api/v1/articles/sample", timeout=30).json()
        last: dict[int, int] = {}
        for correction in sorted(kept, key=lambda c: c["id"]):
            index = next(
                i
                for i, c in enumerate(claims)
                if {**c, "review": None} == {**correction["finding"], "review": None}
            )
            last[index] = correction["id"]
        for index, correction_id in last.items():
            assert reviewed["claims"][index]["review"]["correction"] == correction_id
    finally:
        server.stop()
