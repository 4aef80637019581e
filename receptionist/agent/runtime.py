"""Putting a call together: a clinic's PMS, script and clock, an engine, a conversation.

Used by the chat command, the scenario suite and the telephony layer alike, so each of them
gets the same tools, guardrails and fallback.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openai

from diary import Diary
from diary.db import write_session
from diary.seed import ensure_demo_clinic, sydney_today
from pms_adapters.contract import PMSAdapter
from pms_adapters.diary_adapter import DiaryAdapter
from pms_adapters.resilience import ResilientPMS
from receptionist.agent.conversation import Conversation, Saver
from receptionist.agent.dates import DateResolver, NextWeekday
from receptionist.agent.engines import Engine
from receptionist.agent.engines.guided import GuidedEngine
from receptionist.agent.engines.openai_chat import OpenAIChatEngine
from receptionist.agent.lockout import FailureCounter
from receptionist.agent.script import CallScript, demo_script, load_script, render_instructions
from receptionist.agent.session import CallSession, ToolEvent
from receptionist.agent.toolbox import Clinic, MessageSink, Toolbox, chat_schemas
from receptionist.agent.tools import TOOLS
from receptionist.settings import Settings

Clock = Callable[[], datetime]


def _system_now() -> datetime:
    return datetime.now(UTC)


async def open_clinic(
    key: str,
    script: CallScript,
    pms: PMSAdapter,
    *,
    now: Clock = _system_now,
    next_weekday: NextWeekday | str = NextWeekday.ASK,
    message_sink: MessageSink | None = None,
    count_failures: FailureCounter | None = None,
) -> Clinic:
    """A clinic ready to take calls; its zone is its first location's (the PMS knows it).

    `count_failures` counts failed identifications per number calling; without one, each
    process counts its own (`receptionist.agent.lockout`)."""
    locations = await pms.locations()
    zone = ZoneInfo(locations[0].timezone) if locations else ZoneInfo("UTC")
    day_first = script.country.upper() not in ("US", "CA", "PH")
    resolver = DateResolver(zone, now, next_weekday=NextWeekday(next_weekday), day_first=day_first)
    clinic = Clinic(
        key=key,
        script=script,
        pms=pms,
        zone=zone,
        resolver=resolver,
        now=now,
        message_sink=message_sink,
    )
    if count_failures is not None:
        clinic.count_failures = count_failures
    await clinic.reference()
    return clinic


def openai_client(settings: Settings) -> openai.AsyncOpenAI:
    """A client for the configured OpenAI-compatible server, with the call's patience."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unset"
    return openai.AsyncOpenAI(
        api_key=key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=1,
    )


def instructions_for(clinic: Clinic) -> str:
    """The clinic's rendered instructions for today (rendered once a day per clinic)."""
    types = tuple(t.name for t in clinic.known()[2])
    key = (clinic.today(), types)
    cached = clinic._instructions
    if cached is not None and cached[0] == key:
        return cached[1]
    text = render_instructions(
        clinic.script,
        today=key[0],
        clinic_zone=str(clinic.zone),
        appointment_types=types,
    )
    clinic._instructions = (key, text)
    return text


def make_engine(
    clinic: Clinic,
    settings: Settings,
    *,
    client: openai.AsyncOpenAI | None = None,
) -> Engine:
    """The engine the settings ask for: OpenAI with a key (or when forced), else guided."""
    if not settings.use_openai:
        return GuidedEngine()
    return OpenAIChatEngine(
        client or openai_client(settings),
        settings.openai_model,
        instructions_for(clinic),
        chat_schemas(TOOLS),
    )


def start_call(
    clinic: Clinic,
    engine: Engine,
    *,
    caller_number: str | None = None,
    mode: str = "chat",
    save: Saver | None = None,
    session: CallSession | None = None,
    observer: Callable[[ToolEvent], None] | None = None,
) -> Conversation:
    """A conversation for a new call (the guided engine stands by as the fallback)."""
    session = session or CallSession(clinic=clinic.key, caller_number=caller_number, mode=mode)
    box = Toolbox(session, clinic, TOOLS, observer=observer)
    fallback = engine if isinstance(engine, GuidedEngine) else GuidedEngine()
    return Conversation(box, engine, fallback=fallback, save=save)


def demo_pms(settings: Settings, diary: Diary) -> PMSAdapter:
    """The embedded demo clinic's diary behind the adapter contract, with its resilience."""
    with write_session(diary.engine) as db:
        clinic_id = ensure_demo_clinic(db, sydney_today(diary.clock.now())).id
    secret = (
        settings.slot_secret.get_secret_value().encode()
        if settings.slot_secret is not None
        else secrets.token_bytes(32)
    )
    return ResilientPMS(DiaryAdapter(diary, clinic_id, secret))


def load_clinic_script(settings: Settings) -> CallScript:
    """The script from settings, or the demo clinic's."""
    return load_script(settings.script_path) if settings.script_path else demo_script()
