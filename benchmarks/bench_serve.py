"""Load on `spinscope serve`: concurrent clients analysing-and-storing and searching over HTTP
on 127.0.0.1, on SQLite and on PostgreSQL, with a check that no write was lost or duplicated.

    python benchmarks/bench_serve.py [--clients 20] [--duration 60] [--layers quotes,claims]
                                     [--db sqlite,postgresql] [--postgres URL] [--json FILE]

Half the clients (threads, each with its own HTTP connection) send `POST /api/v1/analyze`
with new articles (the bundled sample corpus, each copy made unique by a last line), one after
the other; the other half send `GET /api/v1/search` with one of a few queries; until the
duration is over, when requests in flight finish. Analyses run one at a time in the server (one
pipeline), so writers queue behind each other; searches run beside them.

Reported per database: requests, errors, requests/second, and p50/p95 latency for each kind of
request. Afterwards the database is read directly: every acknowledged write must
be there with the analysis the server answered, and nothing else may be (no duplicates).

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


def run(db: str, clients: int, duration: float, layers: str) -> dict[str, Any]:
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
    server.stop()

    with Store(db) as store:
        stored_ids = {s.id for s in store.articles(limit=10**9)}
        lost = [i for i, data in acknowledged.items() if store.get(i) != Analysis.from_json(data)]
    duplicated = sorted(stored_ids - set(acknowledged))

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
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--layers", default="quotes,claims")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: a temporary one)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    for kind in args.db.split(","):
        if kind == "sqlite":
            db = str(Path(tempfile.mkdtemp(prefix="spinscope-bench-")) / "bench.db")
            results.append(run(db, args.clients, args.duration, args.layers))
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
                results.append(run(url, args.clients, args.duration, args.layers))
            finally:
                if cluster:
                    cluster.stop()
        else:
            sys.exit(f"unknown database kind {kind!r}: sqlite or postgresql")
    for r in results:
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
