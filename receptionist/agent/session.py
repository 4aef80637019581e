"""The call session: everything one call knows, and what an admin reads afterwards.

A session holds the clinic, the caller's number, the patient identified in this call, the slots
offered and appointments listed (each under a short reference the model hands back), the
read-back awaiting the caller's yes, the transcript, the tool trace and the outcome. The tools
read and write it; the guardrails are decided from it, never from the model's say-so.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pms_adapters.types import Appointment, Patient, Slot
from receptionist.agent.matching import fold


class Outcome(enum.StrEnum):
    """How a call ended, most significant first when several things happened."""

    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    MESSAGE = "message"
    TRANSFERRED = "transferred"
    INFO = "info"
    ABANDONED = "abandoned"


Role = Literal["caller", "agent"]


@dataclass
class Turn:
    """One utterance: who said it, what, and when (UTC)."""

    role: Role
    text: str
    at: datetime
    engine: str | None = None
    latency_ms: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "text": self.text,
            "at": self.at.isoformat(),
            "engine": self.engine,
            "latency_ms": self.latency_ms,
        }


@dataclass
class ToolEvent:
    """One tool call as it happened: arguments as given, result as the model saw it."""

    name: str
    arguments: dict[str, Any] | str
    ok: bool
    result: str
    at: datetime
    duration_ms: float
    caller_turn: int
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arguments": self.arguments,
            "ok": self.ok,
            "result": self.result,
            "at": self.at.isoformat(),
            "duration_ms": round(self.duration_ms, 2),
            "caller_turn": self.caller_turn,
            "data": self.data,
        }


@dataclass
class PendingConfirmation:
    """A write read back to the caller, waiting for their yes.

    A registration has no refs: `request` names what was read back (the name and date of
    birth, folded), so a yes to one spelling never registers another.
    """

    action: Literal["book", "reschedule", "cancel", "register"]
    slot_ref: str | None
    appointment_ref: str | None
    readback: str
    after_caller_turn: int
    request: str | None = None

    def matches(
        self,
        action: str,
        slot_ref: str | None,
        appointment_ref: str | None,
        request: str | None = None,
    ) -> bool:
        return (
            self.action == action
            and self.slot_ref == slot_ref
            and self.appointment_ref == appointment_ref
            and self.request == request
        )


@dataclass
class TakenMessage:
    """A message for the clinic's staff."""

    caller_name: str
    callback_number: str | None
    text: str
    at: datetime
    patient_id: str | None = None


@dataclass
class CallSession:
    """State of one call. Created when the call starts; persisted as it goes."""

    clinic: str
    caller_number: str | None = None
    mode: str = "chat"
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended_at: datetime | None = None
    engines: list[str] = field(default_factory=list)
    patient: Patient | None = None
    patient_is_new: bool = False
    identify_failures: int = 0
    # Set once this call, or the number calling, has failed identification too often.
    identity_locked: bool = False
    # Name and birth date pairs (folded) the caller was already asked to confirm once.
    rechecked_births: set[str] = field(default_factory=set)
    offers: dict[str, Slot] = field(default_factory=dict)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    # The refs last put to the caller to choose from (offered slots or listed appointments),
    # and how many caller turns had passed then: a pick is checked against these.
    choices: list[str] = field(default_factory=list)
    choices_at_turn: int = 0
    # The appointment the caller picked to move, once times are being found for it.
    moving: str | None = None
    pending: PendingConfirmation | None = None
    completed_writes: dict[str, Appointment] = field(default_factory=dict)
    # What the PMS confirmed, in order: the source of every confirmation text.
    writes: list[tuple[Outcome, Appointment]] = field(default_factory=list)
    transcript: list[Turn] = field(default_factory=list)
    trace: list[ToolEvent] = field(default_factory=list)
    messages: list[TakenMessage] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    actions: set[Outcome] = field(default_factory=set)
    transfer_reason: str | None = None
    voicemail_requested: bool = False
    end_requested: bool = False
    status: str | None = None  # the telephony provider's final call status
    duration_s: int | None = None
    outcome: Outcome | None = None

    # -- transcript -------------------------------------------------------------------------

    @property
    def caller_turns(self) -> int:
        """How many times the caller has spoken so far."""
        return sum(1 for turn in self.transcript if turn.role == "caller")

    def last_caller_text(self) -> str:
        for turn in reversed(self.transcript):
            if turn.role == "caller":
                return turn.text
        return ""

    def add_turn(
        self,
        role: Role,
        text: str,
        *,
        engine: str | None = None,
        latency_ms: float | None = None,
        at: datetime | None = None,
    ) -> Turn:
        turn = Turn(role, text, at or datetime.now(UTC), engine, latency_ms)
        self.transcript.append(turn)
        return turn

    # -- references handed to the model ------------------------------------------------------

    def offer(self, slot: Slot) -> str:
        """The short reference of an offered slot (the same slot keeps its reference)."""
        for ref, offered in self.offers.items():
            if offered.id == slot.id:
                return ref
        ref = f"s{len(self.offers) + 1}"
        self.offers[ref] = slot
        return ref

    def patient_name_words(self) -> set[str]:
        """The identified caller's own name, folded: never a practitioner's or a pick."""
        if self.patient is None:
            return set()
        return set(fold(f"{self.patient.first_name} {self.patient.last_name}").split())

    def put_choices(self, refs: list[str]) -> None:
        """The caller has just heard these refs (slots or appointments) to choose from."""
        self.choices = list(refs)
        self.choices_at_turn = self.caller_turns
        self.pending = None  # new choices: any read-back before them no longer stands

    def caller_texts_since(self, turn: int) -> list[str]:
        """What the caller said after their first `turn` turns, one entry per turn."""
        return [t.text for t in self.transcript if t.role == "caller"][turn:]

    def remember_appointment(self, appointment: Appointment) -> str:
        for ref, known in self.appointments.items():
            if known.id == appointment.id:
                self.appointments[ref] = appointment
                return ref
        ref = f"a{len(self.appointments) + 1}"
        self.appointments[ref] = appointment
        return ref

    # -- outcome ----------------------------------------------------------------------------

    def final_outcome(self) -> Outcome:
        """The outcome an admin sees: the most significant thing that happened.

        A write, a message or a transfer wins. A call the receptionist closed politely is
        `info`; one that stopped mid-booking (times offered or a read-back unanswered, and
        nothing written) is `abandoned`, as is one where nothing happened at all.
        """
        for outcome in (Outcome.BOOKED, Outcome.MOVED, Outcome.CANCELLED):
            if outcome in self.actions:
                return outcome
        for outcome in (Outcome.MESSAGE, Outcome.TRANSFERRED):
            if outcome in self.actions:
                return outcome
        if self.end_requested:
            return Outcome.INFO
        waiting = self.pending is not None and self.pending.action != "register"
        if waiting or self.offers:
            return Outcome.ABANDONED
        if Outcome.INFO in self.actions:
            return Outcome.INFO
        return Outcome.ABANDONED

    def close(self, at: datetime | None = None) -> Outcome:
        """End the call (idempotent) and fix its outcome."""
        if self.ended_at is None:
            self.ended_at = at or datetime.now(UTC)
            self.outcome = self.final_outcome()
            self.pending = None
        assert self.outcome is not None
        return self.outcome

    def summary(self) -> dict[str, Any]:
        """The call record as JSON-ready data (patient details reduced to the id)."""
        return {
            "id": self.id,
            "clinic": self.clinic,
            "caller_number": self.caller_number,
            "mode": self.mode,
            "engines": list(self.engines),
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "outcome": (self.outcome or self.final_outcome()).value,
            "patient_id": self.patient.id if self.patient else None,
            "transcript": [turn.as_dict() for turn in self.transcript],
            "tool_calls": [event.as_dict() for event in self.trace],
            "messages": [
                {
                    "caller_name": m.caller_name,
                    "callback_number": m.callback_number,
                    "text": m.text,
                    "at": m.at.isoformat(),
                    "patient_id": m.patient_id,
                }
                for m in self.messages
            ],
            "notifications": list(self.notifications),
            "errors": list(self.errors),
            "transfer_reason": self.transfer_reason,
            "voicemail_requested": self.voicemail_requested,
            "status": self.status,
            "duration_s": self.duration_s,
        }
