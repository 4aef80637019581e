"""`Kit`: one check's view of the sandbox: patients, free slots, bookings, and the clean-up."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import anyio

from pms_adapters.conformance.checked import CheckedAdapter, expect, fail
from pms_adapters.conformance.sandbox import Sandbox, unique_token
from pms_adapters.types import (
    Appointment,
    AppointmentType,
    CancellationReason,
    NewPatient,
    Patient,
    Slot,
    SlotQuery,
    Window,
)

SlotPlace = tuple[str, str, datetime]
"""Who, where and when: what makes two slots (or a slot and an appointment) the same time."""


def place(item: Slot | Appointment) -> SlotPlace:
    """The practitioner, location and start of a slot or an appointment."""
    return (item.practitioner_id, item.location_id, item.starts_at)


def describe(item: Slot | Appointment) -> str:
    """'practitioner P at location L from <UTC start>', for messages."""
    return (
        f"practitioner {item.practitioner_id} at location {item.location_id}"
        f" from {item.starts_at.isoformat()}"
    )


class Kit:
    """What one check uses: the checked adapter, helpers, and what to cancel afterwards."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.pms = CheckedAdapter(sandbox.adapter, sandbox.timeout)
        self.run = unique_token()
        self._serial = itertools.count(1)
        self._booked: dict[str, None] = {}  # appointment ids, in order, to cancel at the end

    @property
    def window(self) -> Window:
        """The sandbox's window."""
        return self.sandbox.window

    def key(self, purpose: str) -> str:
        """A fresh idempotency key, unique to this run."""
        return f"conformance-{self.run}-{purpose}-{next(self._serial)}"

    def query(self, **changes: object) -> SlotQuery:
        """A search of the sandbox window for the sandbox's appointment type."""
        fields: dict[str, object] = {
            "appointment_type_id": self.sandbox.appointment_type_id,
            "starts_after": self.window.starts_at,
            "ends_before": self.window.ends_at,
        }
        fields.update(changes)
        return SlotQuery.model_validate(fields)

    async def appointment_type(self) -> AppointmentType:
        """The sandbox's appointment type, as the adapter lists it."""
        wanted = self.sandbox.appointment_type_id
        for kind in await self.pms.appointment_types():
            if kind.id == wanted:
                return kind
        fail(
            f"the sandbox's appointment type {wanted!r} is not among"
            " adapter.appointment_types(): give the Sandbox an active type's id"
        )

    async def offered(self, **changes: object) -> list[Slot]:
        """What find_slots offers in the sandbox window."""
        return await self.pms.find_slots(self.query(**changes))

    async def is_offered(self, item: Slot | Appointment) -> bool:
        """Whether find_slots offers this practitioner, location and start right now."""
        # Searching exactly the slot's span suits adapters that read a window as "starting
        # in" and those that read it as "fitting in" alike.
        around = self.query(starts_after=item.starts_at, ends_before=item.ends_at)
        return place(item) in {place(s) for s in await self.pms.find_slots(around)}

    async def free_slots(self, count: int) -> list[Slot]:
        """`count` free slots far enough apart that booking one cannot disturb another."""
        kind = await self.appointment_type()
        gap = timedelta(minutes=kind.duration_minutes) + timedelta(hours=1)
        chosen: list[Slot] = []
        for slot in await self.offered():
            if all(abs(slot.starts_at - c.starts_at) >= gap for c in chosen):
                chosen.append(slot)
                if len(chosen) == count:
                    return chosen
        fail(
            f"the sandbox window ({self.window.starts_at.isoformat()} to"
            f" {self.window.ends_at.isoformat()}) offers {len(chosen)} free slot(s) at least"
            f" an hour apart; this check needs {count}: widen the Sandbox's window or free"
            " up the sandbox's diary"
        )

    async def register(self) -> tuple[NewPatient, Patient]:
        """A new patient with a unique name, as asked for and as the adapter created them."""
        wanted = self.sandbox.new_patient(unique_token())
        created = await self.pms.create_patient(wanted, self.key("patient"))
        return wanted, created

    async def patient_id(self) -> str:
        """A patient to book for: a fresh one where the adapter can create patients."""
        if self.pms.capabilities.create_patients:
            return (await self.register())[1].id
        if self.sandbox.patient_id is None:
            fail(
                "the adapter cannot create patients (capabilities.create_patients is False),"
                " so the Sandbox needs a patient_id to book for"
            )
        return self.sandbox.patient_id

    def remember(self, appointment: Appointment) -> Appointment:
        """Cancel this appointment when the check ends."""
        self._booked[appointment.id] = None
        return appointment

    async def book(self, slot: Slot, patient_id: str, key: str | None = None) -> Appointment:
        """Book `slot` (remembered for clean-up); the booking must succeed."""
        booked = await self.pms.book(slot.id, patient_id, key or self.key("book"))
        return self.remember(booked)

    async def booked_for(self, patient_id: str) -> list[Appointment]:
        """The patient's live appointments in the sandbox window."""
        return await self.pms.appointments(patient_id, self.window)

    async def expect_booked_once(self, patient_id: str, appointment: Appointment) -> None:
        """Fail unless the patient has exactly one live appointment at that time and place."""
        same = [a for a in await self.booked_for(patient_id) if place(a) == place(appointment)]
        for extra in same:
            self.remember(extra)
        expect(
            len(same) == 1,
            f"adapter.appointments() lists {len(same)} appointments for the patient with"
            f" {describe(appointment)} (ids {[a.id for a in same]}); there should be exactly 1",
        )

    async def close(self) -> None:
        """Cancel what the check booked; the sandbox should end as it began (best effort)."""
        for appointment_id in reversed(self._booked):
            with anyio.move_on_after(self.sandbox.timeout), contextlib.suppress(Exception):
                await self.sandbox.adapter.cancel(
                    appointment_id, CancellationReason.OTHER, "conformance kit clean-up"
                )


@contextlib.asynccontextmanager
async def open_kit(sandbox: Sandbox) -> AsyncIterator[Kit]:
    """A `Kit` over the sandbox that cleans up after itself."""
    kit = Kit(sandbox)
    window_days = (sandbox.window.ends_at - sandbox.window.starts_at) / timedelta(days=1)
    limit = kit.pms.capabilities.max_slot_window_days
    expect(
        window_days <= limit,
        f"the Sandbox's window spans {window_days:g} days but the adapter searches at most"
        f" {limit} (capabilities.max_slot_window_days): give the Sandbox a shorter window",
    )
    try:
        yield kit
    finally:
        await kit.close()
