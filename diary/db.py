"""Engines and sessions for the diary, on SQLite (embedded) or PostgreSQL (production).

SQLite: pysqlite's own transaction handling is switched off so the diary decides how each
transaction begins. Writes begin with `BEGIN IMMEDIATE`, taking the single write lock up front;
a deferred transaction that reads and then writes would fail with SQLITE_BUSY in WAL mode
instead of waiting its turn. Reads begin deferred and never block a writer.

Waits for a lock are bounded by `LOCK_WAIT_S`, well inside the adapter's per-attempt timeout
(`pms_adapters.resilience.RetryPolicy.timeout_seconds`): a write blocked by another writer
fails cleanly, as a database error the caller can be told about, before the adapter gives up
on it. Were the wait longer, the adapter would report the outcome unknown while the write was
still queued, and it could land after the caller had been told it did not. SQLite waits up to
that long for its write lock (`busy_timeout`); PostgreSQL for any row or table lock
(`lock_timeout`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session

_WRITE = "diary_write"
LOCK_WAIT_S = 5.0
SQLITE_BUSY_TIMEOUT_S = LOCK_WAIT_S
POSTGRES_LOCK_TIMEOUT_S = LOCK_WAIT_S


def normalise_url(url: str | URL) -> URL:
    """Pick the drivers we ship with: psycopg 3 for PostgreSQL, the stdlib for SQLite."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine set up for the diary's transaction discipline."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        pg_args: dict[str, Any] = dict(kwargs.pop("connect_args", {}))
        wait = f"-c lock_timeout={int(POSTGRES_LOCK_TIMEOUT_S * 1000)}"
        pg_args["options"] = f"{pg_args.get('options', '')} {wait}".strip()
        kwargs["connect_args"] = pg_args
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(parsed, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        if not memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def writing(engine: Engine) -> Engine:
    """The engine, for transactions that write: on SQLite they take the write lock up front
    (`BEGIN IMMEDIATE`), so a read-then-write never fails upgrading its lock."""
    return engine.execution_options(**{_WRITE: True})


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads. Closing it (not rolling back) leaves loaded objects readable."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction takes the write lock up front on SQLite; commits on success."""
    with Session(engine.execution_options(**{_WRITE: True}), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
