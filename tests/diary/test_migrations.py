"""Migrations apply, reverse and re-apply cleanly, and install the no-overlap guard."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, inspect, text

from diary.db import make_engine
from diary.migrate import alembic_config, current_revision, owns, upgrade
from diary.models import Base


def test_fresh_database_upgrades_to_head_and_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert current_revision(engine) is None
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    assert current_revision(engine) == "0002"
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    engine.dispose()


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": owns})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_guard_is_installed(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            found = conn.execute(
                text(
                    "SELECT count(*) FROM pg_constraint WHERE conname = 'appointments_no_overlap'"
                    " AND contype = 'x'"
                )
            ).scalar()
            assert found == 1
        else:
            found = conn.execute(
                text(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                    " AND name LIKE 'appointments_no_overlap_%'"
                )
            ).scalar()
            assert found == 2


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    upgrade(engine)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert current_revision(engine) is None
    assert "appointments" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert current_revision(engine) == "0002"
    engine.dispose()
