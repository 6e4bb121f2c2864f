"""Shared test fixtures."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The labelled data, outside the repository (`../shared/data`); never copied into it.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data`. Skips the test when it is absent, unless `SPINSCOPE_REQUIRE_SHARED=1`
    (as in CI), where a missing directory fails the test instead."""
    if not SHARED_DATA.is_dir():
        reason = f"the shared data directory {SHARED_DATA} is absent"
        if os.environ.get("SPINSCOPE_REQUIRE_SHARED") == "1":
            pytest.fail(f"{reason}, and SPINSCOPE_REQUIRE_SHARED=1 requires it")
        pytest.skip(f"{reason} (set SPINSCOPE_REQUIRE_SHARED=1 to make this a failure)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def torch() -> object:
    """torch (the `train` extra, for fine-tuning). Skips the test when it is not installed,
    unless `SPINSCOPE_REQUIRE_TORCH=1` (as in CI), where its absence fails the test."""
    try:
        import torch
    except ImportError:
        reason = "torch is not installed (`pip install 'spinscope[train]'`)"
        if os.environ.get("SPINSCOPE_REQUIRE_TORCH") == "1":
            pytest.fail(f"{reason}, and SPINSCOPE_REQUIRE_TORCH=1 requires it")
        pytest.skip(f"{reason}; set SPINSCOPE_REQUIRE_TORCH=1 to make this a failure")
    return torch


# -- databases: the store and API suites run once on SQLite and once on PostgreSQL ----------


def _postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), or None."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return versions[-1].parent if versions else None


def _as_postgres(args: list[str]) -> list[str]:
    """Run `args` as the postgres user where we are root (root cannot run PostgreSQL)."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    """A temporary PostgreSQL cluster on 127.0.0.1 for the test session."""

    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"t{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster started for the session (as the postgres user when root), stopped
    and removed afterwards. Skips when PostgreSQL is not installed, unless
    `SPINSCOPE_REQUIRE_POSTGRES=1` (as in CI), where that fails the test instead."""
    bindir = _postgres_bin()
    if bindir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        reason = "PostgreSQL's server programs (initdb, pg_ctl) are not installed"
        if os.environ.get("SPINSCOPE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason}, and SPINSCOPE_REQUIRE_POSTGRES=1 requires them")
        pytest.skip(
            f"{reason} (apt-get install postgresql; SPINSCOPE_REQUIRE_POSTGRES=1 "
            f"makes this a failure)"
        )
    top = Path(tempfile.mkdtemp(prefix="spinscope-pg-"))
    data = top / "data"
    if os.geteuid() == 0:
        shutil.chown(top, "postgres")
    port = _free_port()
    run = functools.partial(subprocess.run, check=True, capture_output=True, text=True)
    try:
        run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            )
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {top} -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        run(
            _as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(top / "log"),
                    "-w",
                    "start",
                ]
            )
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(top, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {exc.stderr or exc.stdout}")
    try:
        yield PostgresServer(port)
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: an SQLite file, then a database in the session's PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "spinscope.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()
