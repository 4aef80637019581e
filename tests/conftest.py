"""Shared fixtures: real SQLite and PostgreSQL databases, a fixed clock, the demo clinic.

PostgreSQL tests run against a throwaway database created on the server named by
`DIARY_TEST_POSTGRES_URL` (default: the local server, trust auth). Under CI=true they are
mandatory: an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

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


@pytest.fixture
def demo(diary: Diary) -> int:
    """The demo clinic seeded around DEMO_ANCHOR; returns its id."""
    with write_session(diary.engine) as session:
        return seed_demo_clinic(session, DEMO_ANCHOR).id


def database_name(engine: Engine) -> str:
    return make_url(str(engine.url)).get_backend_name()
