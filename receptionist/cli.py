"""The `receptionist` command line."""

from __future__ import annotations

from datetime import UTC, date, datetime

import typer

from diary.db import make_engine, write_session
from diary.migrate import current_revision, upgrade
from diary.seed import ensure_demo_clinic, sydney_today
from receptionist.cli_agent import chat, evaluate
from receptionist.cli_script import script_app
from receptionist.settings import Settings

app = typer.Typer(help="AI phone receptionist for clinics.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(script_app, name="script")
app.command("chat")(chat)
app.command("eval")(evaluate)


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Interface to bind (default from settings)."),
    port: int | None = typer.Option(None, help="Port to listen on (default from settings)."),
) -> None:
    """Run the service (embedded default: SQLite file, demo clinic, no accounts needed)."""
    import uvicorn

    from receptionist.app import create_app

    settings = Settings()
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the diary's migrations to the configured database."""
    engine = make_engine(Settings().database_url)
    upgrade(engine)
    typer.echo(f"database at revision {current_revision(engine)}")
    engine.dispose()


@db_app.command("seed-demo")
def db_seed_demo(
    anchor: str | None = typer.Option(
        None, help="Local date (YYYY-MM-DD) the demo is built around; default today in Sydney."
    ),
) -> None:
    """Migrate, then seed the demo clinic if the database does not have it yet."""
    engine = make_engine(Settings().database_url)
    upgrade(engine)
    with write_session(engine) as session:
        today = date.fromisoformat(anchor) if anchor else sydney_today(datetime.now(UTC))
        clinic = ensure_demo_clinic(session, today)
        typer.echo(f"demo clinic ready: {clinic.name} (id {clinic.id})")
    engine.dispose()
