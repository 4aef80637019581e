"""Alembic environment for the diary; run through diary.migrate, which passes a connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from diary.db import make_engine
from diary.migrate import owns
from diary.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        include_name=owns,
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        if context.get_bind().dialect.name == "postgresql":
            # Several workers may start at once; only one migrates, the rest wait.
            context.get_bind().execute(text("SELECT pg_advisory_xact_lock(7241001)"))
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///receptionist.db")
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; use `receptionist db upgrade`")
run_migrations_online()
