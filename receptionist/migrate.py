"""The service's own migrations (the call record), applied like the diary's."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

VERSION_TABLE = "receptionist_alembic_version"


def owns(name: str | None, type_: str, parent_names: object = None) -> bool:
    """Alembic's `include_name` hook: only the call record's and the ledger's tables are ours."""
    from receptionist.calls import metadata
    from receptionist.telephony.ledger import metadata as ledger_metadata

    return type_ != "table" or name in metadata.tables or name in ledger_metadata.tables


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("receptionist") / "migrations"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the call-record tables up to `revision` (default: the latest)."""
    from diary.db import writing

    cfg = alembic_config()
    with writing(engine).begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()
