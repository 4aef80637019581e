"""Apply the diary's Alembic migrations programmatically (the CLI and the embedded start use it)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def owns(name: str | None, type_: str, parent_names: object = None) -> bool:
    """Alembic's `include_name` hook: the diary's migrations manage only the diary's tables.

    The service keeps other tables in the same database (the call record); autogenerate must
    neither see them as drift nor propose dropping them.
    """
    from diary.models import Base

    return type_ != "table" or name in Base.metadata.tables


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(files("diary") / "migrations"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to `revision` (default: the latest)."""
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
