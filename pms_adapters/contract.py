"""The adapter contract: what every PMS adapter implements, as a `typing.Protocol`.

All methods are async and must never block the event loop (a blocked loop stalls every live
call on the worker). Errors are the ones in `pms_adapters.errors`, nothing else.

Writes take an idempotency key: the same key with the same request returns the same result and
never a second appointment or patient. Where the PMS has no idempotency of its own (Cliniko,
Nookal), the adapter looks for the result of an earlier attempt before it retries a write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

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


@runtime_checkable
class PMSAdapter(Protocol):
    """A practice management system, seen through the one interface the agent uses."""

    name: str

    @property
    def capabilities(self) -> Capabilities:
        """What this adapter can do."""
        ...

    async def locations(self) -> list[Location]:
        """The locations this connection covers."""
        ...

    async def practitioners(self) -> list[Practitioner]:
        """Active practitioners."""
        ...

    async def appointment_types(self) -> list[AppointmentType]:
        """Active appointment types."""
        ...

    async def find_slots(self, query: SlotQuery) -> list[Slot]:
        """Live free slots in the query's window, in time order, each with a stable id."""
        ...

    async def find_patients(self, query: PatientQuery) -> list[Patient]:
        """Patients matching every criterion given, best match first."""
        ...

    async def create_patient(self, patient: NewPatient, idempotency_key: str) -> Patient:
        """Register a patient (the same key returns the same patient)."""
        ...

    async def appointments(self, patient_id: str, window: Window) -> list[Appointment]:
        """The patient's appointments starting in the window, cancelled ones excluded."""
        ...

    async def book(
        self, slot_id: str, patient_id: str, idempotency_key: str, notes: str = ""
    ) -> Appointment:
        """Book the slot `slot_id` (from find_slots) for the patient."""
        ...

    async def reschedule(
        self, appointment_id: str, slot_id: str, idempotency_key: str
    ) -> Appointment:
        """Move an appointment to the slot `slot_id`: all or nothing."""
        ...

    async def cancel(
        self, appointment_id: str, reason: CancellationReason, note: str = ""
    ) -> Appointment:
        """Cancel an appointment; cancelling a cancelled one returns it unchanged."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


AdapterFactory = Callable[[Mapping[str, Any]], PMSAdapter]
"""What an entry point in `receptionist.pms_adapters` names: settings in, adapter out."""
