"""How tools run: argument validation, guardrail refusals, PMS errors said plainly, the trace.

A tool is a pydantic argument model plus an async handler. `Toolbox.call` is the one way any
engine runs a tool: it parses the model's arguments (a JSON string or a dict), runs the
handler, turns every failure into a short speakable result the model can act on, and records
the call in the session's trace. Nothing raw (no exception text, no stack trace, no ids the
caller should not hear) ever reaches the model.

A strict model sends every argument, `null` for the ones it leaves out; `null` for an
argument that has a default means "not given", so the default applies (`confirmed: null` is
`False`). Schemas are generated from the argument models in `receptionist.agent.schemas`
(`chat_schemas` and `realtime_schemas` are re-exported here).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import anyio
from pydantic import BaseModel, ValidationError

from pms_adapters.contract import PMSAdapter
from pms_adapters.errors import (
    AuthFailed,
    InvalidRequest,
    NotFound,
    PMSError,
    PMSUnavailable,
    RateLimited,
    SlotUnavailable,
    WriteOutcomeUnknown,
)
from pms_adapters.types import AppointmentType, Location, Practitioner
from receptionist.agent.dates import DateResolver
from receptionist.agent.lockout import FailureCounter, LocalFailureCounter
from receptionist.agent.schemas import chat_schemas, realtime_schemas, strict_parameters
from receptionist.agent.script import CallScript
from receptionist.agent.session import CallSession, TakenMessage, ToolEvent

logger = logging.getLogger(__name__)

__all__ = [
    "Clinic",
    "Refusal",
    "Tool",
    "ToolResult",
    "Toolbox",
    "WRITE_TOOLS",
    "chat_schemas",
    "realtime_schemas",
]

A = TypeVar("A", bound=BaseModel)

REFERENCE_TTL = 300.0  # seconds reference data (practitioners, types) is reused


class Refusal(Exception):
    """A guardrail said no; the text tells the model what to do instead."""

    def __init__(self, say: str, **data: Any) -> None:
        super().__init__(say)
        self.say = say
        self.data = data


@dataclass(frozen=True)
class ToolResult:
    """What a tool returns: short speakable text for the model, structured data for the rest."""

    ok: bool
    say: str
    data: dict[str, Any] = field(default_factory=dict)


MessageSink = Callable[[CallSession, TakenMessage], Awaitable[None]]


@dataclass
class Clinic:
    """One clinic as the agent sees it: its script, its PMS, its zone and its clock."""

    key: str
    script: CallScript
    pms: PMSAdapter
    zone: ZoneInfo
    resolver: DateResolver
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    message_sink: MessageSink | None = None
    # Failed identifications per number calling (see `receptionist.agent.lockout`): the
    # service replaces this with a counter every worker shares.
    count_failures: FailureCounter = field(default_factory=LocalFailureCounter)
    # Pauses before asking again, with the same idempotency key, after a write whose outcome
    # the PMS could not confirm: one retry per pause.
    write_recheck_pauses: tuple[float, ...] = (0.5, 1.0)
    _reference: tuple[float, list[Location], list[Practitioner], list[AppointmentType]] | None = (
        None
    )
    _instructions: tuple[Any, str] | None = None

    def local_now(self) -> datetime:
        return self.now().astimezone(self.zone)

    def today(self) -> date:
        return self.local_now().date()

    def known(self) -> tuple[list[Location], list[Practitioner], list[AppointmentType]]:
        """The reference data already loaded (by `open_clinic`), without a PMS call; empty
        lists before the first load."""
        cached = self._reference
        return (cached[1], cached[2], cached[3]) if cached is not None else ([], [], [])

    async def reference(self) -> tuple[list[Location], list[Practitioner], list[AppointmentType]]:
        """Locations, practitioners and appointment types, reused for a few minutes."""
        cached = self._reference
        if cached is not None and time.monotonic() - cached[0] < REFERENCE_TTL:
            return cached[1], cached[2], cached[3]
        locations = await self.pms.locations()
        practitioners = await self.pms.practitioners()
        types = await self.pms.appointment_types()
        self._reference = (time.monotonic(), locations, practitioners, types)
        return locations, practitioners, types


@dataclass(frozen=True)
class Tool(Generic[A]):
    """A tool the model (or the guided engine) can call."""

    name: str
    description: str
    arguments: type[A]
    handler: Callable[[Toolbox, A], Awaitable[ToolResult]]

    def parameters(self) -> dict[str, Any]:
        """The arguments' JSON schema as strict mode accepts it (`schemas.strict_parameters`)."""
        return strict_parameters(self.arguments)


def _pms_error_text(exc: PMSError, write: bool) -> str:
    """What the receptionist says about a PMS failure; never the exception's own text."""
    if isinstance(exc, SlotUnavailable):
        return (
            "That time has just been taken or is no longer available. Apologise and offer "
            "other times: call find_availability again."
        )
    if isinstance(exc, WriteOutcomeUnknown):
        return (
            "The diary did not confirm whether that went through. Do NOT say it is done. "
            "Tell the caller the clinic will confirm by message, and offer to take a message."
        )
    if isinstance(exc, RateLimited | PMSUnavailable | AuthFailed):
        action = "make that change" if write else "reach the diary"
        return (
            f"I can't {action} right now. Say so honestly, apologise, and offer to take a "
            "message so the clinic can call back."
        )
    if isinstance(exc, NotFound):
        return "The diary no longer has that record. Check with the caller and look again."
    if isinstance(exc, InvalidRequest):
        return "The diary refused that request. Check the details with the caller."
    return "Something went wrong with the diary. Offer to take a message."


def _validation_text(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        problems.append(f"{where}: {error['msg']}")
    return "Invalid arguments (" + "; ".join(problems) + "). Fix them and call again."


class Toolbox:
    """The tools bound to one call: its session and its clinic."""

    def __init__(
        self,
        session: CallSession,
        clinic: Clinic,
        tools: Sequence[Tool[Any]],
        *,
        observer: Callable[[ToolEvent], None] | None = None,
    ) -> None:
        self.session = session
        self.clinic = clinic
        self._tools = {tool.name: tool for tool in tools}
        self.observer = observer

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    async def call(self, name: str, arguments: str | Mapping[str, Any] | None = None) -> ToolResult:
        """Run a tool for the model; always returns, never raises, always traced."""
        started = time.perf_counter()
        parsed: dict[str, Any] | str
        result: ToolResult
        tool = self._tools.get(name)
        parsed, problem = _parse_arguments(arguments)
        if tool is None:
            result = ToolResult(
                False, f"There is no tool called {name!r}. Use one of: {', '.join(self._tools)}."
            )
        elif problem is not None:
            result = ToolResult(False, problem)
        else:
            assert isinstance(parsed, dict)
            result = await self._run(tool, parsed)
        event = ToolEvent(
            name=name,
            arguments=parsed,
            ok=result.ok,
            result=result.say,
            at=datetime.now(UTC),
            duration_ms=(time.perf_counter() - started) * 1000,
            caller_turn=self.session.caller_turns,
            data=_jsonable(result.data),
        )
        self.session.trace.append(event)
        if self.observer is not None:
            self.observer(event)
        return result

    async def _run(self, tool: Tool[Any], arguments: dict[str, Any]) -> ToolResult:
        try:
            args = tool.arguments.model_validate(_unset_nulls(tool.arguments, arguments))
        except ValidationError as exc:
            return ToolResult(False, _validation_text(exc))
        try:
            if tool.name in WRITE_TOOLS:
                # A write in flight is never abandoned half-way (a barge-in or a hang-up
                # cancels the reply, not the booking): it runs to its end, then we stop.
                with anyio.CancelScope(shield=True):
                    return await tool.handler(self, args)
            return await tool.handler(self, args)
        except Refusal as refusal:
            return ToolResult(False, refusal.say, refusal.data)
        except PMSError as exc:
            write = tool.name in WRITE_TOOLS
            logger.warning(
                "tool %s: PMS error %s",
                tool.name,
                type(exc).__name__,
                extra={"call_id": self.session.id},
            )
            self.session.errors.append(f"{tool.name}: {type(exc).__name__}")
            return ToolResult(False, _pms_error_text(exc, write), {"error": type(exc).__name__})
        except Exception as exc:  # the model must never see a raw exception
            logger.exception(
                "tool %s failed unexpectedly", tool.name, extra={"call_id": self.session.id}
            )
            self.session.errors.append(f"{tool.name}: {type(exc).__name__}")
            return ToolResult(
                False,
                "Something went wrong on our side. Apologise and offer to take a message.",
                {"error": type(exc).__name__},
            )


WRITE_TOOLS = frozenset(
    {"book_appointment", "reschedule_appointment", "cancel_appointment", "register_patient"}
)


def _parse_arguments(
    arguments: str | Mapping[str, Any] | None,
) -> tuple[dict[str, Any] | str, str | None]:
    if arguments is None:
        return {}, None
    if isinstance(arguments, Mapping):
        return dict(arguments), None
    text = arguments.strip()
    if not text:
        return {}, None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return arguments, (
            f"The arguments were not valid JSON ({exc.msg} at position {exc.pos}). "
            "Call the tool again with a JSON object."
        )
    if not isinstance(value, dict):
        return arguments, "The arguments must be a JSON object. Call the tool again."
    return value, None


def _unset_nulls(model: type[BaseModel], arguments: dict[str, Any]) -> dict[str, Any]:
    """Drop `null` for arguments that have a default: a strict model's way of not giving one.

    A `null` for a required argument stays, so validation names it and the model can fix it.
    """
    fields = model.model_fields
    return {
        key: value
        for key, value in arguments.items()
        if not (value is None and key in fields and not fields[key].is_required())
    }


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return dict(json.loads(json.dumps(data, default=str)))
    except (TypeError, ValueError):
        return {}
