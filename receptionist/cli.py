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
    from receptionist.telephony.direct import DirectWebSocketProtocol

    settings = Settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        ws=DirectWebSocketProtocol,  # uvicorn's sans-I/O websockets + the media bridge's fast path
        ws_max_size=settings.max_frame_bytes,  # a bigger frame is refused before it is read
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the diary's migrations to the configured database."""
    from receptionist import migrate as service_migrations

    engine = make_engine(Settings().database_url)
    upgrade(engine)
    service_migrations.upgrade(engine)
    typer.echo(
        f"database at revision {current_revision(engine)}"
        f" (call record {service_migrations.current_revision(engine)})"
    )
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


pms_app = typer.Typer(help="Practice management system connections.", no_args_is_help=True)
app.add_typer(pms_app, name="pms")


@pms_app.command("list")
def pms_list() -> None:
    """The adapters installed (built in and plugins)."""
    from pms_adapters import registry

    for name in registry.installed():
        typer.echo(name)


@pms_app.command("check")
def pms_check(
    adapter: str = typer.Argument(..., help="Adapter name, e.g. cliniko, nookal, diary."),
    setting: list[str] = typer.Option(
        [], "--setting", "-s", help="key=value; a value env:NAME is read from the environment."
    ),
) -> None:
    """Connect to a PMS and print what it can see (reads only; no patient data)."""
    import asyncio
    import json
    import os

    from pms_adapters import registry
    from pms_adapters.check import describer
    from pms_adapters.errors import PMSError

    settings: dict[str, object] = {"environment": Settings().environment}
    for item in setting:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {item!r}")
        if value.startswith("env:"):
            name = value.removeprefix("env:")
            if name not in os.environ:
                raise typer.BadParameter(f"environment variable {name} is not set")
            value = os.environ[name]
        settings[key] = value

    async def run() -> dict[str, object]:
        connection = registry.create(adapter, settings)
        try:
            return await describer(connection)(connection)
        finally:
            await connection.aclose()

    try:
        report = asyncio.run(run())
    except registry.UnknownAdapter as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except (PMSError, ValueError) as exc:
        typer.echo(f"{adapter}: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(report, indent=2, default=str))


@app.command("calls")
def calls_list(
    limit: int = typer.Option(20, min=1, max=500, help="How many calls."),
    clinic: str | None = typer.Option(None, help="Only this clinic's calls."),
    show: str | None = typer.Option(None, help="Print one call's full record (JSON)."),
) -> None:
    """Recent calls from the call record (newest first), or one call in full."""
    import json

    from receptionist.calls import CallStore

    engine = make_engine(Settings().database_url)
    try:
        store = CallStore(engine)
        store.create_tables()
        if show:
            record = store.get(show)
            if record is None:
                typer.echo(f"no call {show}", err=True)
                raise typer.Exit(1)
            typer.echo(json.dumps(record, indent=2))
            return
        for row in store.recent(limit, clinic):
            started = str(row["started_at"])[:19].replace("T", " ")
            typer.echo(
                f"{started}  {row['id']}  {row['clinic']:<12} {row['mode']:<8}"
                f" {row['outcome']:<11} {row['status'] or '-'}"
            )
    finally:
        engine.dispose()


@app.command("call")
def call(
    url: str = typer.Option("http://127.0.0.1:8000", help="Where the service listens."),
    public_url: str | None = typer.Option(
        None, help="The public base URL the service checks signatures against (default: url)."
    ),
    caller: str = typer.Option("+61412345678", "--from", help="The caller's number."),
    called: str = typer.Option("+61255501234", "--to", help="The clinic's number."),
    auth_token: str | None = typer.Option(
        None,
        "--auth-token",
        envvar="TWILIO_AUTH_TOKEN",
        help="The token the service signs webhooks with (TWILIO_AUTH_TOKEN; in development"
        " without one, the random token `receptionist serve` prints at start).",
    ),
) -> None:
    """Phone a running service as Twilio would: type as the caller ("#1" presses 1)."""
    import asyncio

    from receptionist.telephony.simulator import CallSimulator, run_interactive

    if not auth_token:
        typer.echo(
            "receptionist call needs the service's signing token: pass --auth-token with the"
            " one `receptionist serve` printed at start (development), or set TWILIO_AUTH_TOKEN"
            " to the same value for both.",
            err=True,
        )
        raise typer.Exit(2)
    settings = Settings()
    token = auth_token

    async def main() -> None:
        sim = CallSimulator(
            url,
            token,
            public_base_url=public_url or settings.public_base_url or url,
            caller=caller,
            called=called,
        )

        async def read(prompt: str) -> str | None:
            try:
                return await asyncio.to_thread(input, prompt)
            except EOFError:
                return None

        try:
            await run_interactive(sim, read, typer.echo)
        finally:
            await sim.aclose()

    asyncio.run(main())
