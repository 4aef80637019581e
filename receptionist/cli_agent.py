"""`receptionist chat` and `receptionist eval`: talk to the receptionist, or measure it."""

from __future__ import annotations

import asyncio
import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from diary import Diary
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

if TYPE_CHECKING:
    from receptionist.evals.runner import CaseResult
    from receptionist.evals.scenario import Scenario


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


class EvalEngine(enum.StrEnum):
    """Which engine `receptionist eval` measures."""

    GUIDED = "guided"
    OPENAI = "openai"


def evaluate(
    engine: EvalEngine = typer.Option(
        EvalEngine.OPENAI, help="guided (no key needed) or openai (the configured model)."
    ),
    scenarios: Path | None = typer.Option(
        None,
        "--scenarios",
        help="A directory of scenario files (*.yaml); the public suite if not given.",
        exists=True,
        file_okay=False,
        dir_okay=True,
        resolve_path=True,
    ),
    k: int | None = typer.Option(
        None,
        min=1,
        max=20,
        help="Trials per case; a case passes when all k do (default 3 for openai, 1 guided).",
    ),
    case: list[str] = typer.Option([], help="Only these scenario names (repeatable)."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print one JSON line (passed, total, rate, failed) on stdout; cases go to stderr.",
    ),
) -> None:
    """Run scenario files against the demo clinic (seeded for Monday 2 March 2026, 8 am
    Sydney); exit 0 if every case passed, 1 if any failed, 2 if there are no usable
    scenarios or (for openai) no model settings."""
    from receptionist.evals.scenario import SCENARIO_DIR, load_scenarios

    settings = Settings()
    if engine is EvalEngine.OPENAI and not (settings.openai_api_key or settings.openai_base_url):
        typer.echo(
            "set OPENAI_API_KEY (or RECEPTIONIST_OPENAI_BASE_URL) to evaluate a model, "
            "or use --engine guided",
            err=True,
        )
        raise typer.Exit(2)
    try:
        chosen = load_scenarios(scenarios or SCENARIO_DIR)
    except ValueError as exc:
        typer.echo(f"cannot load the scenarios: {exc}", err=True)
        raise typer.Exit(2) from exc
    unknown = set(case) - {s.name for s in chosen}
    if unknown:
        typer.echo(f"no such scenario: {', '.join(sorted(unknown))}", err=True)
        raise typer.Exit(2)
    chosen = [s for s in chosen if not case or s.name in case]
    if not chosen:
        typer.echo(f"no scenario files (*.yaml) in {scenarios or SCENARIO_DIR}", err=True)
        raise typer.Exit(2)
    trials = k or (3 if engine is EvalEngine.OPENAI else 1)
    summary = asyncio.run(_evaluate(settings, engine, chosen, trials, as_json))
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        failed = summary["failed"]
        typer.echo(
            f"{summary['passed']}/{summary['total']} passed ({summary['rate']:.1%})"
            + (f"; failed: {', '.join(failed)}" if isinstance(failed, list) and failed else "")
        )
    if summary["failed"]:
        raise typer.Exit(1)


async def _evaluate(
    settings: Settings,
    engine: EvalEngine,
    scenarios: list[Scenario],
    k: int,
    quiet: bool,
) -> dict[str, object]:
    from receptionist.evals.demo import run_on_demo

    def report(result: CaseResult, trial: int) -> None:
        # With --json, stdout carries the summary alone; the per-case lines go to stderr.
        mark = "pass" if result.passed else "FAIL"
        line = f"{result.scenario.name} #{trial + 1}: {mark} {'; '.join(result.failures)}"
        typer.echo(line.rstrip(), err=quiet)

    if engine is EvalEngine.GUIDED:
        from receptionist.agent.engines.guided import GuidedEngine

        tally = await run_on_demo(
            scenarios, lambda clinic: GuidedEngine(), settings, k=k, report=report
        )
        return {**tally.summary(), "engine": engine.value, "k": k}

    from receptionist.agent.engines.openai_chat import OpenAIChatEngine
    from receptionist.agent.runtime import instructions_for
    from receptionist.agent.toolbox import chat_schemas
    from receptionist.agent.tools import TOOLS

    client = openai_client(settings)
    try:
        tally = await run_on_demo(
            scenarios,
            lambda clinic: OpenAIChatEngine(
                client, settings.openai_model, instructions_for(clinic), chat_schemas(TOOLS)
            ),
            settings,
            k=k,
            report=report,
        )
    finally:
        await client.close()
    trials = sum(tally.passes.values())
    pass_at_1 = round(trials / (len(tally.passes) * k), 3) if tally.passes else 0.0
    return {
        **tally.summary(),
        "engine": engine.value,
        "model": settings.openai_model,
        "k": k,
        "pass_at_1": pass_at_1,
    }
