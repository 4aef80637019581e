"""Shared fixtures: real SQLite and PostgreSQL databases, a fixed clock, the demo clinic.

PostgreSQL tests run against a throwaway database created on the server named by
`DIARY_TEST_POSTGRES_URL` (default: the local server, trust auth). Under CI=true they are
mandatory: an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from diary import Diary, FixedClock
from diary.db import make_engine, normalise_url, write_session
from diary.localtime import zone
from diary.migrate import upgrade
from diary.models import Base
from diary.seed import seed_demo_clinic

POSTGRES_URL = os.environ.get(
    "DIARY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"

# The demo is anchored on Monday 2 March 2026 and the clock starts at 08:00 that morning.
DEMO_ANCHOR = date(2026, 3, 2)
SYDNEY = zone("Australia/Sydney")
DEMO_NOW = datetime(2026, 3, 2, 8, 0, tzinfo=SYDNEY)


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """A migrated, throwaway PostgreSQL database for this test session."""
    admin_url = normalise_url(POSTGRES_URL)
    admin = make_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        admin.dispose()
        reason = f"PostgreSQL unreachable at {admin_url.render_as_string(hide_password=True)}"
        if IN_CI:
            pytest.fail(f"{reason} (mandatory under CI=true): {exc}")
        pytest.skip(reason)
    name = f"diary_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(admin_url.set(database=name), pool_size=10, max_overflow=60)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "diary.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def _truncate(engine: Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    """A migrated, empty diary database: every test using it runs on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "diary.db"
        shutil.copy(sqlite_template, path)
        sqlite = make_engine(f"sqlite:///{path}")
        yield sqlite
        sqlite.dispose()
        return
    pg: Engine = request.getfixturevalue("postgres_engine")
    _truncate(pg)
    yield pg


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEMO_NOW)


@pytest.fixture
def diary(engine: Engine, clock: FixedClock) -> Diary:
    return Diary(engine, clock)


@pytest.fixture(scope="session")
def sqlite_demo_source(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """A SQLite file holding the demo clinic, seeded once; tests copy its rows."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with write_session(engine) as session:
        seed_demo_clinic(session, DEMO_ANCHOR)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


DEMO_SNAPSHOT_SCHEMA = "demo_snapshot"


@pytest.fixture(scope="session")
def postgres_demo_source(postgres_engine: Engine) -> str:
    """A schema holding a copy of every table with the demo clinic seeded, made once."""
    _truncate(postgres_engine)
    with write_session(postgres_engine) as session:
        seed_demo_clinic(session, DEMO_ANCHOR)
    with postgres_engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {DEMO_SNAPSHOT_SCHEMA}"))
        for table in Base.metadata.sorted_tables:
            conn.execute(
                text(
                    f"CREATE TABLE {DEMO_SNAPSHOT_SCHEMA}.{table.name}"
                    f" AS SELECT * FROM {table.name}"
                )
            )
    _truncate(postgres_engine)
    return DEMO_SNAPSHOT_SCHEMA


def _copy_rows(execute: Callable[[str], object], source: str) -> None:
    for table in Base.metadata.sorted_tables:
        execute(f"INSERT INTO {table.name} SELECT * FROM {source}.{table.name}")


@pytest.fixture
def demo(request: pytest.FixtureRequest, diary: Diary) -> int:
    """The demo clinic seeded around DEMO_ANCHOR (copied from a seeded source); its id."""
    engine = diary.engine
    if engine.dialect.name == "sqlite":
        source: Path = request.getfixturevalue("sqlite_demo_source")
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"ATTACH DATABASE '{source}' AS demo_source")
            cursor.execute("BEGIN IMMEDIATE")
            _copy_rows(cursor.execute, "demo_source")
            cursor.execute("COMMIT")
            cursor.execute("DETACH DATABASE demo_source")
        finally:
            raw.close()
    else:
        schema: str = request.getfixturevalue("postgres_demo_source")
        with engine.begin() as conn:
            _copy_rows(lambda sql: conn.execute(text(sql)), schema)
            for table in Base.metadata.sorted_tables:
                if "id" in table.c and table.c.id.primary_key:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                            f" (SELECT COALESCE(max(id), 0) + 1 FROM {table.name}), false)"
                        )
                    )
    clinic = diary.clinics()[0]
    assert clinic.name == "Harbourside Physio"
    return clinic.id
