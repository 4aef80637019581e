"""`receptionist chat` and `receptionist eval`: talk to the receptionist, or measure it."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from diary import Diary, FixedClock
from diary.db import write_session
from diary.seed import DEMO_PATIENTS, seed_demo_clinic
from receptionist.agent.runtime import (
    demo_pms,
    load_clinic_script,
    make_engine,
    open_clinic,
    openai_client,
    start_call,
)
from receptionist.agent.session import ToolEvent
from receptionist.calls import CallStore
from receptionist.settings import Settings

# The scenario suite is written for the demo clinic seeded around Monday 2 March 2026, 8 am.
EVAL_ANCHOR = date(2026, 3, 2)
EVAL_NOW = datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("Australia/Sydney"))


def _show_tool(event: ToolEvent) -> None:
    mark = "ok" if event.ok else "refused"
    typer.secho(f"  [tool {event.name} {event.arguments} -> {mark}: {event.result}]", dim=True)


def chat(
    engine: str = typer.Option(
        "auto", help="auto (OpenAI with a key, else guided), guided, openai."
    ),
    show_tools: bool = typer.Option(False, "--show-tools", help="Print each tool call."),
    caller: str | None = typer.Option(None, help="Caller ID to pretend, e.g. +61412345678."),
) -> None:
    """Talk to the demo clinic's receptionist in the terminal (empty line or Ctrl-D ends)."""
    overrides = {} if engine == "auto" else {"engine": engine}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    asyncio.run(_chat(settings, show_tools, caller))


async def _chat(settings: Settings, show_tools: bool, caller: str | None) -> None:
    diary = Diary.open(settings.database_url)
    store = CallStore(diary.engine)
    store.create_tables()
    pms = demo_pms(settings, diary)
    try:
        clinic = await open_clinic(
            "demo", load_clinic_script(settings), pms, next_weekday=settings.next_weekday
        )
        conversation = start_call(
            clinic,
            make_engine(clinic, settings),
            caller_number=caller,
            save=store.save,
            observer=_show_tool if show_tools else None,
        )
        typer.secho(
            f"({conversation.engine.name} engine; call {conversation.session.id})", dim=True
        )
        typer.echo(f"receptionist> {await conversation.greet()}")
        while not conversation.finished:
            try:
                said = await asyncio.to_thread(input, "you> ")
            except EOFError:
                break
            if not said.strip():
                break
            typer.echo("receptionist> ", nl=False)
            async for piece in conversation.reply(said):
                typer.echo(piece, nl=False)
            typer.echo()
        outcome = await conversation.close()
        typer.secho(f"(call ended: {outcome.value})", dim=True)
    finally:
        await pms.aclose()
        diary.close()


def evaluate(
    k: int = typer.Option(3, min=1, max=20, help="Trials per case."),
    case: list[str] = typer.Option([], help="Only these scenario names (repeatable)."),
) -> None:
    """Run the scenario suite against the real model k times per case; report pass^k."""
    settings = Settings()
    if settings.openai_api_key is None and settings.openai_base_url is None:
        typer.echo("set OPENAI_API_KEY (or RECEPTIONIST_OPENAI_BASE_URL) to evaluate a model")
        raise typer.Exit(2)
    summary = asyncio.run(_evaluate(settings, k, set(case)))
    typer.echo(json.dumps(summary))
    if summary["cases"] == 0:
        raise typer.Exit(1)


async def _evaluate(settings: Settings, k: int, only: set[str]) -> dict[str, object]:
    from receptionist.agent.engines.openai_chat import OpenAIChatEngine
    from receptionist.agent.runtime import instructions_for
    from receptionist.agent.toolbox import chat_schemas
    from receptionist.agent.tools import TOOLS
    from receptionist.evals.runner import run_scenario
    from receptionist.evals.scenario import load_scenarios

    scenarios = [s for s in load_scenarios() if not only or s.name in only]
    client = openai_client(settings)
    passes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "template.db"
        seeded = Diary.open(f"sqlite:///{template}")
        with write_session(seeded.engine) as db:
            seed_demo_clinic(db, EVAL_ANCHOR)
        seeded.close()
        for scenario in scenarios:
            passes[scenario.name] = 0
            for trial in range(k):
                path = Path(scratch) / f"{scenario.name}-{trial}.db"
                shutil.copy(template, path)
                clock = FixedClock(EVAL_NOW)
                diary = Diary.open(f"sqlite:///{path}", clock)
                pms = demo_pms(settings.model_copy(update={"slot_secret": None}), diary)
                try:
                    result = await run_scenario(
                        scenario,
                        pms,
                        load_clinic_script(settings),
                        lambda clinic: OpenAIChatEngine(
                            client,
                            settings.openai_model,
                            instructions_for(clinic),
                            chat_schemas(TOOLS),
                        ),
                        now=clock.now,
                        people=DEMO_PATIENTS,
                    )
                finally:
                    await pms.aclose()
                    diary.close()
                mark = "pass" if result.passed else "FAIL"
                typer.echo(f"{scenario.name} #{trial + 1}: {mark} {'; '.join(result.failures)}")
                passes[scenario.name] += result.passed
    await client.close()
    cases = len(passes)
    all_k = sum(1 for n in passes.values() if n == k)
    return {
        "model": settings.openai_model,
        "k": k,
        "cases": cases,
        "pass_at_1": round(sum(passes.values()) / (cases * k), 3) if cases else 0.0,
        f"pass_hat_{k}": round(all_k / cases, 3) if cases else 0.0,
        "failing": sorted(name for name, n in passes.items() if n < k),
    }
