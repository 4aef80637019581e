"""Running a scenario against a PMS and an engine, and judging it.

The same runner serves the CI suite (guided engine on the caller's words; OpenAI engine on
scripted model turns served by a fake) and `receptionist eval` (a real model, k times a case).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pms_adapters.contract import PMSAdapter
from pms_adapters.errors import PMSError, PMSUnavailable
from pms_adapters.types import (
    Appointment,
    AppointmentType,
    CancellationReason,
    Capabilities,
    Location,
    NewPatient,
    Patient,
    PatientQuery,
    Practitioner,
    Slot,
    SlotQuery,
    Window,
)
from receptionist.agent.dates import NextWeekday
from receptionist.agent.engines import Engine
from receptionist.agent.runtime import open_clinic, start_call
from receptionist.agent.script import CallScript
from receptionist.agent.session import CallSession
from receptionist.agent.toolbox import Clinic
from receptionist.evals.given import GivenError, apply_given
from receptionist.evals.judge import Booked, judge
from receptionist.evals.scenario import Scenario

logger = logging.getLogger(__name__)

SNAPSHOT_DAYS = 120

Person = tuple[str, str, date | None]  # first name, last name, date of birth


class OutagePMS:
    """Passes everything through until `down` is set; then every call is `PMSUnavailable`."""

    def __init__(self, adapter: PMSAdapter) -> None:
        self.adapter = adapter
        self.name = adapter.name
        self.down = False

    @property
    def capabilities(self) -> Capabilities:
        return self.adapter.capabilities

    def _check(self) -> None:
        if self.down:
            raise PMSUnavailable("the practice system is unreachable (simulated outage)")

    async def locations(self) -> list[Location]:
        self._check()
        return await self.adapter.locations()

    async def practitioners(self) -> list[Practitioner]:
        self._check()
        return await self.adapter.practitioners()

    async def appointment_types(self) -> list[AppointmentType]:
        self._check()
        return await self.adapter.appointment_types()

    async def find_slots(self, query: SlotQuery) -> list[Slot]:
        self._check()
        return await self.adapter.find_slots(query)

    async def find_patients(self, query: PatientQuery) -> list[Patient]:
        self._check()
        return await self.adapter.find_patients(query)

    async def create_patient(self, patient: NewPatient, idempotency_key: str) -> Patient:
        self._check()
        return await self.adapter.create_patient(patient, idempotency_key)

    async def appointments(self, patient_id: str, window: Window) -> list[Appointment]:
        self._check()
        return await self.adapter.appointments(patient_id, window)

    async def book(
        self, slot_id: str, patient_id: str, idempotency_key: str, notes: str = ""
    ) -> Appointment:
        self._check()
        return await self.adapter.book(slot_id, patient_id, idempotency_key, notes)

    async def reschedule(
        self, appointment_id: str, slot_id: str, idempotency_key: str
    ) -> Appointment:
        self._check()
        return await self.adapter.reschedule(appointment_id, slot_id, idempotency_key)

    async def cancel(
        self, appointment_id: str, reason: CancellationReason, note: str = ""
    ) -> Appointment:
        self._check()
        return await self.adapter.cancel(appointment_id, reason, note)

    async def aclose(self) -> None:
        await self.adapter.aclose()


async def snapshot(
    pms: PMSAdapter, people: Sequence[Person], now: datetime, clinic: Clinic
) -> dict[str, Booked]:
    """Every booked appointment of these people in the next months, names resolved."""
    _, practitioners, types = await clinic.reference()
    who = {p.id: p.name for p in practitioners}
    kinds = {t.id: t.name for t in types}
    window = Window(starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=SNAPSHOT_DAYS))
    seen: dict[str, Booked] = {}
    for first, last, born in people:
        for patient in await pms.find_patients(
            PatientQuery(name=f"{first} {last}", date_of_birth=born)
        ):
            if (patient.first_name, patient.last_name) != (first, last):
                continue
            for appointment in await pms.appointments(patient.id, window):
                seen[appointment.id] = Booked(
                    id=appointment.id,
                    patient=f"{first} {last}",
                    practitioner=who.get(appointment.practitioner_id, appointment.practitioner_id),
                    type=kinds.get(
                        appointment.appointment_type_id, appointment.appointment_type_id
                    ),
                    starts_at=appointment.starts_at,
                    ends_at=appointment.ends_at,
                )
    return seen


@dataclass
class CaseResult:
    scenario: Scenario
    engine: str
    failures: list[str]
    session: CallSession
    replies: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


async def run_scenario(
    scenario: Scenario,
    pms: PMSAdapter,
    script: CallScript,
    engine_for: Callable[[Clinic], Engine],
    *,
    now: Callable[[], datetime],
    people: Sequence[Person],
    before_turn: Callable[[int], Awaitable[None] | None] | None = None,
    next_weekday: NextWeekday = NextWeekday.ASK,
) -> CaseResult:
    """Set up the scenario's `given:` diary, play the caller's turns, close the call and judge
    the result. A `given:` that cannot be applied fails the case without playing it."""
    try:
        await apply_given(pms, scenario.given, scenario.name)
    except GivenError as exc:
        return CaseResult(scenario, "", [f"given: {exc}"], CallSession(clinic="scenario"))
    except PMSError as exc:
        failure = f"given: the PMS refused it ({type(exc).__name__}: {exc})"
        return CaseResult(scenario, "", [failure], CallSession(clinic="scenario"))
    outage = OutagePMS(pms)
    clinic = await open_clinic("scenario", script, outage, now=now, next_weekday=next_weekday)
    before = await snapshot(pms, people, now(), clinic)
    registered: list[Person] = []
    conversation = start_call(clinic, engine_for(clinic), caller_number=scenario.caller_number)
    replies = [await conversation.greet()]
    if scenario.pms_down:
        outage.down = True
    for index, text in enumerate(scenario.caller):
        if before_turn is not None:
            waited = before_turn(index)
            if waited is not None:
                await waited
        parts = [piece async for piece in conversation.reply(text)]
        replies.append("".join(parts))
        if conversation.finished:
            break
    await conversation.close()
    outage.down = False
    session = conversation.session
    if session.patient is not None:
        p = session.patient
        registered.append((p.first_name, p.last_name, p.date_of_birth))
    after = await snapshot(pms, [*people, *registered], now(), clinic)
    others = [f"{first} {last}" for first, last, _ in people]
    engine = session.engines[0] if session.engines else conversation.engine.name
    failures = judge(scenario, session, before, after, clinic.zone, others, engine)
    return CaseResult(scenario, engine, failures, session, replies)
