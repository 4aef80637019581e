"""Checks of the error mapping: stale and forged slot ids, unknown records, odd input.

Every call the kit makes already fails on a raw (non-`PMSError`) exception; these checks make
the calls where adapters most often leak one, and check that the right error comes back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from pms_adapters.conformance.checked import expect, fail, gave, outcome, short
from pms_adapters.conformance.kit import Kit, describe
from pms_adapters.conformance.sandbox import unique_token
from pms_adapters.errors import InvalidRequest, NotFound, PMSError, SlotUnavailable
from pms_adapters.types import (
    Appointment,
    CancellationReason,
    PatientQuery,
    Window,
)

ODD_IDS = ("", "0", "-1", "1.5", "x" * 300, "☃", "' OR '1'='1", "../../etc/passwd", "null")
"""Ids no PMS issues: each must be met with a PMSError, never a crash or a success."""


def garbled(slot_id: str, token: str) -> list[str]:
    """Ids that look like `slot_id` but were never issued: altered, cut, extended, made up."""
    middle = len(slot_id) // 2
    swapped = "A" if slot_id[middle : middle + 1] != "A" else "B"
    variants = [
        slot_id[:middle] + swapped + slot_id[middle + 1 :],
        slot_id[::-1],
        slot_id[:-2],
        slot_id + "x",
        f"forged-{token}",
        "",
    ]
    return [v for v in dict.fromkeys(variants) if v != slot_id]


def _unknown_ids(kit: Kit) -> list[str]:
    return ["999999999", f"no-such-record-{kit.run}"]


class ErrorMappingChecks:
    """Failures come back as the right `PMSError`, and only ever as a `PMSError`."""

    @pytest.mark.anyio
    async def test_slot_booked_by_someone_else_is_unavailable(self, kit: Kit) -> None:
        (slot,) = await kit.free_slots(1)
        await kit.book(slot, await kit.patient_id())
        second = await outcome(kit.pms.book(slot.id, await kit.patient_id(), kit.key("stale")))
        if isinstance(second, Appointment):
            kit.remember(second)
            fail(
                "booking a slot id again after someone else booked it succeeded: the adapter"
                f" double-books (appointment {second.id}, {describe(slot)})"
            )
        expect(
            isinstance(second, SlotUnavailable),
            f"booking a slot someone else has booked {gave(second)}; a stale slot id is"
            " SlotUnavailable",
        )

    @pytest.mark.anyio
    async def test_garbled_slot_ids_are_unavailable(self, kit: Kit) -> None:
        (slot,) = await kit.free_slots(1)
        patient_id = await kit.patient_id()
        for slot_id in garbled(slot.id, kit.run):
            result = await outcome(kit.pms.book(slot_id, patient_id, kit.key("garbled")))
            if isinstance(result, Appointment):
                kit.remember(result)
                fail(
                    f"adapter.book({short(slot_id)}), an id altered from one find_slots"
                    f" issued ({short(slot.id)}), booked {describe(result)}: slot ids must be"
                    " tamper-evident (see pms_adapters.slot_ids), so an altered id is"
                    " SlotUnavailable, not a booking somewhere else"
                )
            expect(
                isinstance(result, SlotUnavailable),
                f"adapter.book({short(slot_id)}) with a garbled slot id {gave(result)}; it"
                " should raise SlotUnavailable",
            )

    @pytest.mark.anyio
    async def test_unknown_appointment_is_not_found(self, kit: Kit) -> None:
        (slot,) = await kit.free_slots(1)
        for appointment_id in _unknown_ids(kit):
            cancelled = await outcome(
                kit.pms.cancel(appointment_id, CancellationReason.PATIENT_REQUEST)
            )
            expect(
                isinstance(cancelled, NotFound),
                f"adapter.cancel({appointment_id!r}), an appointment that does not exist,"
                f" {gave(cancelled)}; it should raise NotFound",
            )
            moved = await outcome(kit.pms.reschedule(appointment_id, slot.id, kit.key("move")))
            if isinstance(moved, Appointment):
                kit.remember(moved)
            expect(
                isinstance(moved, NotFound),
                f"adapter.reschedule({appointment_id!r}, ...), an appointment that does not"
                f" exist, {gave(moved)}; it should raise NotFound",
            )

    @pytest.mark.anyio
    async def test_unknown_patient_is_not_found(self, kit: Kit) -> None:
        (slot,) = await kit.free_slots(1)
        for patient_id in _unknown_ids(kit):
            booked = await outcome(kit.pms.book(slot.id, patient_id, kit.key("stranger")))
            if isinstance(booked, Appointment):
                kit.remember(booked)
            expect(
                isinstance(booked, NotFound),
                f"adapter.book() for patient {patient_id!r}, who does not exist,"
                f" {gave(booked)}; it should raise NotFound",
            )
        expect(
            await kit.is_offered(slot),
            f"a refused booking for an unknown patient took {describe(slot)} off offer",
        )

    @pytest.mark.anyio
    async def test_unknown_appointment_type_is_refused(self, kit: Kit) -> None:
        for type_id in _unknown_ids(kit):
            found = await outcome(kit.pms.find_slots(kit.query(appointment_type_id=type_id)))
            expect(
                isinstance(found, NotFound | InvalidRequest),
                f"adapter.find_slots() for appointment type {type_id!r}, which does not"
                f" exist, {gave(found)}; it should raise NotFound",
            )

    @pytest.mark.anyio
    async def test_naive_datetimes_are_refused_by_validation(self, kit: Kit) -> None:
        naive = datetime(2030, 1, 7, 9, 0)
        with pytest.raises(ValidationError):
            kit.query(starts_after=naive, ends_before=naive + timedelta(days=1))
        with pytest.raises(ValidationError):
            Window(starts_at=naive, ends_at=naive + timedelta(days=1))

    @pytest.mark.anyio
    async def test_odd_input_gets_pms_errors_only(self, kit: Kit) -> None:
        # The checked adapter fails on any raw exception; here only successes need a look.
        (slot,) = await kit.free_slots(1)
        patient_id = await kit.patient_id()
        for odd in ODD_IDS:
            cancelled = await outcome(kit.pms.cancel(odd, CancellationReason.OTHER))
            expect(
                isinstance(cancelled, PMSError),
                f"adapter.cancel({short(odd)}), an id no PMS issues, {gave(cancelled)}",
            )
            moved = await outcome(kit.pms.reschedule(odd, slot.id, kit.key("odd")))
            if isinstance(moved, Appointment):
                kit.remember(moved)
                fail(f"adapter.reschedule({short(odd)}, ...) {gave(moved)}")
            booked = await outcome(kit.pms.book(slot.id, odd, kit.key("odd")))
            if isinstance(booked, Appointment):
                kit.remember(booked)
                fail(f"adapter.book() for patient {short(odd)} {gave(booked)}")
            garbage = await outcome(kit.pms.book(odd, patient_id, kit.key("odd")))
            if isinstance(garbage, Appointment):
                kit.remember(garbage)
                fail(f"adapter.book({short(odd)}, ...) {gave(garbage)}")
            await outcome(kit.pms.appointments(odd, kit.window))
            await outcome(kit.pms.find_slots(kit.query(practitioner_ids=(odd[:64] or "?",))))
        for text in ("not a phone", "+", "%", "_", "' OR '1'='1"):
            await outcome(kit.pms.find_patients(PatientQuery(phone=text)))
            await outcome(kit.pms.find_patients(PatientQuery(name=text)))
        for key in ("", "k" * 1000):
            booked = await outcome(kit.pms.book(slot.id, patient_id, key))
            if isinstance(booked, Appointment):
                kit.remember(booked)
        if kit.pms.capabilities.create_patients:
            named = kit.sandbox.new_patient(unique_token())
            unreachable = named.model_copy(update={"phones": ("not a phone",)})
            await outcome(kit.pms.create_patient(unreachable, kit.key("odd")))
