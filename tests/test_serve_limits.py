"""`spinscope serve` under hostile and heavy use, on a real server (SQLite and PostgreSQL): a
long analysis holds no other hostage and stops when its client leaves; a flood of analyses is
refused with `Retry-After` while reads go on; jobs wait in the store and survive a kill; host
names it does not serve and clients that never finish their headers are turned away. The
limits that need no server (the job queue's bound, error bodies, the body timeout) are tested
in-process."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from serving import Server

from spinscope.cli.serve import HEADER_TIMEOUT_S
from spinscope.output.html import report_script
from spinscope.store import Store
from spinscope.web import Settings, Workbench, create_app, sample_corpus
from spinscope.web.app import BodyLimit
from spinscope.web.responses import html_page
from spinscope.web.workbench import RETRY_AFTER_S

LAYERS = "quotes,claims"
SHORT = "Mayor backs bridge\nThe mayor said the bridge would open in May, officials said.\n"


def long_text(kilobytes: int) -> str:
    """The sample corpus over and over: about `kilobytes` of news, many windows long."""
    corpus = "\n".join(a.text for a in sample_corpus())
    return "Long report\n" + "\n".join([corpus] * (kilobytes * 1000 // len(corpus) + 1))


def load(server: Server) -> dict[str, Any]:
    status: dict[str, Any] = httpx.get(server.base + "/api/v1/status", timeout=10).json()
    return dict(status["load"])


def idle(server: Server) -> bool:
    """Whether no analysis runs or waits (each has ended, its article stored or not)."""
    now = load(server)
    return now["running"] == 0 and now["waiting"] == 0


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.2)


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(db_url, "--layers", LAYERS, "--no-sample", log=tmp_path / "serve.log")
    yield running
    running.stop()


def test_a_long_analysis_holds_none_hostage_and_stops_when_its_client_leaves(
    server: Server,
) -> None:
    long = long_text(400)  # parsing it alone takes far longer than the client waits
    left: list[BaseException] = []

    def impatient() -> None:
        try:
            httpx.post(
                server.base + "/api/v1/analyze", json={"id": "long", "text": long}, timeout=4
            )
        except httpx.TimeoutException as exc:  # the client gives up and closes the connection
            left.append(exc)

    thread = threading.Thread(target=impatient)
    thread.start()
    wait_for(lambda: load(server)["running"] == 1, 30, "the long analysis running")
    started = time.monotonic()
    small = httpx.post(server.base + "/api/v1/analyze", json={"text": SHORT}, timeout=60)
    assert small.status_code == 200, small.text
    assert load(server)["running"] == 1  # answered beside the long one, not after it
    thread.join()
    assert left, "the long analysis answered before its client left"
    # cancelled at its next window: within seconds, where finishing would take far longer
    wait_for(lambda: load(server)["running"] == 0, 30, "the abandoned analysis stopped")
    assert time.monotonic() - started < 60
    assert httpx.get(server.base + "/api/v1/articles/long", timeout=10).status_code == 404


def send_analysis(server: Server, body: dict[str, Any]) -> socket.socket:
    """`POST /api/v1/analyze` on a socket of its own, the answer not read: closing the socket
    is the client leaving."""
    data = json.dumps(body).encode()
    head = (
        f"POST /api/v1/analyze HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(head.encode() + data)
    return sock


def test_a_client_that_leaves_while_its_analysis_waits_cancels_it_before_it_runs(
    db_url: str, tmp_path: Path
) -> None:
    """One analysis thread, busy with a long article; a short analysis waits behind it. Its
    client leaves: its waiting place is given back at once, while the long one still runs,
    and once the thread is free the short one never runs and is never stored."""
    server = Server(
        db_url,
        *("--layers", LAYERS, "--no-sample", "--analysis-threads", "1"),
        log=tmp_path / "serve.log",
    )
    try:
        long = send_analysis(server, {"id": "long", "text": long_text(400)})
        wait_for(lambda: load(server)["running"] == 1, 30, "the long analysis running")
        queued = send_analysis(server, {"id": "queued", "text": SHORT})
        wait_for(lambda: load(server)["waiting"] == 1, 30, "the short analysis waiting")
        queued.close()  # its client leaves before the analysis starts
        wait_for(lambda: load(server)["waiting"] == 0, 10, "the waiting analysis cancelled")
        assert load(server)["running"] == 1  # given back at once, not when the thread was free
        long.close()
        wait_for(lambda: idle(server), 30, "the long analysis stopped, nothing waiting")
        for article in ("queued", "long"):
            gone = httpx.get(f"{server.base}/api/v1/articles/{article}", timeout=10)
            assert gone.status_code == 404, article
        assert httpx.get(server.base + "/api/v1/articles", timeout=10).json()["total"] == 0
        # the thread is free again: an analysis whose client stays is answered and stored
        kept = httpx.post(
            server.base + "/api/v1/analyze", json={"id": "kept", "text": SHORT}, timeout=60
        )
        assert kept.status_code == 200, kept.text
        listed = httpx.get(server.base + "/api/v1/articles", timeout=10).json()
        assert [a["id"] for a in listed["articles"]] == ["kept"]
    finally:
        server.stop()


def test_a_flood_of_analyses_is_refused_with_retry_after_while_reads_are_answered(
    server: Server,
) -> None:
    """Two analysis threads and eight waiting places: of 60 analyses sent at once, the rest
    are refused at once with 503 and `Retry-After`, and while the accepted ones run, every
    read (search, an article, the list, the load) is answered, each within seconds. (The
    issue's p99 < 1 s is measured by benchmarks/bench_serve.py; this bound is generous, for a
    busy machine.)"""
    stored = httpx.post(
        server.base + "/api/v1/analyze", json={"id": "before", "text": SHORT}, timeout=60
    )
    assert stored.status_code == 200, stored.text
    statuses: list[httpx.Response] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        text = f"Report {n}\n" + SHORT * 40
        response = httpx.post(server.base + "/api/v1/analyze", json={"text": text}, timeout=120)
        with lock:
            statuses.append(response)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(60)]
    for thread in writers:
        thread.start()
    wait_for(lambda: load(server)["waiting"] > 0, 30, "analyses waiting")
    reads = [
        ("/api/v1/search", {"q": "mayor"}),
        ("/api/v1/articles/before", {}),
        ("/api/v1/articles", {"limit": 10}),
        ("/api/v1/status", {}),
    ]
    took: list[tuple[str, float]] = []
    for _ in range(3):
        for path, params in reads:
            started = time.monotonic()
            answer = httpx.get(server.base + path, params=params, timeout=30)
            took.append((path, time.monotonic() - started))
            assert answer.status_code == 200, (path, answer.text)
            if path == "/api/v1/search":
                found = [hit["article"]["id"] for hit in answer.json()["articles"]]
                assert "before" in found
            elif path == "/api/v1/articles/before":
                assert answer.json()["article"]["id"] == "before"
    during = load(server)
    # the reads were answered during the flood: analyses still taken (an analysis thread can be
    # between two of them, running none for a moment, as CI once caught: running 0, waiting 10)
    assert during["running"] + during["waiting"] > 0, during
    assert max(seconds for _, seconds in took) < 5, took
    for thread in writers:
        thread.join()
    codes = sorted(r.status_code for r in statuses)
    assert set(codes) == {200, 503}, codes
    assert codes.count(200) >= 10  # every thread and waiting place was used
    assert codes.count(503) >= 30  # the excess was refused, not queued without bound
    for refused in (r for r in statuses if r.status_code == 503):
        assert refused.headers["retry-after"] == str(RETRY_AFTER_S)
        body = refused.json()
        assert body["ok"] is False and "analysis threads are busy" in body["error"]


def test_jobs_wait_in_the_store_and_survive_a_kill(db_url: str, tmp_path: Path) -> None:
    server = Server(db_url, "--layers", LAYERS, "--no-sample", log=tmp_path / "serve.log")
    try:
        articles = [{"id": f"j{n}", "text": f"Story {n}\n" + SHORT * 20} for n in range(24)]
        created = httpx.post(server.base + "/api/v1/jobs", json={"articles": articles}, timeout=60)
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        job_url = f"{server.base}/api/v1/jobs/{job_id}"
        wait_for(lambda: httpx.get(job_url).json()["done"] >= 2, 60, "the job under way")
        server.kill()  # SIGKILL: no shutdown, an article half analysed
    finally:
        server.kill()
    again = Server(db_url, "--layers", LAYERS, "--no-sample", log=tmp_path / "serve2.log")
    try:
        job_url = f"{again.base}/api/v1/jobs/{job_id}"
        before = httpx.get(job_url).json()
        assert before["total"] == 24 and before["status"] in ("running", "done")
        wait_for(lambda: httpx.get(job_url).json()["status"] == "done", 120, "the job resumed")
        job = httpx.get(job_url).json()
        assert job["done"] == 24 and job["errors"] == []
        assert sorted(job["articles"]) == sorted(a["id"] for a in articles)
        listed = httpx.get(again.base + "/api/v1/articles", params={"limit": 100}).json()
        assert listed["total"] == 24
    finally:
        again.stop()


def test_host_names_the_server_does_not_serve_are_refused(server: Server) -> None:
    """DNS rebinding: a page on evil.example that resolves to 127.0.0.1 sends its own Host and
    a matching Origin; the server answers only to the names it serves."""
    port = server.port
    evil = httpx.post(
        server.base + "/api/v1/analyze",
        json={"text": "x\ny"},
        headers={"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"},
        timeout=30,
    )
    assert evil.status_code == 400
    assert "does not answer to the host name 'evil.example'" in evil.json()["error"]
    read = httpx.get(server.base + "/corpus", headers={"Host": "evil.example"}, timeout=30)
    assert read.status_code == 400
    for name in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert httpx.get(server.base + "/", headers={"Host": name}, timeout=30).status_code == 200


def test_a_server_told_its_name_answers_to_it(db_url: str, tmp_path: Path) -> None:
    server = Server(
        db_url, "--no-sample", "--allowed-host", "news.example", log=tmp_path / "serve.log"
    )
    try:
        named = httpx.get(server.base + "/", headers={"Host": "news.example"}, timeout=30)
        assert named.status_code == 200
        other = httpx.get(server.base + "/", headers={"Host": "other.example"}, timeout=30)
        assert other.status_code == 400
    finally:
        server.stop()


def test_connections_that_never_finish_their_headers_are_closed(server: Server) -> None:
    sockets = []
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=HEADER_TIMEOUT_S * 4)
        sock.sendall(b"GET /api/v1/articles HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        sockets.append(sock)
    started = time.monotonic()
    for sock in sockets:
        assert sock.recv(1024) == b""  # closed by the server, without an answer
        sock.close()
    assert time.monotonic() - started < HEADER_TIMEOUT_S * 3
    assert httpx.get(server.base + "/api/v1/articles", timeout=30).status_code == 200


# -- in-process: the limits that need no server ---------------------------------------------


@pytest.fixture
def workbench(db_url: str) -> Iterator[Workbench]:
    store = Store(db_url)
    bench = Workbench(store, Settings(layers=("quotes",), max_queued_articles=5))
    yield bench
    bench.close()
    store.close()


def test_analyses_on_two_threads_at_once_are_those_of_one_after_the_other(
    workbench: Workbench,
) -> None:
    """The analysis threads share one pipeline: what they find together is what it finds
    alone."""
    articles = sample_corpus() * 2
    alone = [workbench.pipeline.analyze(a) for a in articles]
    together = [workbench.begin(a, store=False) for a in articles]
    assert [analysing.result() for analysing in together] == alone


def test_a_full_job_queue_refuses_a_job_clearly(workbench: Workbench) -> None:
    client = TestClient(create_app(workbench), base_url="http://localhost")
    workbench.close()  # no runner: the queued articles stay queued
    four = {"articles": [{"text": f"T{n}\n{SHORT}"} for n in range(4)]}
    assert client.post("/api/v1/jobs", json=four).status_code == 202
    two = {"articles": [{"text": f"U{n}\n{SHORT}"} for n in range(2)]}
    refused = client.post("/api/v1/jobs", json=two)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == str(RETRY_AFTER_S)
    assert "the job queue is full: 4 articles wait" in refused.json()["error"]
    status = client.get("/api/v1/status").json()["load"]
    assert status["queued_articles"] == 4


def test_a_million_empty_items_get_a_short_answer_at_once(workbench: Workbench) -> None:
    client = TestClient(create_app(workbench), base_url="http://localhost")
    body = json.dumps({"articles": [{}] * 1_000_000})
    started = time.monotonic()
    response = client.post(
        "/api/v1/jobs", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert len(response.content) < 500
    assert "at most 10000 items" in response.json()["error"]
    assert time.monotonic() - started < 10
    few = {"articles": [{}] * 50}  # many problems, one short message
    answer = client.post("/api/v1/jobs", json=few).json()["error"]
    assert answer.endswith("and 45 more") and len(answer) < 600


def test_a_body_that_does_not_arrive_in_time_gets_408() -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app was called with a body that never came")

    async def trickle() -> dict[str, Any]:
        await anyio.sleep(0.2)
        return {"type": "http.request", "body": b"x", "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/api/v1/analyze", "headers": [], "method": "POST"}
    anyio.run(BodyLimit(app, limit=1000, timeout=1.0), scope, trickle, send)
    assert sent[0]["status"] == 408
    assert b"did not arrive within 1 s" in sent[1]["body"]


def test_a_page_allows_only_its_own_inline_scripts() -> None:
    own = report_script()
    body = f"<p><script>stolen()</script></p><script>{own}</script>"
    policy = html_page(body, scripts=(own,)).headers["content-security-policy"]
    assert policy.count("'sha256-") == 1
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(own.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
