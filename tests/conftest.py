"""Shared test fixtures."""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgcluster import PostgresCluster, postgres_bin

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


def _optional(module: str, install: str, require_env: str) -> object:
    """`module`, imported. Skips the test when it is not installed, unless the environment
    variable `require_env` is 1 (as in CI), where its absence fails the test."""
    try:
        return importlib.import_module(module)
    except ImportError:
        reason = f"{module} is not installed (`pip install '{install}'`)"
        if os.environ.get(require_env) == "1":
            pytest.fail(f"{reason}, and {require_env}=1 requires it")
        pytest.skip(f"{reason}; set {require_env}=1 to make this a failure")


@pytest.fixture(scope="session")
def torch() -> object:
    """torch (the `train` extra, for fine-tuning); see `_optional`."""
    return _optional("torch", "spinscope[train]", "SPINSCOPE_REQUIRE_TORCH")


@pytest.fixture(scope="session")
def ray_module() -> object:
    """Ray (the `ray` extra); see `_optional`. A runtime started by a test binds 127.0.0.1 and
    needs no authentication token."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read on import: loopback
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    return _optional("ray", "spinscope[ray]", "SPINSCOPE_REQUIRE_RAY")


@pytest.fixture(scope="module")
def articles(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of six short PolNeAR articles (1.5–3 KB), as .txt files (the batch tests)."""
    source = shared_data / "polnear" / "train" / "text"
    chosen = [p for p in sorted(source.glob("*.txt")) if 1500 <= p.stat().st_size <= 3000][:6]
    assert len(chosen) == 6
    folder = tmp_path_factory.mktemp("articles")
    for path in chosen:
        shutil.copy(path, folder / path.name)
    return folder


# -- databases: the store and API suites run once on SQLite and once on PostgreSQL ----------


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster started for the session, stopped and removed afterwards. Skips when
    PostgreSQL is not installed, unless `SPINSCOPE_REQUIRE_POSTGRES=1` (as in CI), where that
    fails the test instead."""
    bindir = postgres_bin()
    if bindir is None:
        reason = "PostgreSQL's server programs (initdb, pg_ctl) are not installed"
        if os.environ.get("SPINSCOPE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason}, and SPINSCOPE_REQUIRE_POSTGRES=1 requires them")
        pytest.skip(
            f"{reason} (apt-get install postgresql; SPINSCOPE_REQUIRE_POSTGRES=1 makes this "
            f"a failure)"
        )
    try:
        cluster = PostgresCluster(bindir).start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: an SQLite file, then a database in the session's PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "spinscope.db")
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database()
