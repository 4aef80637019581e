"""Booking, moving and cancelling individual appointments in Cliniko, without double-booking
and without duplicates.

Cliniko's create checks nothing (overlaps are allowed on purpose) and has no idempotency, so:

1. Before creating, look for the appointment an earlier attempt may have made (same patient,
   practitioner, business, type and start): a retry after a lost answer or a restart finds it.
2. Re-read `available_times` for that day: a slot someone took since the search is
   `SlotUnavailable` before anything is written.
3. `POST /individual_appointments`. On a timeout or a 5xx, wait a moment and look again (1);
   only if nothing landed is the create tried once more. If the outcome still cannot be
   determined: `WriteOutcomeUnknown` (retry with the same key).
4. `GET .../conflicts`. If it overlaps something, the earliest-created of the overlapping
   appointments keeps the time (created_at, then id: an order every worker agrees on); any
   other withdraws, cancelling its appointment and raising `SlotUnavailable`. Two racing
   bookings therefore end with exactly one appointment.

A move to the same practitioner, business and type is a `PATCH` of `starts_at` with
`ends_at: null` (so Cliniko recomputes the end), undone if `/conflicts` then reports an
overlap. Anything else is a new booking plus a cancel of the old one (so the id changes, and
`capabilities.reschedule_in_place` is False). A cancel is `PATCH .../cancel` with a reason code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio

from pms_adapters.cliniko import mapping
from pms_adapters.cliniko.availability import Availability, Pair
from pms_adapters.cliniko.client import ClinikoClient, ClinikoFailed, ClinikoRefused, Params
from pms_adapters.cliniko.keys import KeyMemory
from pms_adapters.cliniko.patients import Patients
from pms_adapters.cliniko.reference import ReferenceCache
from pms_adapters.errors import (
    InvalidRequest,
    NotFound,
    PMSUnavailable,
    SlotUnavailable,
    WriteOutcomeUnknown,
)
from pms_adapters.slot_ids import SlotCodec, SlotKey
from pms_adapters.types import Appointment, CancellationReason, Window

_STALE = "that slot is no longer offered; search again"
_TAKEN = "that time has just been taken; search again"
_UNKNOWN = "Cliniko did not confirm the {}; retry with the same idempotency key to find out"
_WITHDRAWN = 50  # "Other": our own booking withdrawn because it overlapped an earlier one
Record = dict[str, Any]


def _order(record: Record) -> tuple[str, int]:
    return (str(record.get("created_at") or ""), int(mapping.cliniko_id(record.get("id"))))


def _same_booking(a: Record, b: Record) -> bool:
    """Whether two records are the same booking: patient, practitioner, place, type, start."""

    def what(record: Record) -> tuple[str, str, str, str, datetime]:
        x = mapping.appointment(record)
        return (x.patient_id, x.practitioner_id, x.location_id, x.appointment_type_id, x.starts_at)

    return what(a) == what(b)


class Bookings:
    """book / reschedule / cancel / appointments over one Cliniko account."""

    def __init__(
        self,
        client: ClinikoClient,
        reference: ReferenceCache,
        availability: Availability,
        patients: Patients,
        codec: SlotCodec,
        clock: Callable[[], datetime],
        settle: float,
    ) -> None:
        self._client = client
        self._reference = reference
        self._availability = availability
        self._patients = patients
        self._codec = codec
        self._clock = clock
        self._settle_delay = settle
        self._keys = KeyMemory()

    # -- reading -----------------------------------------------------------------------------

    async def record(self, appointment_id: str) -> Record:
        """The appointment's raw record (cancelled ones too); NotFound if Cliniko has none."""
        if not mapping.is_cliniko_id(appointment_id):
            raise NotFound(f"appointment {appointment_id[:64]!r} not found")
        data = await self._client.get(f"/individual_appointments/{appointment_id}")
        if not isinstance(data, dict):
            raise NotFound(f"appointment {appointment_id} not found")
        return data

    async def appointments(self, patient_id: str, window: Window) -> list[Appointment]:
        """The patient's live appointments starting in the window, in time order."""
        if not mapping.is_cliniko_id(patient_id):
            raise NotFound(f"patient {patient_id[:64]!r} not found")
        params: Params = [
            ("q[]", f"patient_id:={patient_id}"),
            ("q[]", f"starts_at:>={mapping.stamp(window.starts_at)}"),
            ("q[]", f"starts_at:<{mapping.stamp(window.ends_at + timedelta(seconds=1))}"),
            ("sort", "starts_at"),
        ]
        rows = await self._client.pages(
            "/individual_appointments", "individual_appointments", params
        )
        if not rows:
            await self._patients.record(patient_id)  # NotFound for a stranger's id
        found = [mapping.appointment(r) for r in rows if mapping.is_live(r)]
        found = [a for a in found if window.starts_at <= a.starts_at < window.ends_at]
        return sorted(found, key=lambda a: (a.starts_at, int(a.id)))

    async def _pair(self, key: SlotKey) -> Pair:
        """Where a slot id points, if it is still a practitioner, business and type we know."""
        ref = await self._reference.get()
        if not ref.offered(key.practitioner_id, key.location_id, key.appointment_type_id):
            raise SlotUnavailable(_STALE)
        zone = ZoneInfo(ref.locations[key.location_id].timezone)
        return Pair(key.location_id, key.practitioner_id, key.appointment_type_id, zone)

    async def _twin(self, pair: Pair, start: datetime, patient_id: str) -> Record | None:
        """The live appointment an earlier attempt at this booking made, if there is one."""
        params: Params = [
            ("q[]", f"patient_id:={patient_id}"),
            ("q[]", f"practitioner_id:={pair.practitioner_id}"),
            ("q[]", f"starts_at:>={mapping.stamp(start)}"),
            ("q[]", f"starts_at:<{mapping.stamp(start + timedelta(minutes=1))}"),
        ]
        rows = await self._client.pages(
            "/individual_appointments", "individual_appointments", params
        )
        twins = [
            r
            for r in rows
            if mapping.is_live(r)
            and mapping.link_id(r, "business") == pair.business_id
            and mapping.link_id(r, "appointment_type") == pair.type_id
        ]
        return min(twins, key=_order) if twins else None

    async def _overlapping(
        self, practitioner_id: str, start: datetime, end: datetime
    ) -> list[Record]:
        params: Params = [
            ("q[]", f"practitioner_id:={practitioner_id}"),
            ("q[]", f"starts_at:<{mapping.stamp(end)}"),
            ("q[]", f"ends_at:>{mapping.stamp(start)}"),
        ]
        rows = await self._client.pages(
            "/individual_appointments", "individual_appointments", params
        )
        return [r for r in rows if mapping.is_live(r)]

    async def _conflicts(self, appointment_id: str, what: str) -> bool:
        try:
            data = await self._client.get(f"/individual_appointments/{appointment_id}/conflicts")
        except PMSUnavailable as exc:
            raise WriteOutcomeUnknown(_UNKNOWN.format(what)) from exc
        conflicts = data.get("conflicts") if isinstance(data, dict) else None
        return bool(isinstance(conflicts, dict) and conflicts.get("exist"))

    # -- book ----------------------------------------------------------------------------------

    async def book(self, slot_id: str, patient_id: str, key: str, notes: str) -> Appointment:
        """Book the slot for the patient, once per idempotency key (see the module notes)."""
        slot = self._codec.decode(slot_id)
        if not mapping.is_cliniko_id(patient_id):
            raise NotFound(f"patient {patient_id[:64]!r} not found")
        KeyMemory.check_key(key)
        request = ("book", slot_id, patient_id, notes)
        async with self._keys.lock(key):
            seen = self._keys.check(key, request)
            if seen is not None:
                return mapping.appointment(await self.record(seen))
            pair = await self._pair(slot)
            try:
                booked = await self._book(pair, slot.starts_at, patient_id, notes)
            except WriteOutcomeUnknown:
                self._keys.remember(key, request, None)
                raise
            self._keys.remember(key, request, mapping.cliniko_id(booked.get("id")))
            return mapping.appointment(booked)

    async def _book(self, pair: Pair, start: datetime, patient_id: str, notes: str) -> Record:
        await self._patients.record(patient_id)  # NotFound before anything is written
        twin = await self._twin(pair, start, patient_id)
        if twin is not None:
            return await self._settle(twin, pair, start)
        if start <= self._clock() or not await self._availability.is_offered(pair, start):
            raise SlotUnavailable(_STALE)
        body = {
            "starts_at": mapping.stamp(start),
            "patient_id": patient_id,
            "practitioner_id": pair.practitioner_id,
            "appointment_type_id": pair.type_id,
            "business_id": pair.business_id,
            "notes": notes or None,
        }
        created: Record | None = None
        for _attempt in range(2):
            try:
                created = await self._client.post("/individual_appointments", body)
                break
            except ClinikoFailed:
                await anyio.sleep(self._settle_delay)
                try:
                    created = await self._twin(pair, start, patient_id)
                except PMSUnavailable as exc:
                    raise WriteOutcomeUnknown(_UNKNOWN.format("booking")) from exc
                if created is not None:
                    break
        if not isinstance(created, dict):
            raise WriteOutcomeUnknown(_UNKNOWN.format("booking"))
        return await self._settle(created, pair, start)

    async def _settle(self, mine: Record, pair: Pair, start: datetime) -> Record:
        """Keep the booking unless an earlier one overlaps it (see the module notes)."""
        mine_id = mapping.cliniko_id(mine.get("id"))
        if not await self._conflicts(mine_id, "booking"):
            return mine
        end = mapping.instant(mine.get("ends_at"))
        others = [
            r
            for r in await self._overlapping(pair.practitioner_id, start, end)
            if mapping.cliniko_id(r.get("id")) != mine_id
        ]
        earlier = [r for r in others if _order(r) < _order(mine)]
        if others and not earlier:
            return mine  # we were first: the later ones withdraw
        await self._cancel_record(mine_id, _WITHDRAWN, "Withdrawn: overlapped an earlier booking")
        if earlier and _same_booking(min(earlier, key=_order), mine):
            return min(earlier, key=_order)  # an earlier attempt at this very booking
        raise SlotUnavailable(_TAKEN)

    # -- reschedule ------------------------------------------------------------------------------

    async def reschedule(self, appointment_id: str, slot_id: str, key: str) -> Appointment:
        """Move the appointment to the slot, all or nothing, once per idempotency key."""
        if not mapping.is_cliniko_id(appointment_id):
            raise NotFound(f"appointment {appointment_id[:64]!r} not found")
        slot = self._codec.decode(slot_id)
        KeyMemory.check_key(key)
        request = ("move", appointment_id, slot_id)
        async with self._keys.lock(key):
            seen = self._keys.check(key, request)
            if seen is not None:
                return mapping.appointment(await self.record(seen))
            try:
                moved = await self._move(appointment_id, slot)
            except WriteOutcomeUnknown:
                self._keys.remember(key, request, None)
                raise
            self._keys.remember(key, request, mapping.cliniko_id(moved.get("id")))
            return mapping.appointment(moved)

    async def _move(self, appointment_id: str, slot: SlotKey) -> Record:
        current = await self.record(appointment_id)
        now = mapping.appointment(current)
        pair = await self._pair(slot)
        start = slot.starts_at
        if not mapping.is_live(current):
            # A move to another practitioner cancels the old appointment last: if that is
            # what an earlier attempt did, its new appointment is the answer.
            landed = await self._twin(pair, start, now.patient_id)
            if landed is None:
                raise InvalidRequest("a cancelled appointment cannot be moved")
            return landed
        target = (pair.practitioner_id, pair.business_id, pair.type_id)
        here = (now.practitioner_id, now.location_id, now.appointment_type_id)
        if here == target and now.starts_at == start:
            return current  # already there (an earlier attempt landed)
        if now.starts_at <= self._clock():
            raise InvalidRequest("an appointment that has started cannot be moved")
        if here != target:
            booked = await self._book(pair, start, now.patient_id, now.notes)
            await self._cancel_record(appointment_id, _WITHDRAWN, "Rescheduled to another time")
            return booked
        if start <= self._clock() or not await self._availability.is_offered(pair, start):
            raise SlotUnavailable(_STALE)
        moved = await self._patch_start(appointment_id, start, None)
        if await self._conflicts(appointment_id, "move"):
            await self._patch_start(appointment_id, now.starts_at, now.ends_at)
            raise SlotUnavailable(_TAKEN)
        return moved

    async def _patch_start(
        self, appointment_id: str, start: datetime, end: datetime | None
    ) -> Record:
        """Set the start (and the end, or null to recompute it), looking before retrying."""
        body = {"starts_at": mapping.stamp(start), "ends_at": mapping.stamp(end) if end else None}
        path = f"/individual_appointments/{appointment_id}"
        for _attempt in range(2):
            try:
                patched = await self._client.patch(path, body)
                if isinstance(patched, dict):
                    return patched
            except ClinikoFailed:
                await anyio.sleep(self._settle_delay)
            try:
                current = await self.record(appointment_id)
            except PMSUnavailable as exc:
                raise WriteOutcomeUnknown(_UNKNOWN.format("move")) from exc
            if mapping.instant(current.get("starts_at")) == start:
                return current
        raise WriteOutcomeUnknown(_UNKNOWN.format("move"))

    # -- cancel --------------------------------------------------------------------------------

    async def cancel(
        self, appointment_id: str, reason: CancellationReason, note: str
    ) -> Appointment:
        """Cancel with Cliniko's code for our reason; a cancelled one is returned unchanged."""
        if not mapping.is_cliniko_id(appointment_id):
            raise NotFound(f"appointment {appointment_id[:64]!r} not found")
        try:
            ours = CancellationReason(reason)
        except ValueError as exc:
            raise InvalidRequest("unknown cancellation reason") from exc
        current = await self.record(appointment_id)
        if not mapping.is_live(current):
            return mapping.appointment(current)
        words = mapping.CANCELLATION_WORDS[ours]
        text = f"{words} (by phone): {note}" if note else f"{words} (by phone)"
        await self._cancel_record(appointment_id, mapping.CANCELLATION_CODES[ours], text)
        return mapping.appointment(await self.record(appointment_id))

    async def _cancel_record(self, appointment_id: str, code: int, note: str) -> None:
        """`PATCH .../cancel`, made safe to retry: a re-read tells whether it landed."""
        body = {"cancellation_reason": code, "cancellation_note": note[:1000]}
        path = f"/individual_appointments/{appointment_id}/cancel"
        for _attempt in range(2):
            try:
                await self._client.patch(path, body)
                return
            except ClinikoRefused:
                if not mapping.is_live(await self.record(appointment_id)):
                    return  # cancelled meanwhile
                raise
            except ClinikoFailed:
                await anyio.sleep(self._settle_delay)
                try:
                    current = await self.record(appointment_id)
                except PMSUnavailable as exc:
                    raise WriteOutcomeUnknown(_UNKNOWN.format("cancellation")) from exc
                if not mapping.is_live(current):
                    return
        raise WriteOutcomeUnknown(_UNKNOWN.format("cancellation"))
