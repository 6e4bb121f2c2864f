"""The REST API and the web pages, in-process, on SQLite and on a live PostgreSQL."""

from __future__ import annotations

import http.server
import ipaddress
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any, ClassVar

import pytest
from corpus import corpus
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from spinscope.cli import app as cli_app
from spinscope.document import Analysis
from spinscope.ingest import url as url_module
from spinscope.store import Store
from spinscope.web import Settings, Workbench, create_app

LAYERS = ("quotes", "claims")
TEXT = (
    "Mayor backs new bridge\n"
    'Mayor Elena Voss said the bridge would open in May. "We will not wait," she said.\n'
    "The council approved 40 million dollars for the work, according to the city treasurer.\n"
)
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
PAYLOADS = (SCRIPT, IMG)


MakeClient = Callable[..., TestClient]
#: The in-process clients' address: a host name the workbench answers to by default.
BASE = "http://localhost"


@pytest.fixture
def make_client(db_url: str) -> Iterator[MakeClient]:
    """A factory of in-process clients on one fresh database, with settings to choose."""
    opened: list[tuple[Workbench, Store]] = []

    def make(**settings: Any) -> TestClient:
        store = Store(db_url)
        workbench = Workbench(store, Settings(layers=LAYERS, **settings))
        opened.append((workbench, store))
        return TestClient(create_app(workbench), base_url=BASE)

    yield make
    for workbench, store in opened:
        workbench.close()
        store.close()


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


def analyze(client: TestClient, **body: Any) -> Any:
    response = client.post("/api/v1/analyze", json=body)
    assert response.status_code == 200, response.text
    return response


def job_done(client: TestClient, job_href: str) -> Any:
    """The job at `job_href` (`/jobs/ID`, where a form sends the browser), once finished."""
    job_id = job_href.rsplit("/", 1)[1]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def assert_error(response: Any, status: int, fragment: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == status
    assert fragment in body["error"]


def test_analyze_returns_exactly_the_analysis_json(client: TestClient) -> None:
    response = analyze(client, text=TEXT, outlet="City Herald", published="2026-03-02")
    assert response.headers["content-type"] == "application/json"
    analysis = Analysis.from_json(response.content)
    assert response.content.decode() == analysis.to_json(indent=None)
    assert analysis.article.outlet == "City Herald"
    assert analysis.article.title == "Mayor backs new bridge"
    assert analysis.quotes and analysis.claims
    stored = client.get(f"/api/v1/articles/{analysis.article.id}")
    assert stored.status_code == 200 and stored.content == response.content


def test_reanalysing_updates_instead_of_duplicating(client: TestClient) -> None:
    first = analyze(client, text=TEXT).json()
    second = analyze(client, text=TEXT, outlet="Later Outlet").json()
    assert first["article"]["id"] == second["article"]["id"]
    listing = client.get("/api/v1/articles").json()
    assert listing["total"] == 1
    assert listing["articles"][0]["outlet"] == "Later Outlet"
    third = analyze(client, text=TEXT, id="given-id").json()  # same text, another id
    assert third["article"]["id"] == first["article"]["id"]
    assert client.get("/api/v1/articles").json()["total"] == 1
    versions = client.get(f"/api/v1/articles/{first['article']['id']}/analyses").json()
    assert len(versions) == 1 and versions[0] == third
    version = f"/api/v1/articles/{first['article']['id']}/analyses/{third['spinscope_version']}"
    assert_error(client.delete(version.replace("/analyses/", "/analyses/9")), 404, "by version")
    assert client.delete(version).status_code == 204
    assert client.get("/api/v1/articles").json()["total"] == 0


def test_list_search_stats_delete(client: TestClient) -> None:
    analyze(client, text=TEXT, id="bridge", outlet="City Herald", published="2026-03-02")
    other = "Budget row\nCouncillor Dana Whitfield said the budget was a scandal.\n"
    analyze(client, text=other, id="budget", outlet="Daily Wire", published="2026-03-10")
    ids = lambda **q: [a["id"] for a in client.get("/api/v1/articles", params=q).json()["articles"]]  # noqa: E731
    assert ids() == ["budget", "bridge"]
    assert ids(outlet="City Herald") == ["bridge"]
    assert ids(since="2026-03-05") == ["budget"]
    assert ids(speaker="whitfield") == ["budget"]
    assert ids(limit=1, offset=1) == ["bridge"]
    found = client.get("/api/v1/search", params={"q": "what did Voss say about the bridge?"})
    assert found.status_code == 200
    body = found.json()
    assert body["words"] == ["voss", "bridge"]
    assert [a["article"]["id"] for a in body["articles"]] == ["bridge"]
    assert body["quotes"] and all(q["speaker"] == "Elena Voss" for q in body["quotes"])
    stats = client.get("/api/v1/stats", params={"by": "outlet", "of": "technique"}).json()
    assert {row["key"]: row["articles"] for row in stats["rows"]} == {
        "City Herald": 1,
        "Daily Wire": 1,
    }
    weeks = client.get("/api/v1/stats", params={"by": "week"}).json()["rows"]
    assert [row["key"] for row in weeks] == ["2026-03-02", "2026-03-09"]
    assert client.delete("/api/v1/articles/bridge").status_code == 204
    assert_error(client.get("/api/v1/articles/bridge"), 404, "no article 'bridge'")
    assert_error(client.delete("/api/v1/articles/bridge"), 404)
    assert ids() == ["budget"]


def test_job_for_many_articles(client: TestClient) -> None:
    articles = [
        {"id": f"a{i}", "text": f"Story {i}\nThe mayor said the plan number {i} was ready.\n"}
        for i in range(3)
    ]
    response = client.post("/api/v1/jobs", json={"articles": articles})
    assert response.status_code == 202
    job = response.json()
    assert job["total"] == 3
    deadline = time.monotonic() + 60
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
    assert job["status"] == "done" and job["done"] == 3 and job["errors"] == []
    assert sorted(job["articles"]) == ["a0", "a1", "a2"]
    assert client.get("/api/v1/articles").json()["total"] == 3
    assert_error(client.get("/api/v1/jobs/nope"), 404, "no job")


def test_bad_requests_get_clear_4xx(client: TestClient) -> None:
    assert_error(client.post("/api/v1/analyze", json={}), 422, "text or its url")
    assert_error(client.post("/api/v1/analyze", json={"text": "a", "url": "http://x"}), 422)
    assert_error(client.post("/api/v1/analyze", json={"text": "x", "colour": 1}), 422, "colour")
    assert_error(
        client.post(
            "/api/v1/analyze", content=b"{not json", headers={"content-type": "application/json"}
        ),
        422,
    )
    assert_error(client.post("/api/v1/analyze", json={"text": "   "}), 400, "only whitespace")
    assert_error(client.post("/api/v1/analyze", json={"url": "ftp://x/y"}), 400, "http(s)")
    assert_error(client.get("/api/v1/articles", params={"since": "March"}), 422, "since")
    assert_error(client.get("/api/v1/articles", params={"limit": 0}), 422, "limit")
    assert_error(client.get("/api/v1/search"), 422, "q")
    assert_error(client.get("/api/v1/stats", params={"by": "year"}), 422, "by")
    assert_error(client.get("/api/v1/nothing-here"), 404)
    assert_error(client.post("/api/v1/jobs", json={"articles": []}), 422)
    assert client.get("/corpus", params={"since": "soon"}).status_code == 400


def test_size_limits_answer_413(make_client: MakeClient) -> None:
    client = make_client(max_bytes=1000, max_request_bytes=5000, max_job_articles=2)
    assert_error(client.post("/api/v1/analyze", json={"text": "x" * 1001}), 413, "limit")
    assert_error(client.post("/api/v1/analyze", json={"text": "x" * 6000}), 413, "5,000 bytes")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body is counted as it comes
        yield b'{"text": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    response = client.post(
        "/api/v1/analyze", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413)
    upload = client.post(
        "/api/v1/analyze/upload", files={"file": ("big.txt", b"z" * 1001, "text/plain")}
    )
    assert_error(upload, 413, "big.txt")
    job = {"articles": [{"text": f"T{i}\nBody {i}."} for i in range(3)]}
    assert_error(client.post("/api/v1/jobs", json=job), 413, "at most 2")
    page = client.post("/analyze", data={"text": "w" * 1001})
    assert page.status_code == 413 and "limit" in page.text


def test_upload(client: TestClient) -> None:
    records = (
        b'{"id": "r1", "text": "One\\nShe said it was fine."}\n'
        b'{"id": "r2", "text": "Two\\nHe said no."}\n'
    )
    response = client.post(
        "/api/v1/analyze/upload",
        files={"file": ("feed.jsonl", records, "application/json")},
        data={"outlet": "Feed"},
    )
    assert response.status_code == 200, response.text
    analyses = [Analysis.model_validate(a) for a in response.json()["analyses"]]
    assert [(a.article.id, a.article.outlet) for a in analyses] == [("r1", "Feed"), ("r2", "Feed")]
    text = client.post(
        "/api/v1/analyze/upload", files={"file": ("../../etc/story one.txt", TEXT.encode())}
    )
    assert text.json()["analyses"][0]["article"]["id"] == "story-one"
    bad = client.post("/api/v1/analyze/upload", files={"file": ("bad.jsonl", b"{oops\n")})
    assert_error(bad, 400, "bad.jsonl:1")


def test_a_reanalysis_keeps_the_metadata_it_is_not_given(client: TestClient) -> None:
    """Issue 18: uploading an article again with its outlet wiped its date, and analysing its
    text again without an outlet set the stored outlet to null."""
    first = analyze(client, text=TEXT, id="story", outlet="RT", published="2023-12-05").json()
    assert first["article"]["outlet"] == "RT"
    again = analyze(client, text=TEXT).json()  # no id, no metadata: found by its text
    assert again["article"]["id"] == "story"
    assert (again["article"]["outlet"], again["article"]["published"]) == ("RT", "2023-12-05")
    upload = client.post(
        "/api/v1/analyze/upload",
        files={"file": ("story.txt", TEXT.encode())},
        data={"outlet": "RT News"},
    )
    stored = upload.json()["analyses"][0]["article"]
    assert (stored["id"], stored["outlet"], stored["published"]) == (
        "story",
        "RT News",
        "2023-12-05",
    )
    listed = client.get("/api/v1/articles").json()["articles"]
    assert [(a["outlet"], a["published"]) for a in listed] == [("RT News", "2023-12-05")]
    got = client.get("/api/v1/articles/story").json()["article"]
    assert (got["outlet"], got["published"]) == ("RT News", "2023-12-05")


def test_token_guards_writes(make_client: MakeClient) -> None:
    client = make_client(token="s3cret")
    body = {"text": TEXT, "id": "t"}
    assert_error(client.post("/api/v1/analyze", json=body), 401, "API token")
    wrong = {"Authorization": "Bearer nope"}
    assert_error(client.post("/api/v1/analyze", json=body, headers=wrong), 401)
    good = {"Authorization": "Bearer s3cret"}
    assert client.post("/api/v1/analyze", json=body, headers=good).status_code == 200
    assert client.get("/api/v1/articles/t").status_code == 200  # reads stay open
    assert_error(client.delete("/api/v1/articles/t"), 401)
    assert_error(client.post("/api/v1/jobs", json={"articles": [body]}), 401)
    assert client.post("/analyze", data={"text": TEXT}).status_code == 401
    assert client.post("/articles/t/delete").status_code == 401
    form = client.post("/analyze", data={"text": TEXT, "token": "s3cret"}, follow_redirects=False)
    assert form.status_code == 303
    job_done(client, form.headers["location"])
    job_id = form.headers["location"].rsplit("/", 1)[1]
    assert client.post(f"/jobs/{job_id}/cancel").status_code == 401
    assert_error(client.post(f"/api/v1/jobs/{job_id}/cancel"), 401)
    assert client.delete("/api/v1/articles/t", headers=good).status_code == 204


def test_serving_beyond_loopback_needs_a_token() -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--db", "/nonexistent/x"])
    assert result.exit_code == 2
    assert "not a loopback address" in result.output


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/story", "loopback"),
        ("http://localhost:9/story", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/story", "private"),
        ("http://[::1]:9/story", "loopback"),
    ],
)
def test_private_urls_are_refused(client: TestClient, url: str, reason: str) -> None:
    assert_error(client.post("/api/v1/analyze", json={"url": url}), 400, reason)
    page = client.post("/analyze", data={"url": url})
    assert page.status_code == 400 and reason in page.text


class _Pages(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def pages() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_analysis_and_redirects_to_private_targets(
    make_client: MakeClient, pages: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Pages.routes = {
        "/story": (200, {"Content-Type": "text/plain; charset=utf-8"}, TEXT.encode()),
        "/go": (302, {"Location": "http://10.0.0.7/story"}, b""),
    }
    client = make_client()
    assert_error(client.post("/api/v1/analyze", json={"url": f"{pages}/story"}), 400, "loopback")
    allowed = make_client(allow_private=True)
    analysis = analyze(allowed, url=f"{pages}/story", outlet="Local").json()
    assert analysis["article"]["url"] == f"{pages}/story"
    assert analysis["article"]["outlet"] == "Local" and analysis["quotes"]
    # Treat the test server as public: the redirect to a private address is still refused.
    real = url_module.blocked_reason
    local = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(url_module, "blocked_reason", lambda a: None if a == local else real(a))
    assert_error(client.post("/api/v1/analyze", json={"url": f"{pages}/go"}), 400, "redirect 1")


class _Markup(HTMLParser):
    """Every element, its attributes, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def assert_no_injected_markup(html: str, where: str) -> None:
    """No payload became markup: no img element, no on* attribute, no script but the app's
    own (its file, the review controls' with their config, the charts' script and their data,
    the report's JSON data block and its inline script) and none that alerts."""
    parsed = _Markup()
    parsed.feed(html)
    for tag, attrs in parsed.tags:
        assert tag != "img", where
        assert not [name for name in attrs if name.startswith("on")], (where, tag, attrs)
        if tag == "script":
            chart_data = attrs.get("type") == "application/json" and str(
                attrs.get("id")
            ).startswith(("spec-", "embed-options"))
            review = attrs.get("src") == "/static/review.js" and set(attrs) == {
                "src",
                "data-config",
                "defer",
            }
            assert (
                chart_data
                or review
                or attrs
                in (
                    {"src": "/static/app.js", "defer": None},
                    {"src": "/vega.js", "defer": None},
                    {"type": "application/json", "id": "spinscope-analysis"},
                    {},
                )
            ), attrs
    for script in parsed.scripts:
        assert "alert(" not in script or script.lstrip().startswith("{"), where


def _planted(client: TestClient) -> str:
    text = (
        f"Title {SCRIPT} and {IMG}\n"
        f'The minister said "{SCRIPT} is {IMG} fine" on Monday. {SCRIPT}\n'
        f"Officials said the {IMG} number was 12.\n"
    )
    body = {"text": text, "id": f"x{SCRIPT}", "title": f"T {SCRIPT}{IMG}", "outlet": f"O{IMG}"}
    analysis = analyze(client, **body).json()
    assert analysis["quotes"], "the payload should sit inside a quote"
    assert any(SCRIPT in q["content"][0]["text"] for q in analysis["quotes"])
    return str(analysis["article"]["id"])


def test_user_strings_are_escaped_everywhere(client: TestClient) -> None:
    article_id = _planted(client)
    from urllib.parse import quote

    href = "/articles/" + quote(article_id, safe="")
    for path in (
        "/",
        href,
        "/corpus",
        "/corpus?q=minister",
        "/corpus?q=script",
        "/corpus?q=" + quote(SCRIPT),
        f"/corpus?outlet={quote('O' + IMG)}",
        f"/corpus?speaker={quote(SCRIPT)}",
        "/articles/" + quote(SCRIPT, safe=""),  # a 404 page that names the id
        "/review",
        "/review?order=checkworthy",
    ):
        page = client.get(path)
        assert page.status_code in (200, 404), path
        assert page.headers["content-type"].startswith("text/html")
        html = page.text
        for payload in PAYLOADS:
            assert payload not in html, f"{payload} unescaped in {path}"
        assert_no_injected_markup(html, path)
        assert "script-src 'self'" in page.headers["content-security-policy"]
    report = client.get(href).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    for export in ("/corpus.csv", "/corpus.json", "/corpus.csv?q=minister", href + "/findings.csv"):
        response = client.get(export)
        assert response.status_code == 200
        assert not response.headers["content-type"].startswith("text/html")


def test_csv_cells_are_not_formulas(client: TestClient) -> None:
    analyze(client, text='=HYPERLINK("http://evil")\nBody text here.', outlet="+cmd", id="f")
    csv_text = client.get("/corpus.csv").text
    assert "'=HYPERLINK" in csv_text and "'+cmd" in csv_text
    assert "\n=HYPERLINK" not in csv_text and ",+cmd" not in csv_text


def test_hostile_uploads_are_one_clear_error(client: TestClient) -> None:
    """A JSONL line nested 200,000 deep and a WARC record longer than its file used to end in
    500; each is now a 400 that names the upload and the record."""
    nested = client.post(
        "/api/v1/analyze/upload",
        files={"file": ("d.jsonl", ("[" * 200_000 + "]" * 200_000 + "\n").encode())},
    )
    assert_error(nested, 400, "d.jsonl:1: is nested too deeply")
    warc = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999999\r\n\r\nshort"
    broken = client.post("/api/v1/analyze/upload", files={"file": ("g.warc", warc)})
    assert_error(broken, 400, "g.warc@0")


def test_cross_origin_writes_are_refused(client: TestClient) -> None:
    response = client.post(
        "/analyze", data={"text": TEXT}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403
    upload = client.post(  # multipart needs no CORS preflight: Origin is what tells
        "/api/v1/analyze/upload",
        files={"file": ("a.txt", TEXT.encode())},
        headers={"Origin": "http://evil.example"},
    )
    assert_error(upload, 403, "cross-origin")
    assert client.get("/api/v1/articles").json()["total"] == 0
    same = client.post(
        "/analyze",
        data={"text": TEXT},
        headers={"Origin": BASE},
        follow_redirects=False,
    )
    assert same.status_code == 303


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/analyze",
        "/api/v1/analyze/upload",
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/articles",
        "/api/v1/articles/{article_id}",
        "/api/v1/articles/{article_id}/analyses",
        "/api/v1/articles/{article_id}/analyses/{version}",
        "/api/v1/search",
        "/api/v1/stats",
    ):
        assert path in paths, path
    assert "/corpus" not in paths
    assert "Analysis" in spec["components"]["schemas"]
    docs = client.get("/api/v1/docs")  # interactive, served by the app itself: no CDN
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert "/api/v1/docs" not in spec["paths"]


def test_pages(client: TestClient) -> None:
    response = client.post(
        "/analyze", data={"text": TEXT, "outlet": "Herald"}, follow_redirects=False
    )
    assert response.status_code == 303
    job_page = client.get(response.headers["location"]).text
    assert 'id="job"' in job_page and "Analysing 1 article" in job_page
    job = job_done(client, response.headers["location"])
    target = "/articles/" + job["articles"][0]
    page = client.get(target)
    assert page.status_code == 200
    assert 'id="spinscope-analysis"' in page.text and 'data-layer="claims"' in page.text
    assert 'href="/corpus"' in page.text
    for analysis in corpus():  # hand-made analyses with techniques and narratives, to chart
        client.app.state.workbench.store.save(analysis)  # type: ignore[attr-defined]
    page = client.get("/corpus").text
    assert "Mayor backs new bridge" in page
    assert page.count('<div class="chart" id="chart-') == 4  # Vega-Lite specs, drawn in the page
    assert "Loaded Language" in page and "Daily Wire Service" in page
    # The charts follow the search: "Peskov" finds two of the four articles.
    searched = client.get("/corpus", params={"q": "Peskov"}).text
    assert "the search and the filters apply: 2 articles" in searched
    specs = re.findall(r'<script type="application/json" id="spec-[^"]+">(.*?)</script>', searched)
    shown = {
        value["shown"]
        for spec in specs
        for values in json.loads(spec)["datasets"].values()
        for value in values
    }
    assert shown and all(s.endswith("/2)") or s.endswith("/1)") for s in shown), shown
    filtered = client.get("/corpus", params={"technique": "Name_Calling-Labeling"}).text
    assert "Peskov on sanctions" in filtered and "Mayor backs new bridge" not in filtered
    stats_csv = client.get("/corpus/stats.csv", params={"by": "week"}).text
    assert stats_csv.splitlines()[0] == "week,articles,technique,count,rate"
    assert "2026-03-02,2,Loaded_Language,2,1.0" in stats_csv
    search = client.get("/corpus", params={"q": "what did Voss say"}).text
    assert "<mark>Voss</mark>" in search
    assert client.get(target + "/findings.csv").text.startswith("layer,index,start,end")
    assert client.get("/static/app.js").status_code == 200
    assert client.post("/analyze", data={}).status_code == 400
    gone = client.post(target + "/delete", follow_redirects=False)
    assert gone.status_code == 303
    assert client.get(target).status_code == 404


def test_a_quote_found_by_a_search_keeps_its_own_quote_marks(client: TestClient) -> None:
    text = "Bridge vote delayed\n“We will not yield to pressure,” said Mayor Ann Rook on Monday.\n"
    posted = client.post("/analyze", data={"text": text}, follow_redirects=False)
    assert posted.status_code == 303
    assert job_done(client, posted.headers["location"])["status"] == "done"
    page = client.get("/corpus", params={"q": "yield"}).text
    assert "Ann Rook</b>" in page and "<mark>yield</mark>" in page
    assert "““" not in page and "””" not in page


def test_unexpected_errors_keep_the_error_shape(db_url: str) -> None:
    store = Store(db_url)
    workbench = Workbench(store, Settings(layers=LAYERS))
    try:
        client = TestClient(create_app(workbench), base_url=BASE, raise_server_exceptions=False)
        with store.engine.begin() as connection:
            connection.execute(text("DROP TABLE findings"))  # break the database underneath
        response = client.get("/api/v1/articles")
        assert_error(response, 500, "internal error")
        assert "findings" not in response.text  # no internals leak
        page = client.get("/corpus")
        assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    finally:
        workbench.close()
        store.close()


def test_serve_reports_a_bad_database() -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--db", "mysql://x/y", "--no-sample"])
    assert result.exit_code == 1
    assert "unknown database URL scheme 'mysql'" in result.output


@pytest.mark.parametrize("bad", ["a\r\nb", "a\nb", "nul\x00id"])
def test_an_article_id_with_a_control_character_is_refused_at_the_door(
    client: TestClient, bad: str
) -> None:
    """An id with CR, LF or NUL could be stored but never reached again (the routes' URLs
    cannot carry it): the API refuses it, naming the `id` field, and stores nothing."""
    refused = client.post("/api/v1/analyze", json={"text": TEXT, "id": bad})
    assert_error(refused, 422, "id: article id")
    job = client.post("/api/v1/jobs", json={"articles": [{"text": TEXT, "id": bad}]})
    assert_error(job, 422, "articles.0.id: article id")
    assert client.get("/api/v1/articles").json()["total"] == 0


def test_the_upload_form_takes_several_files_and_their_metadata(client: TestClient) -> None:
    """Issue 18, item 5: several files per upload, with a date and an author; a file that
    cannot be read is named, and the others are analysed."""
    files = [
        ("file", ("bridge.txt", TEXT.encode())),
        ("file", ("empty.txt", b"   \n")),
        (
            "file",
            ("harbour.txt", b"Harbour reopens\nThe port director said the harbour would reopen.\n"),
        ),
    ]
    meta = {"outlet": "Herald", "published": "2026-03-05", "author": "Dana Reyes"}
    page = client.post("/analyze", files=files, data=meta)
    assert page.status_code == 400
    assert "Not analysed: empty.txt" in page.text and "The others are being analysed" in page.text
    job = job_done(client, re.search(r'href="(/jobs/[0-9a-f]+)"', page.text).group(1))  # type: ignore[union-attr]
    assert (job["status"], job["total"], job["done"]) == ("done", 2, 2)
    for article_id in ("bridge", "harbour"):
        stored = client.get(f"/api/v1/articles/{article_id}").json()["article"]
        assert (stored["outlet"], stored["published"], stored["author"]) == (
            "Herald",
            "2026-03-05",
            "Dana Reyes",
        )
    both = client.post("/analyze", files=[files[0], files[2]], data=meta, follow_redirects=False)
    assert both.status_code == 303 and both.headers["location"].startswith("/jobs/")
    assert job_done(client, both.headers["location"])["articles"] == ["bridge", "harbour"]
    pasted = client.post(
        "/analyze",
        data={"text": TEXT, "title": "Bridge vote", "link": "https://example.org/bridge", **meta},
        follow_redirects=False,
    )
    assert pasted.status_code == 303
    job_done(client, pasted.headers["location"])
    article = client.get("/api/v1/articles/bridge").json()["article"]
    assert (article["title"], article["url"]) == ("Bridge vote", "https://example.org/bridge")


def test_the_speaker_filter_lists_what_the_speaker_said(client: TestClient) -> None:
    """Issue 18: the speaker filter listed the articles, not the speaker's quotes."""
    analyze(client, text=TEXT, id="bridge")
    page = client.get("/corpus", params={"speaker": "voss"}).text
    section = page[page.index('id="labelled-quotes"') : page.index('id="articles"')]
    assert section.count("<li>") == 2  # her two quotes, each opening its article at it
    assert "Elena Voss" in section and "the bridge would open in May" in section
    assert "We will not wait" in section and "/articles/bridge#at=" in section
    assert "speaker “voss”" in section
    nobody = client.get("/corpus", params={"speaker": "Merkel"}).text
    assert "No quote matches." in nobody
    assert 'id="labelled-quotes"' not in client.get("/corpus").text


def test_a_job_can_be_cancelled(client: TestClient) -> None:
    """Issue 18: a long analysis showed only "Working…", with no progress and no cancel. A
    job's page follows it; cancelling leaves out the articles not analysed yet and stops the
    one being analysed, keeping what was stored."""
    long_text = "Long report\n" + "The mayor said the bridge would open in May. " * 4000
    articles = [{"text": long_text}] + [
        {"text": f"Story {i}\nThe mayor said {i}."} for i in range(4)
    ]
    job = client.post("/api/v1/jobs", json={"articles": articles}).json()
    deadline = time.monotonic() + 60
    while not client.get(f"/api/v1/jobs/{job['id']}").json()["running"]:
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    page = client.get(f"/jobs/{job['id']}").text
    assert "<progress" in page and 'id="cancel-form"' in page and "Now: " in page
    cancelled = client.post(f"/api/v1/jobs/{job['id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled"] == 4
    ended = job_done(client, f"/jobs/{job['id']}")
    while ended["running"]:  # the long article stops at its next window or layer
        assert time.monotonic() < deadline + 60, "the cancelled analysis never stopped"
        time.sleep(0.1)
        ended = client.get(f"/api/v1/jobs/{job['id']}").json()
    assert (ended["status"], ended["done"], ended["cancelled"]) == ("cancelled", 1, 4)
    assert ended["articles"] == [] and "cancelled" in ended["errors"][0]["error"]
    assert 'id="cancel-form"' not in client.get(f"/jobs/{job['id']}").text
    # a finished job stays as it ended; an unknown one is 404
    done = client.post("/api/v1/jobs", json={"articles": [{"text": TEXT}]}).json()
    finished = job_done(client, f"/jobs/{done['id']}")
    assert client.post(f"/api/v1/jobs/{done['id']}/cancel").json()["status"] == finished["status"]
    assert_error(client.post("/api/v1/jobs/nope/cancel"), 404)
