"""`InMemoryPMS`: a small clinic kept in memory, behind the receptionist's adapter contract.

One location, two practitioners, two appointment types, open weekdays 09:00-17:00 local time
with starts every 15 minutes. Every write runs under one `asyncio.Lock`, so a slot is checked
and taken in one step (no double booking) and a move is all or nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers

from pms_adapters.errors import IdempotencyConflict, InvalidRequest, NotFound, SlotUnavailable
from pms_adapters.slot_ids import SlotCodec, SlotKey
from pms_adapters.types import (
    Appointment,
    AppointmentStatus,
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

OPENS, CLOSES = time(9), time(17)
STEP = timedelta(minutes=15)
MAX_WINDOW_DAYS = 31
MAX_KEY_LENGTH = 255

Now = Callable[[], datetime]


class InMemoryPMS:
    """The adapter contract over a clinic that lives in this process's memory."""

    name = "inmemory"

    def __init__(
        self,
        *,
        timezone: str = "Australia/Sydney",
        region: str = "AU",
        slot_secret: bytes | None = None,
        now: Now | None = None,
        latency: float = 0.0,
    ) -> None:
        self._zone = ZoneInfo(timezone)
        self._region = region.upper()
        self._codec = SlotCodec(slot_secret or secrets.token_bytes(32))
        self._now = now or (lambda: datetime.now(UTC))
        self._latency = latency
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._location = Location(id="loc-1", name="Main Street", timezone=timezone)
        self._practitioners = {
            p.id: p
            for p in (
                Practitioner(
                    id="prac-1", name="Dr Ada Byron", title="Physio", location_ids=("loc-1",)
                ),
                Practitioner(
                    id="prac-2", name="Sam Okafor", title="Physio", location_ids=("loc-1",)
                ),
            )
        }
        self._types = {
            t.id: t
            for t in (
                AppointmentType(id="type-standard", name="Standard consult", duration_minutes=30),
                AppointmentType(id="type-initial", name="Initial assessment", duration_minutes=60),
            )
        }
        self._patients: dict[str, Patient] = {}
        self._appointments: dict[str, Appointment] = {}
        # key -> (fingerprint of the request, id of what it produced)
        self._keys: dict[str, tuple[Hashable, str]] = {}

    @property
    def capabilities(self) -> Capabilities:
        """What this adapter can do."""
        return Capabilities(native_idempotency=True, max_slot_window_days=MAX_WINDOW_DAYS)

    async def _io(self) -> None:
        await asyncio.sleep(self._latency)  # also yields, as a network call would

    # -- reference data -------------------------------------------------------------------

    async def locations(self) -> list[Location]:
        """The one location."""
        await self._io()
        return [self._location]

    async def practitioners(self) -> list[Practitioner]:
        """Both practitioners."""
        await self._io()
        return list(self._practitioners.values())

    async def appointment_types(self) -> list[AppointmentType]:
        """Both appointment types."""
        await self._io()
        return list(self._types.values())

    # -- availability ---------------------------------------------------------------------

    def _starts(self, day: date, duration: timedelta) -> list[datetime]:
        """Every start (UTC) on a local day at which an appointment of `duration` fits."""
        if day.weekday() >= 5:
            return []
        start = datetime.combine(day, OPENS, self._zone)
        close = datetime.combine(day, CLOSES, self._zone)
        out = []
        while start + duration <= close:
            out.append(start.astimezone(UTC))
            start += STEP
        return out

    def _is_free(self, key: SlotKey, duration: timedelta, moving: str | None = None) -> bool:
        end = key.starts_at + duration
        return not any(
            a.practitioner_id == key.practitioner_id
            and a.status == AppointmentStatus.BOOKED
            and a.id != moving
            and a.starts_at < end
            and key.starts_at < a.ends_at
            for a in self._appointments.values()
        )

    def _type(self, type_id: str) -> AppointmentType:
        if type_id not in self._types:
            raise NotFound(f"appointment type {type_id} not found")
        return self._types[type_id]

    async def find_slots(self, query: SlotQuery) -> list[Slot]:
        """Free slots in the window, in time order."""
        await self._io()
        kind = self._type(query.appointment_type_id)
        if query.ends_before - query.starts_after > timedelta(days=MAX_WINDOW_DAYS):
            raise InvalidRequest(f"search at most {MAX_WINDOW_DAYS} days at a time")
        if query.location_id is not None and query.location_id != self._location.id:
            raise NotFound(f"location {query.location_id} not found")
        pids = query.practitioner_ids or tuple(self._practitioners)
        for pid in pids:
            if pid not in self._practitioners:
                raise NotFound(f"practitioner {pid} not found")
        duration = timedelta(minutes=kind.duration_minutes)
        earliest = max(query.starts_after, self._now())
        day = query.starts_after.astimezone(self._zone).date()
        slots: list[Slot] = []
        while datetime.combine(day, time(0), self._zone) < query.ends_before:
            for start in self._starts(day, duration):
                if not earliest <= start < query.ends_before:
                    continue
                for pid in sorted(pids):
                    key = SlotKey(pid, self._location.id, kind.id, start)
                    if self._is_free(key, duration):
                        slots.append(self._slot(key, duration))
            day += timedelta(days=1)
        return slots[: query.limit]

    def _slot(self, key: SlotKey, duration: timedelta) -> Slot:
        return Slot(
            id=self._codec.encode(key),
            practitioner_id=key.practitioner_id,
            location_id=key.location_id,
            appointment_type_id=key.appointment_type_id,
            starts_at=key.starts_at,
            ends_at=key.starts_at + duration,
        )

    def _bookable(self, slot_id: str, moving: str | None = None) -> tuple[SlotKey, timedelta]:
        """The slot behind `slot_id` if it can be booked right now, else SlotUnavailable."""
        key = self._codec.decode(slot_id)
        kind = self._types.get(key.appointment_type_id)
        if (
            kind is None
            or key.practitioner_id not in self._practitioners
            or key.location_id != self._location.id
        ):
            raise SlotUnavailable("that slot is no longer offered; search again")
        duration = timedelta(minutes=kind.duration_minutes)
        day = key.starts_at.astimezone(self._zone).date()
        if key.starts_at <= self._now() or key.starts_at not in self._starts(day, duration):
            raise SlotUnavailable("that slot is no longer offered; search again")
        if not self._is_free(key, duration, moving):
            raise SlotUnavailable("that time has just been taken")
        return key, duration

    # -- idempotency ----------------------------------------------------------------------

    def _replay(self, key: str, fingerprint: Hashable) -> str | None:
        """The id an earlier request with `key` produced; IdempotencyConflict if it differed."""
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            raise InvalidRequest(f"idempotency key must be 1 to {MAX_KEY_LENGTH} characters")
        if key not in self._keys:
            return None
        earlier, result = self._keys[key]
        if earlier != fingerprint:
            raise IdempotencyConflict("idempotency key was already used for a different request")
        return result

    # -- patients -------------------------------------------------------------------------

    def _e164(self, raw: str) -> str:
        try:
            number = phonenumbers.parse(raw, self._region)
        except phonenumbers.NumberParseException as exc:
            raise InvalidRequest("that is not a phone number") from exc
        if not phonenumbers.is_possible_number(number):
            raise InvalidRequest("that is not a possible phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    async def find_patients(self, query: PatientQuery) -> list[Patient]:
        """Patients matching every criterion given: phone, name words, date of birth."""
        await self._io()
        phone = self._e164(query.phone) if query.phone else None
        words = (query.name or "").casefold().split()
        found = []
        for patient in self._patients.values():
            names = f"{patient.first_name} {patient.last_name}".casefold().split()
            if (
                (phone is None or phone in patient.phones)
                and all(w in names for w in words)
                and query.date_of_birth in (None, patient.date_of_birth)
            ):
                found.append(patient)
        return found

    async def create_patient(self, patient: NewPatient, idempotency_key: str) -> Patient:
        """Register a patient; the same key and details return the same patient."""
        await self._io()
        if not patient.first_name.strip() or not patient.last_name.strip():
            raise InvalidRequest("a patient needs a first and a last name")
        phones = tuple(dict.fromkeys(self._e164(p) for p in patient.phones))
        async with self._lock:
            fingerprint = ("create_patient", patient)
            earlier = self._replay(idempotency_key, fingerprint)
            if earlier is not None:
                return self._patients[earlier]
            created = Patient(
                id=f"pat-{next(self._ids)}",
                first_name=patient.first_name.strip(),
                last_name=patient.last_name.strip(),
                date_of_birth=patient.date_of_birth,
                phones=phones,
                email=patient.email,
            )
            self._patients[created.id] = created
            self._keys[idempotency_key] = (fingerprint, created.id)
            return created

    # -- appointments ---------------------------------------------------------------------

    def _appointment(self, appointment_id: str) -> Appointment:
        if appointment_id not in self._appointments:
            raise NotFound(f"appointment {appointment_id} not found")
        return self._appointments[appointment_id]

    async def appointments(self, patient_id: str, window: Window) -> list[Appointment]:
        """The patient's booked appointments starting in the window, in time order."""
        await self._io()
        if patient_id not in self._patients:
            raise NotFound(f"patient {patient_id} not found")
        return sorted(
            (
                a
                for a in self._appointments.values()
                if a.patient_id == patient_id
                and a.status != AppointmentStatus.CANCELLED
                and window.starts_at <= a.starts_at < window.ends_at
            ),
            key=lambda a: (a.starts_at, a.id),
        )

    async def book(
        self, slot_id: str, patient_id: str, idempotency_key: str, notes: str = ""
    ) -> Appointment:
        """Book the slot for the patient, once per idempotency key."""
        await self._io()
        async with self._lock:
            fingerprint = ("book", self._codec.decode(slot_id), patient_id, notes)
            earlier = self._replay(idempotency_key, fingerprint)
            if earlier is not None:
                return self._appointments[earlier]
            if patient_id not in self._patients:
                raise NotFound(f"patient {patient_id} not found")
            key, duration = self._bookable(slot_id)
            await self._io()  # a real PMS answers later; the lock keeps the check valid
            booked = Appointment(
                id=f"appt-{next(self._ids)}",
                patient_id=patient_id,
                practitioner_id=key.practitioner_id,
                location_id=key.location_id,
                appointment_type_id=key.appointment_type_id,
                starts_at=key.starts_at,
                ends_at=key.starts_at + duration,
                notes=notes,
            )
            self._appointments[booked.id] = booked
            self._keys[idempotency_key] = (fingerprint, booked.id)
            return booked

    async def reschedule(
        self, appointment_id: str, slot_id: str, idempotency_key: str
    ) -> Appointment:
        """Move a booked appointment to the slot: one assignment, so all or nothing."""
        await self._io()
        async with self._lock:
            current = self._appointment(appointment_id)
            fingerprint = ("reschedule", appointment_id, self._codec.decode(slot_id))
            earlier = self._replay(idempotency_key, fingerprint)
            if earlier is not None:
                return self._appointments[earlier]
            if current.status != AppointmentStatus.BOOKED:
                raise InvalidRequest(f"a {current.status} appointment cannot be moved")
            if current.starts_at <= self._now():
                raise InvalidRequest("an appointment that has started cannot be moved")
            key, duration = self._bookable(slot_id, moving=appointment_id)
            moved = current.model_copy(
                update={
                    "practitioner_id": key.practitioner_id,
                    "location_id": key.location_id,
                    "appointment_type_id": key.appointment_type_id,
                    "starts_at": key.starts_at,
                    "ends_at": key.starts_at + duration,
                }
            )
            self._appointments[appointment_id] = moved
            self._keys[idempotency_key] = (fingerprint, appointment_id)
            return moved

    async def cancel(
        self, appointment_id: str, reason: CancellationReason, note: str = ""
    ) -> Appointment:
        """Cancel; cancelling a cancelled appointment returns it unchanged."""
        await self._io()
        try:
            CancellationReason(reason)
        except ValueError as exc:
            raise InvalidRequest("unknown cancellation reason") from exc
        async with self._lock:
            current = self._appointment(appointment_id)
            if current.status == AppointmentStatus.CANCELLED:
                return current
            if current.status != AppointmentStatus.BOOKED:
                raise InvalidRequest(f"a {current.status} appointment cannot be cancelled")
            cancelled = current.model_copy(update={"status": AppointmentStatus.CANCELLED})
            self._appointments[appointment_id] = cancelled
            return cancelled

    async def aclose(self) -> None:
        """Nothing to release."""
