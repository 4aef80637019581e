"""Appointments in Nookal: finding one, listing a patient's, and booking, moving, cancelling.

Nookal has no call that returns one appointment (spec 7.6): an appointment is found by listing
`getAppointments` for its patient and date (remembered from when we last saw it) or, failing
that, for a span of dates around today, and matching `ID` exactly (never `rows[0]`: a filter
the server ignores returns unrelated rows).

Every write is checked before it is sent (the slot is still free, re-read just before booking,
spec 8) and confirmed afterwards by re-reading (spec 10.2: an ignored parameter still says
success). Refusals are explained by looking again: a booking Nookal refuses while the time is no
longer free is `SlotUnavailable`; any other refusal is `InvalidRequest`. Idempotency: see
`idempotency`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pms_adapters.errors import InvalidRequest, NotFound, PMSUnavailable, SlotUnavailable
from pms_adapters.nookal import assumptions, mapping
from pms_adapters.nookal.availability import AvailabilityReader, local_date_and_minute
from pms_adapters.nookal.client import NookalClient, NookalFailure
from pms_adapters.nookal.config import NookalConfig
from pms_adapters.nookal.grid import Run, is_free, with_freed
from pms_adapters.nookal.idempotency import KeyLedger, check_key, write_once
from pms_adapters.nookal.patients import patient_row
from pms_adapters.nookal.reference import Reference, ReferenceData
from pms_adapters.nookal.values import as_id, is_nookal_id
from pms_adapters.slot_ids import SlotCodec, SlotKey
from pms_adapters.types import Appointment, AppointmentStatus, CancellationReason, Window

Row = Mapping[str, Any]
STALE = "that slot is no longer offered; search again"
LOOKUP_DAYS_BACK = 31
LOOKUP_DAYS_AHEAD = 190


@dataclass(frozen=True, slots=True)
class Target:
    """Where a slot id points, in the location's local time."""

    key: SlotKey
    zone: str
    day: date
    minute: int
    duration: int

    def holds(self, appointment: Appointment) -> bool:
        """Whether `appointment` is booked exactly here."""
        return (
            appointment.status == AppointmentStatus.BOOKED
            and appointment.practitioner_id == self.key.practitioner_id
            and appointment.location_id == self.key.location_id
            and appointment.appointment_type_id == self.key.appointment_type_id
            and appointment.starts_at == self.key.starts_at
        )


def _clock_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}:00"


class AppointmentBook:
    """Reads and writes appointments for the adapter."""

    def __init__(
        self,
        client: NookalClient,
        config: NookalConfig,
        reference: ReferenceData,
        reader: AvailabilityReader,
        codec: SlotCodec,
    ) -> None:
        self._client = client
        self._config = config
        self._reference = reference
        self._reader = reader
        self._codec = codec
        self._ledger = KeyLedger()
        # appointment id -> (patient id, local date): where getAppointments will show it
        self._where: dict[str, tuple[str, date]] = {}

    # -- reading --------------------------------------------------------------------------

    def _convert(self, row: Row, ref: Reference) -> Appointment | None:
        location = ref.locations.get(as_id(row.get("locationID")))
        if location is None:
            return None  # a location this connection does not cover
        found = mapping.appointment(row, location.timezone, ref.type_ids_by_name)
        if found is not None:
            day, _ = local_date_and_minute(found.starts_at, location.timezone)
            self._where[found.id] = (found.patient_id, day)
        return found

    async def _list(self, ref: Reference, **filters: object) -> list[Appointment]:
        rows = await self._client.fetch_all("getAppointments", "appointments", filters)
        wanted = as_id(filters.get("patient_id"))
        listed = []
        for row in rows:
            if wanted and as_id(row.get("patientID")) != wanted:
                continue  # spec 10.9: an ignored filter returns unrelated rows
            found = self._convert(row, ref)
            if found is not None:
                listed.append(found)
        return listed

    async def for_patient(self, patient_id: str, window: Window) -> list[Appointment]:
        """The patient's live appointments starting in the window, in time order."""
        await self._require_patient(patient_id)
        ref = await self._reference.get()
        first = (window.starts_at - timedelta(days=1)).date()
        last = (window.ends_at + timedelta(days=1)).date()
        listed = await self._list(ref, patient_id=patient_id, date_from=first, date_to=last)
        return sorted(
            (
                a
                for a in listed
                if a.status != AppointmentStatus.CANCELLED
                and window.starts_at <= a.starts_at < window.ends_at
            ),
            key=lambda a: (a.starts_at, a.id),
        )

    async def find(self, appointment_id: str) -> Appointment:
        """One appointment by id; NotFound if Nookal (for our locations) has none."""
        if not is_nookal_id(appointment_id):
            raise NotFound(f"appointment {appointment_id[:64]!r} not found")
        ref = await self._reference.get()
        today = self._config.clock().date()
        searches: list[dict[str, object]] = []
        hint = self._where.get(appointment_id)
        if hint is not None:
            patient_id, day = hint
            searches.append({"patient_id": patient_id, "date_from": day, "date_to": day})
            searches.append(
                {
                    "patient_id": patient_id,
                    "date_from": today - timedelta(days=LOOKUP_DAYS_BACK),
                    "date_to": today + timedelta(days=LOOKUP_DAYS_AHEAD),
                }
            )
        searches.append(
            {
                "date_from": today - timedelta(days=LOOKUP_DAYS_BACK),
                "date_to": today + timedelta(days=LOOKUP_DAYS_AHEAD),
            }
        )
        for filters in searches:
            for found in await self._list(ref, **filters):
                if found.id == appointment_id:
                    return found
        raise NotFound(f"appointment {appointment_id!r} not found")

    async def _require_patient(self, patient_id: str) -> None:
        if not is_nookal_id(patient_id) or await patient_row(self._client, patient_id) is None:
            raise NotFound(f"patient {patient_id[:64]!r} not found")

    async def _held_by(self, patient_id: str, target: Target) -> Appointment | None:
        """The patient's appointment at exactly the target, if there is one."""
        ref = await self._reference.get()
        day = target.day
        for found in await self._list(ref, patient_id=patient_id, date_from=day, date_to=day):
            if target.holds(found):
                return found
        return None

    # -- checks ---------------------------------------------------------------------------

    async def _target(self, slot_id: str) -> Target:
        """What a slot id points at, still offered by the reference data; else SlotUnavailable."""
        key = self._codec.decode(slot_id)
        ref = await self._reference.get()
        if not ref.offers(key.practitioner_id, key.location_id, key.appointment_type_id):
            raise SlotUnavailable(STALE)
        if key.starts_at <= self._config.clock():
            raise SlotUnavailable("that time has already passed; search again")
        zone = ref.locations[key.location_id].timezone
        day, minute = local_date_and_minute(key.starts_at, zone)
        duration = ref.types[key.appointment_type_id].duration_minutes
        return Target(key, zone, day, minute, duration)

    async def _is_free(self, target: Target, moving: Appointment | None = None) -> bool:
        days = await self._reader.runs(
            target.key.location_id, target.key.practitioner_id, target.day, target.day
        )
        runs = days.get(target.day, [])
        if moving is not None and moving.practitioner_id == target.key.practitioner_id:
            day, minute = local_date_and_minute(moving.starts_at, target.zone)
            if day == target.day:
                length = int((moving.ends_at - moving.starts_at).total_seconds() // 60)
                runs = with_freed(runs, Run(minute, minute + length))
        return is_free(runs, target.minute, target.duration)

    async def _require_free(self, target: Target, moving: Appointment | None = None) -> None:
        if not await self._is_free(target, moving):
            raise SlotUnavailable("that time has just been taken; search again")

    async def _explain(
        self, refusal: NookalFailure, target: Target, moving: Appointment | None
    ) -> None:
        """A refused write: SlotUnavailable if the time is no longer free, else the refusal."""
        if not await self._is_free(target, moving):
            raise SlotUnavailable("that time has just been taken; search again") from refusal
        raise refusal

    def _place_fields(self, target: Target) -> dict[str, object]:
        return {
            "location_id": target.key.location_id,
            "appointment_date": target.day.isoformat(),
            "start_time": _clock_time(target.minute),
            "practitioner_id": target.key.practitioner_id,
            "appointment_type_id": target.key.appointment_type_id,
            **assumptions.BOOKING_OVERLAP_PARAMS,
        }

    # -- writing --------------------------------------------------------------------------

    async def book(self, slot_id: str, patient_id: str, key: str, notes: str) -> Appointment:
        """Book the slot for the patient (see the module notes)."""
        target = await self._target(slot_id)
        check_key(key)
        fingerprint = ("book", slot_id, patient_id)
        async with self._ledger.hold(key):
            done = self._ledger.result(key, fingerprint)
            if done is not None:
                return await self.find(done)
            await self._require_patient(patient_id)
            self._ledger.record(key, fingerprint, None)

            async def look() -> Appointment | None:
                return await self._held_by(patient_id, target)

            booked = await look()
            if booked is None:
                await self._require_free(target)
                fields = {
                    **self._place_fields(target),
                    "patient_id": patient_id,
                    "notes": mapping.ascii_text(notes),
                }

                async def attempt() -> Appointment:
                    try:
                        results = await self._client.call("addAppointmentBooking", fields)
                    except NookalFailure as exc:
                        await self._explain(exc, target, None)
                        raise
                    new_id = as_id(results.get("appointment_id"))
                    if not new_id:
                        raise PMSUnavailable("Nookal accepted the booking but gave no id")
                    self._where[new_id] = (patient_id, target.day)
                    found = await look()
                    if found is None or found.id != new_id:
                        raise PMSUnavailable("Nookal's new booking is not where it was asked")
                    return found

                booked = await write_once(attempt, look, what="the booking")
            self._ledger.record(key, fingerprint, booked.id)
            return booked

    async def reschedule(self, appointment_id: str, slot_id: str, key: str) -> Appointment:
        """Move the appointment to the slot: all or nothing."""
        if not is_nookal_id(appointment_id):
            raise NotFound(f"appointment {appointment_id[:64]!r} not found")
        target = await self._target(slot_id)
        check_key(key)
        fingerprint = ("move", appointment_id, slot_id)
        async with self._ledger.hold(key):
            done = self._ledger.result(key, fingerprint)
            if done is not None:
                return await self.find(done)
            current = await self.find(appointment_id)
            if target.holds(current):
                self._ledger.record(key, fingerprint, current.id)
                return current
            if current.status != AppointmentStatus.BOOKED:
                raise InvalidRequest(f"a {current.status.value} appointment cannot be moved")
            await self._require_free(target, current)
            self._ledger.record(key, fingerprint, None)
            if self._config.move_method == "rebook":
                moved = await self._rebook(current, target)
            else:
                moved = await self._update(current, target)
            self._ledger.record(key, fingerprint, moved.id)
            return moved

    async def _update(self, current: Appointment, target: Target) -> Appointment:
        fields = {
            **self._place_fields(target),
            "appointment_id": current.id,
            "patient_id": current.patient_id,
        }

        async def look() -> Appointment | None:
            found = await self.find(current.id)
            return found if target.holds(found) else None

        async def attempt() -> Appointment:
            try:
                await self._client.call(assumptions.MOVE_IN_PLACE_METHOD, fields)
            except NookalFailure as exc:
                await self._explain(exc, target, current)
                raise
            found = await look()
            if found is None:
                raise PMSUnavailable("Nookal reported the move but the appointment did not move")
            return found

        return await write_once(attempt, look, what="the move")

    async def _rebook(self, current: Appointment, target: Target) -> Appointment:
        overlaps = (
            current.practitioner_id == target.key.practitioner_id
            and current.starts_at < target.key.starts_at + timedelta(minutes=target.duration)
            and target.key.starts_at < current.ends_at
        )
        fields = {
            **self._place_fields(target),
            "appointment_id": current.id,
            "patient_id": current.patient_id,
            "cancel_first": "1" if overlaps else "0",
        }

        async def look() -> Appointment | None:
            found = await self._held_by(current.patient_id, target)
            if found is not None and found.id != current.id:
                await self._cancel_confirmed(await self.find(current.id))
            return found

        async def attempt() -> Appointment:
            try:
                await self._client.call(assumptions.MOVE_BY_REBOOK_METHOD, fields)
            except NookalFailure as exc:
                await self._explain(exc, target, current)
                raise
            found = await look()
            if found is None:
                raise PMSUnavailable("Nookal reported the rebooking but it is not there")
            return found

        return await write_once(attempt, look, what="the move")

    async def cancel(self, appointment_id: str, reason: CancellationReason) -> Appointment:
        """Cancel; a cancelled appointment is returned unchanged."""
        try:
            CancellationReason(reason)
        except ValueError as exc:
            raise InvalidRequest("unknown cancellation reason") from exc
        return await self._cancel_confirmed(await self.find(appointment_id))

    async def _cancel_confirmed(self, current: Appointment) -> Appointment:
        if current.status == AppointmentStatus.CANCELLED:
            return current
        fields = assumptions.cancel_params(current.id, current.patient_id)

        async def look() -> Appointment | None:
            found = await self.find(current.id)
            return found if found.status == AppointmentStatus.CANCELLED else None

        async def attempt() -> Appointment:
            await self._client.call("cancelAppointment", fields)
            found = await look()
            if found is None:
                raise PMSUnavailable("Nookal reported the cancellation but it did not happen")
            return found

        return await write_once(attempt, look, what="the cancellation")
