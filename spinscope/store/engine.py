"""Opening a store's database: a URL or path to an SQLAlchemy engine, and the migrations.

SQLite (the default) gets WAL mode, foreign keys, a 30 s busy timeout, and `BEGIN IMMEDIATE`
for write transactions (so two writers queue instead of failing when one upgrades its read lock).
PostgreSQL URLs (`postgresql://…`) go through psycopg 3.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text

from spinscope.errors import StoreError

#: Execution option that marks a connection's transactions as writes (SQLite: BEGIN IMMEDIATE).
WRITE = "spinscope_write"

#: Key of the PostgreSQL advisory lock held while migrating, so that two servers starting at
#: once do not both create the tables.
_MIGRATION_LOCK = 0x5350494E

_MIGRATIONS = Path(__file__).parent / "migrations"


def default_path() -> Path:
    """The default SQLite file: `$XDG_DATA_HOME/spinscope/spinscope.db` (~/.local/share/…)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "spinscope" / "spinscope.db"


def database_url(db: str | Path | None) -> str:
    """The SQLAlchemy URL for `db`: a path or `sqlite:///…` (SQLite), `postgresql://…`
    (PostgreSQL through psycopg 3), or None for the default SQLite file."""
    if db is None:
        db = default_path()
    if isinstance(db, Path):
        return _sqlite_file(db)
    scheme = db.partition("://")[0].lower() if "://" in db else ""
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + db.partition("://")[2]
    if scheme == "postgresql+psycopg":
        return db
    if scheme == "sqlite":
        path = db.partition(":///")[2]
        if not path or path == ":memory:":
            raise StoreError(f"{db}: give the SQLite database a file (sqlite:///PATH)")
        return _sqlite_file(Path(path))
    if scheme:
        raise StoreError(
            f"{db}: unknown database URL scheme {scheme!r}; use a file path, sqlite:///PATH "
            f"or postgresql://USER@HOST/DB"
        )
    return _sqlite_file(Path(db))


def _sqlite_file(path: Path) -> str:
    path = path.expanduser().resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder of database {path}: {exc}") from exc
    return f"sqlite:///{path}"


def open_engine(db: str | Path | None) -> Engine:
    """An engine for `db` (see `database_url`), with the schema migrated to the newest version."""
    url = database_url(db)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    try:
        migrate(engine)
    except Exception as exc:
        engine.dispose()
        raise StoreError(f"cannot open database {engine.url!r}: {exc}") from exc
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: object) -> None:
        # The driver's own transaction handling is off: SQLAlchemy's begin event says BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",  # with WAL: a crash of the process loses no commit
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        write = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def migrate(engine: Engine) -> None:
    """Bring the database's schema to the newest migration (Alembic, shipped in the package)."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.execution_options(**{WRITE: True}).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
