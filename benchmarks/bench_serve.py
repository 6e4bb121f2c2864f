"""Load on `spinscope serve`: concurrent clients analysing-and-storing and searching over HTTP
on 127.0.0.1, on SQLite and on PostgreSQL, with a check that no write was lost or duplicated.

    python benchmarks/bench_serve.py [--clients 20] [--duration 60] [--layers quotes,claims]
                                     [--flood 100] [--jobs 5]
                                     [--db sqlite,postgresql] [--postgres URL] [--json FILE]

Two phases on one server. Steady: half the clients (threads, each with its own HTTP
connection) send `POST /api/v1/analyze` with new articles (the bundled sample corpus, each
copy made unique by a last line), one after the other; the other half send
`GET /api/v1/search` with one of a few queries; until the duration is over, when requests in
flight finish. Analyses run on the server's analysis threads (two by default), so writers
queue behind each other; searches run beside them.

Write flood: `--flood` analyses sent at once, each on its own connection, and `--jobs` jobs of
20 articles, while four clients search without pause. The server runs what its analysis
threads and waiting places hold and refuses the rest at once (503 with `Retry-After`);
searches must stay fast (their p99 is the figure), and every job accepted must finish (its
articles stored or reported failed).

Reported per database: requests, errors (any answer but 200, and 503 in the flood, where it
is expected), requests/second, and p50/p95 (flood: p99) latency for each kind of request.
Afterwards the database is read directly: every acknowledged write must be there with the
analysis the server answered, and nothing else may be (no duplicates) but the jobs' articles.

The server runs in its own process (`python -m spinscope serve`) on a fresh database: an SQLite
file in a temporary folder, or a database in a temporary PostgreSQL cluster started here
(as the postgres user when run as root; fsync off) unless `--postgres URL` names a server.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pgcluster import PostgresCluster, postgres_bin
from serving import Server

from spinscope.document import Analysis
from spinscope.store import Store
from spinscope.web import sample_corpus

QUERIES = (
    "what did Merkulov say about the summit?",
    "water",
    "drought farmers",
    "Voss",
    "pipeline gas",
)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(
    db: str, clients: int, duration: float, layers: str, flood: int, jobs: int
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="spinscope-bench-"))
    server = Server(db, "--layers", layers, "--no-sample", log=folder / "serve.log")
    samples = sample_corpus()
    latencies: dict[str, list[float]] = {"analyze": [], "search": []}
    errors: dict[str, list[str]] = {"analyze": [], "search": []}
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    end = 0.0

    def client(k: int) -> None:
        with httpx.Client(base_url=server.base, timeout=120) as http:
            start_gate.wait()
            n = 0
            while time.monotonic() < end:
                if k % 2 == 0:
                    kind = "analyze"
                    base = samples[(k + n) % len(samples)]
                    article_id = f"bench-{k}-{n}"
                    body = {
                        "id": article_id,
                        "text": f"{base.text}\nBench copy {k}-{n}.\n",
                        "outlet": base.outlet,
                        "published": base.published,
                    }
                    began = time.perf_counter()
                    try:
                        response = http.post("/api/v1/analyze", json=body)
                        ok = response.status_code == 200
                    except httpx.HTTPError as exc:
                        ok, response = False, None
                        error = f"{type(exc).__name__}: {exc}"
                else:
                    kind = "search"
                    began = time.perf_counter()
                    try:
                        response = http.get(
                            "/api/v1/search", params={"q": QUERIES[(k + n) % len(QUERIES)]}
                        )
                        ok = response.status_code == 200
                    except httpx.HTTPError as exc:
                        ok, response = False, None
                        error = f"{type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - began
                with lock:
                    latencies[kind].append(elapsed)
                    if not ok:
                        errors[kind].append(
                            f"{response.status_code} {response.text[:200]}" if response else error
                        )
                    elif kind == "analyze":
                        assert response is not None
                        acknowledged[article_id] = response.text
                n += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    end = began + duration
    start_gate.wait()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    flooded = write_flood(server, flood, jobs, samples, acknowledged) if flood else None
    server.stop()

    with Store(db) as store:
        stored_ids = {s.id for s in store.articles(limit=10**9)}
        lost = [i for i, data in acknowledged.items() if store.get(i) != Analysis.from_json(data)]
    job_articles = set(flooded["jobs"]["article_ids"]) if flooded else set()
    duplicated = sorted(stored_ids - set(acknowledged) - job_articles)

    result: dict[str, Any] = {
        "database": "sqlite" if "://" not in db or db.startswith("sqlite") else "postgresql",
        "clients": clients,
        "duration_s": round(wall, 1),
        "layers": layers,
        "requests": sum(len(v) for v in latencies.values()),
        "requests_per_s": round(sum(len(v) for v in latencies.values()) / wall, 1),
        "errors": sum(len(v) for v in errors.values()),
        "writes_acknowledged": len(acknowledged),
        "articles_stored": len(stored_ids),
        "writes_lost": len(lost),
        "writes_duplicated": len(duplicated),
    }
    for kind, values in latencies.items():
        result[kind] = {
            "requests": len(values),
            "per_s": round(len(values) / wall, 1),
            "errors": len(errors[kind]),
            "p50_ms": round(1000 * percentile(values, 0.5), 1),
            "p95_ms": round(1000 * percentile(values, 0.95), 1),
            "mean_ms": round(1000 * statistics.fmean(values), 1) if values else None,
            "first_errors": errors[kind][:3],
        }
    if flooded:
        flooded["jobs"].pop("article_ids")
        result["flood"] = flooded
    return result


def write_flood(
    server: Server, flood: int, jobs: int, samples: list[Any], acknowledged: dict[str, str]
) -> dict[str, Any]:
    """`flood` analyses at once and `jobs` jobs, while four clients search until the jobs are
    done: the answers' statuses, the searches' latencies, and what became of the jobs."""
    statuses: dict[str, int] = {}
    searches: list[float] = []
    search_errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    gate = threading.Barrier(flood + jobs)
    accepted: list[str] = []

    def count(kind: str) -> None:
        with lock:
            statuses[kind] = statuses.get(kind, 0) + 1

    def searcher(k: int) -> None:
        with httpx.Client(base_url=server.base, timeout=120) as http:
            n = 0
            while not stop.is_set():
                began = time.perf_counter()
                response = http.get("/api/v1/search", params={"q": QUERIES[(k + n) % 5]})
                with lock:
                    searches.append(time.perf_counter() - began)
                    if response.status_code != 200:
                        search_errors.append(f"{response.status_code} {response.text[:200]}")
                n += 1

    def writer(k: int) -> None:
        base = samples[k % len(samples)]
        article_id = f"flood-{k}"
        body = {"id": article_id, "text": f"{base.text}\nFlood copy {k}.\n"}
        with httpx.Client(base_url=server.base, timeout=600) as http:
            gate.wait()
            response = http.post("/api/v1/analyze", json=body)
        count(str(response.status_code))
        if response.status_code == 200:
            with lock:
                acknowledged[article_id] = response.text
        elif response.status_code == 503:
            assert response.headers.get("retry-after"), "a 503 without Retry-After"

    def job(k: int) -> None:
        articles = [
            {"id": f"job-{k}-{n}", "text": f"{samples[n % len(samples)].text}\nJob {k}-{n}.\n"}
            for n in range(20)
        ]
        with httpx.Client(base_url=server.base, timeout=600) as http:
            gate.wait()
            response = http.post("/api/v1/jobs", json={"articles": articles})
        count(f"job {response.status_code}")
        if response.status_code == 202:
            with lock:
                accepted.append(response.json()["id"])

    readers = [threading.Thread(target=searcher, args=(k,)) for k in range(4)]
    for thread in readers:
        thread.start()
    time.sleep(1)
    began = time.monotonic()
    senders = [threading.Thread(target=writer, args=(k,)) for k in range(flood)]
    senders += [threading.Thread(target=job, args=(k,)) for k in range(jobs)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()
    answered = time.monotonic() - began
    finished, failed, ids = 0, 0, []
    deadline = time.monotonic() + 900
    for job_id in accepted:
        while True:
            state = httpx.get(f"{server.base}/api/v1/jobs/{job_id}", timeout=60).json()
            if state["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        finished += state["status"] == "done"
        failed += len(state["errors"])
        ids += state["articles"]
    stop.set()  # the searches went on while the jobs ran
    for thread in readers:
        thread.join()
    return {
        "analyses_sent": flood,
        "statuses": dict(sorted(statuses.items())),
        "answered_s": round(answered, 1),
        "search": {
            "requests": len(searches),
            "errors": len(search_errors),
            "p50_ms": round(1000 * percentile(searches, 0.5), 1),
            "p99_ms": round(1000 * percentile(searches, 0.99), 1),
            "max_ms": round(1000 * max(searches), 1) if searches else None,
            "first_errors": search_errors[:3],
        },
        "jobs": {
            "sent": jobs,
            "accepted": len(accepted),
            "finished": finished,
            "articles_failed": failed,
            "article_ids": ids,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--layers", default="quotes,claims")
    parser.add_argument("--flood", type=int, default=100, help="analyses sent at once (0: none)")
    parser.add_argument("--jobs", type=int, default=5, help="jobs of 20 articles in the flood")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: a temporary one)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    for kind in args.db.split(","):
        if kind == "sqlite":
            db = str(Path(tempfile.mkdtemp(prefix="spinscope-bench-")) / "bench.db")
            results.append(run(db, args.clients, args.duration, args.layers, args.flood, args.jobs))
        elif kind == "postgresql":
            cluster = None
            if args.postgres:
                url = args.postgres
            else:
                bindir = postgres_bin()
                if bindir is None:
                    sys.exit("PostgreSQL is not installed: give --postgres URL or --db sqlite")
                cluster = PostgresCluster(bindir).start()
                url = cluster.create_database()
            try:
                results.append(
                    run(url, args.clients, args.duration, args.layers, args.flood, args.jobs)
                )
            finally:
                if cluster:
                    cluster.stop()
        else:
            sys.exit(f"unknown database kind {kind!r}: sqlite or postgresql")
    for r in results:
        f = r.get("flood")
        if f:
            print(
                f"{r['database']:>10}: flood of {f['analyses_sent']} analyses: {f['statuses']} "
                f"in {f['answered_s']} s; searches until the jobs were done: "
                f"{f['search']['requests']}, "
                f"p50 {f['search']['p50_ms']} ms, p99 {f['search']['p99_ms']} ms, max "
                f"{f['search']['max_ms']} ms, {f['search']['errors']} errors; jobs: "
                f"{f['jobs']['accepted']}/{f['jobs']['sent']} accepted, "
                f"{f['jobs']['finished']} finished, {f['jobs']['articles_failed']} articles failed"
            )
        print(
            f"{r['database']:>10}: {r['requests']} requests in {r['duration_s']} s "
            f"({r['requests_per_s']}/s), {r['errors']} errors; writes: "
            f"{r['writes_acknowledged']} acknowledged, {r['articles_stored']} stored, "
            f"{r['writes_lost']} lost, {r['writes_duplicated']} duplicated"
        )
        for kind in ("analyze", "search"):
            k = r[kind]
            print(
                f"{'':>12}{kind:>8}: {k['requests']} ({k['per_s']}/s), p50 {k['p50_ms']} ms, "
                f"p95 {k['p95_ms']} ms, {k['errors']} errors {k['first_errors'] or ''}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
