"""A temporary PostgreSQL cluster on 127.0.0.1 (as the postgres user when run as root, since
root cannot run PostgreSQL), for the tests and the serve benchmark."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), or None."""
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return None
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return versions[-1].parent if versions else None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    """`start()` makes and starts a cluster in a temporary folder (fsync off: for tests and
    benchmarks only); `stop()` stops it and removes the folder."""

    bindir: Path
    port: int = 0
    folder: Path | None = None

    def start(self) -> PostgresCluster:
        self.folder = Path(tempfile.mkdtemp(prefix="spinscope-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.port = _free_port()
        data = self.folder / "data"
        run = functools.partial(subprocess.run, check=True, capture_output=True, text=True)
        try:
            run(
                _as_postgres(
                    [
                        str(self.bindir / "initdb"),
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
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off "
                f"-c full_page_writes=off -c max_connections=200"
            )
            run(
                _as_postgres(
                    [
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-o",
                        options,
                        "-l",
                        str(self.folder / "log"),
                        "-w",
                        "start",
                    ]
                )
            )
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr or exc.stdout}") from exc
        return self

    def stop(self) -> None:
        if self.folder is None:
            return
        subprocess.run(
            _as_postgres(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.folder / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ]
            ),
            capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"t{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)
