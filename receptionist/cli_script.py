"""`receptionist script ...`: check a clinic's call script and preview the LLM instructions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from receptionist.agent.script import (
    CallScript,
    ScriptError,
    demo_script,
    load_script,
    render_instructions,
)

script_app = typer.Typer(
    help="Call scripts: what the clinic wants said on the phone (YAML).", no_args_is_help=True
)

DEFAULT_ZONE = "Australia/Sydney"


def _load(file: Path, defaults: bool) -> CallScript:
    """The script at `file`, or a clean error listing and exit code 1."""
    try:
        return load_script(file, defaults=defaults)
    except ScriptError as exc:
        for issue in exc.errors:
            typer.echo(str(issue), err=True)
        raise typer.Exit(1) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        typer.echo(f"{file}: cannot read: {reason}", err=True)
        raise typer.Exit(1) from None


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@script_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The clinic's call script (YAML).")],
    defaults: Annotated[
        bool, typer.Option(help="Merge the script over the shipped defaults.yaml.")
    ] = True,
) -> None:
    """Validate a call script; print each problem as file:line: path: message."""
    script = _load(file, defaults)
    bookable = (
        "all types bookable by phone"
        if script.bookable_by_phone == "all"
        else f"{_plural(len(script.bookable_by_phone), 'type')} bookable by phone"
    )
    transfer = f"transfers to {script.transfer.number}" if script.transfer.number else "no transfer"
    details = ", ".join(
        [
            _plural(len(script.faqs), "FAQ"),
            _plural(len(script.prices), "price"),
            _plural(len(script.locations), "location"),
            bookable,
            transfer,
            f"emergency {script.emergency_number}",
        ]
    )
    typer.echo(f"OK: {script.clinic_name} ({details})")


@script_app.command("render")
def render(
    file: Annotated[
        Path | None, typer.Argument(help="The clinic's call script; the demo clinic's if omitted.")
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(help="The clinic's local date, YYYY-MM-DD (default: today in --zone)."),
    ] = None,
    zone: Annotated[str, typer.Option(help="The clinic's IANA time zone.")] = DEFAULT_ZONE,
    appointment_type: Annotated[
        list[str] | None,
        typer.Option(
            "--type", help="An appointment type name from the practice system (repeatable)."
        ),
    ] = None,
) -> None:
    """Print the system instructions the receptionist LLM gets for a script."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        typer.echo(f"unknown time zone {zone!r}", err=True)
        raise typer.Exit(1) from None
    if today is None:
        day = datetime.now(UTC).astimezone(tz).date()
    else:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            typer.echo(f"--today must be a date like 2026-03-02, not {today!r}", err=True)
            raise typer.Exit(1) from None
    script = demo_script() if file is None else _load(file, True)
    text = render_instructions(
        script, today=day, clinic_zone=zone, appointment_types=appointment_type or ()
    )
    typer.echo(text, nl=False)
