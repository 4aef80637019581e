"""Alembic environment for the service's own tables (the call record), beside the diary's.

It keeps its own version table, `receptionist_alembic_version`, and manages only its own
tables, so the diary's migrations and these never touch each other's.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from receptionist.calls import metadata
from receptionist.migrate import VERSION_TABLE, owns
from receptionist.telephony.ledger import metadata as ledger_metadata

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=[metadata, ledger_metadata],
        version_table=VERSION_TABLE,
        include_name=owns,
        render_as_batch=True,
    )
    with context.begin_transaction():
        if context.get_bind().dialect.name == "postgresql":
            # Several workers may start at once; only one migrates, the rest wait.
            context.get_bind().execute(text("SELECT pg_advisory_xact_lock(7241002)"))
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise SystemExit("run these migrations through receptionist.migrate.upgrade")
_run(connection)
