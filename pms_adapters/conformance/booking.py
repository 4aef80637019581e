"""Checks of the writes: book, retry, race, reschedule and cancel."""

from __future__ import annotations

import anyio
import pytest

from pms_adapters.conformance.checked import expect, fail, outcome
from pms_adapters.conformance.kit import Kit, describe, place
from pms_adapters.errors import IdempotencyConflict, PMSError, SlotUnavailable
from pms_adapters.types import Appointment, AppointmentStatus, CancellationReason, Slot

LOST_RESPONSE = "a retry after a lost response must return the original result"


async def _race(kit: Kit, slot: Slot, patient_ids: list[str]) -> list[Appointment | PMSError]:
    """Book `slot` for each patient at the same moment, each with its own key."""
    results: list[Appointment | PMSError | BaseException | None] = [None] * len(patient_ids)

    async def attempt(i: int, patient_id: str) -> None:
        try:
            results[i] = kit.remember(await kit.pms.book(slot.id, patient_id, kit.key("race")))
        except (PMSError, pytest.fail.Exception) as exc:
            results[i] = exc

    async with anyio.create_task_group() as group:
        for i, patient_id in enumerate(patient_ids):
            group.start_soon(attempt, i, patient_id)
    done: list[Appointment | PMSError] = []
    for result in results:
        if not isinstance(result, Appointment | PMSError):
            raise result or AssertionError("a racing booking did not finish")
        done.append(result)
    return done


class BookingChecks:
    """Bookings land where offered, once per key, never twice in one slot, and move or
    cancel cleanly."""

    @pytest.mark.anyio
    async def test_book_takes_the_offered_slot(self, kit: Kit) -> None:
        (slot,) = await kit.free_slots(1)
        patient_id = await kit.patient_id()
        booked = await kit.book(slot, patient_id)
        expect(
            place(booked) == place(slot)
            and booked.ends_at == slot.ends_at
            and booked.appointment_type_id == slot.appointment_type_id,
            f"booking slot {slot.id!r} ({describe(slot)}) made an appointment with"
            f" {describe(booked)} instead: a slot id must book exactly the slot it was issued"
            " for",
        )
        expect(
            booked.patient_id == patient_id,
            f"booking for patient {patient_id} made an appointment for {booked.patient_id}",
        )
        expect(
            booked.status == AppointmentStatus.BOOKED,
            f"a new booking has the status {booked.status!r}, not 'booked'",
        )
        await kit.expect_booked_once(patient_id, booked)

    @pytest.mark.anyio
    async def test_booked_slot_is_no_longer_offered(self, kit: Kit) -> None:
        (slot,) = await kit.free_slots(1)
        await kit.book(slot, await kit.patient_id())
        expect(
            not await kit.is_offered(slot),
            "adapter.find_slots() still offers a slot after it was booked: the adapter offers"
            f" time that is taken ({describe(slot)})",
        )

    @pytest.mark.anyio
    async def test_retried_booking_returns_the_same_appointment(self, kit: Kit) -> None:
        (slot,) = await kit.free_slots(1)
        patient_id = await kit.patient_id()
        key = kit.key("book")
        first = await kit.book(slot, patient_id, key)
        retry = await outcome(kit.pms.book(slot.id, patient_id, key))
        if not isinstance(retry, Appointment):
            fail(
                f"retrying adapter.book() with the same idempotency key raised"
                f" {type(retry).__name__} instead of returning the first appointment: the"
                f" adapter ignores idempotency keys; {LOST_RESPONSE} ({first.id}; {retry})"
            )
        kit.remember(retry)
        expect(
            retry.id == first.id,
            "retrying adapter.book() with the same idempotency key made a second appointment:"
            " the adapter ignores idempotency keys; one key, one appointment"
            f" ({first.id}, then {retry.id})",
        )
        await kit.expect_booked_once(patient_id, first)

    @pytest.mark.anyio
    async def test_reused_key_for_a_different_booking_is_refused(self, kit: Kit) -> None:
        first_slot, other_slot = await kit.free_slots(2)
        patient_id = await kit.patient_id()
        key = kit.key("book")
        first = await kit.book(first_slot, patient_id, key)
        reused = await outcome(kit.pms.book(other_slot.id, patient_id, key))
        if isinstance(reused, Appointment):
            kit.remember(reused)
            what = "returned the first appointment" if reused.id == first.id else "booked it"
            fail(
                f"adapter.book() of another slot with an idempotency key already used {what}:"
                " a reused key with a different request must raise IdempotencyConflict"
                f" ({first.id}, then {reused.id} at {describe(other_slot)})"
            )
        expect(
            isinstance(reused, IdempotencyConflict),
            f"adapter.book() with a reused key and a different slot raised"
            f" {type(reused).__name__} ({reused}); it should raise IdempotencyConflict",
        )

    @pytest.mark.anyio
    async def test_race_of_two_bookings_for_one_slot(self, kit: Kit) -> None:
        (slot,) = await kit.free_slots(1)
        patients = [await kit.patient_id(), await kit.patient_id()]
        results = await _race(kit, slot, patients)
        booked = [r for r in results if isinstance(r, Appointment)]
        refused = [r for r in results if isinstance(r, PMSError)]
        if len(booked) == 2:
            fail(
                "two bookings of one slot, made at the same time with different idempotency"
                " keys, both succeeded: the adapter double-books (appointments"
                f" {booked[0].id} and {booked[1].id}, {describe(slot)})"
            )
        if not booked:
            fail(
                f"two bookings of one free slot ({describe(slot)}) made at the same time both"
                f" failed ({refused[0]!r}, {refused[1]!r}): one of them should succeed"
            )
        expect(
            isinstance(refused[0], SlotUnavailable),
            f"the losing booking in a race for one slot raised {type(refused[0]).__name__}"
            f" ({refused[0]}); it should raise SlotUnavailable",
        )
        holders = [
            a
            for patient_id in dict.fromkeys(patients)
            for a in await kit.booked_for(patient_id)
            if place(a) == place(slot)
        ]
        expect(
            len(holders) == 1,
            f"after a race for {describe(slot)}, adapter.appointments() lists"
            f" {len(holders)} appointments there: the adapter double-books",
        )

    @pytest.mark.anyio
    async def test_reschedule_moves_the_appointment(self, kit: Kit) -> None:
        old, new = await kit.free_slots(2)
        patient_id = await kit.patient_id()
        booked = await kit.book(old, patient_id)
        moved = kit.remember(await kit.pms.reschedule(booked.id, new.id, kit.key("move")))
        expect(
            place(moved) == place(new) and moved.ends_at == new.ends_at,
            f"adapter.reschedule() onto {describe(new)} left the appointment with"
            f" {describe(moved)}",
        )
        if kit.pms.capabilities.reschedule_in_place:
            expect(
                moved.id == booked.id,
                f"adapter.reschedule() gave the moved appointment a new id ({booked.id} ->"
                f" {moved.id}) although capabilities.reschedule_in_place is True",
            )
        listed = [place(a) for a in await kit.booked_for(patient_id)]
        expect(
            listed.count(place(new)) == 1 and place(old) not in listed,
            f"after a move from {describe(old)} to {describe(new)}, adapter.appointments()"
            " should list the patient once at the new time and not at the old",
        )
        expect(
            await kit.is_offered(old),
            "after a reschedule, adapter.find_slots() does not offer the old time again"
            f" ({describe(old)})",
        )
        expect(
            not await kit.is_offered(new),
            "after a reschedule, adapter.find_slots() still offers the new time: the adapter"
            f" offers time that is taken ({describe(new)})",
        )

    @pytest.mark.anyio
    async def test_retried_reschedule_returns_the_same_appointment(self, kit: Kit) -> None:
        old, new = await kit.free_slots(2)
        patient_id = await kit.patient_id()
        booked = await kit.book(old, patient_id)
        key = kit.key("move")
        moved = kit.remember(await kit.pms.reschedule(booked.id, new.id, key))
        retry = await outcome(kit.pms.reschedule(booked.id, new.id, key))
        if not isinstance(retry, Appointment):
            fail(
                f"retrying adapter.reschedule() with the same idempotency key raised"
                f" {type(retry).__name__} ({retry}) instead of returning appointment"
                f" {moved.id}: the adapter ignores idempotency keys; {LOST_RESPONSE}"
            )
        kit.remember(retry)
        expect(
            retry.id == moved.id and place(retry) == place(moved),
            f"retrying adapter.reschedule() with the same idempotency key returned"
            f" appointment {retry.id} ({describe(retry)}), not {moved.id} ({describe(moved)})",
        )
        await kit.expect_booked_once(patient_id, moved)

    @pytest.mark.anyio
    async def test_reschedule_onto_a_taken_slot_is_refused(self, kit: Kit) -> None:
        mine, taken = await kit.free_slots(2)
        patient_id = await kit.patient_id()
        booked = await kit.book(mine, patient_id)
        holder = await kit.book(taken, await kit.patient_id())
        result = await outcome(kit.pms.reschedule(booked.id, taken.id, kit.key("move")))
        if isinstance(result, Appointment):
            kit.remember(result)
            fail(
                "adapter.reschedule() onto a slot another appointment holds succeeded: the"
                f" adapter double-books ({booked.id} moved onto {holder.id} at"
                f" {describe(taken)})"
            )
        expect(
            isinstance(result, SlotUnavailable),
            f"adapter.reschedule() onto a taken slot raised {type(result).__name__}"
            f" ({result}); it should raise SlotUnavailable",
        )
        listed = [place(a) for a in await kit.booked_for(patient_id) if a.id == booked.id]
        expect(
            listed == [place(mine)],
            f"a refused adapter.reschedule() changed appointment {booked.id} (it was at"
            f" {describe(mine)}): a move is all or nothing",
        )

    @pytest.mark.anyio
    async def test_cancel_frees_the_slot(self, kit: Kit) -> None:
        (slot,) = await kit.free_slots(1)
        patient_id = await kit.patient_id()
        booked = await kit.book(slot, patient_id)
        cancelled = await kit.pms.cancel(
            booked.id, CancellationReason.PATIENT_REQUEST, "conformance kit"
        )
        expect(
            cancelled.id == booked.id and cancelled.status == AppointmentStatus.CANCELLED,
            f"adapter.cancel({booked.id!r}) returned appointment {cancelled.id} with status"
            f" {cancelled.status!r}; it should return that appointment, cancelled",
        )
        expect(
            booked.id not in [a.id for a in await kit.booked_for(patient_id)],
            "adapter.appointments() still lists a cancelled appointment; it should not",
        )
        expect(
            await kit.is_offered(slot),
            f"after cancelling the appointment at {describe(slot)}, adapter.find_slots() does"
            " not offer that time again",
        )

    @pytest.mark.anyio
    async def test_cancelling_twice_is_harmless(self, kit: Kit) -> None:
        (slot,) = await kit.free_slots(1)
        booked = await kit.book(slot, await kit.patient_id())
        await kit.pms.cancel(booked.id, CancellationReason.PATIENT_REQUEST)
        again = await outcome(kit.pms.cancel(booked.id, CancellationReason.PATIENT_REQUEST))
        if not isinstance(again, Appointment):
            fail(
                f"cancelling an already cancelled appointment raised {type(again).__name__}"
                f" ({again}); it should return the appointment unchanged"
            )
        expect(
            again.id == booked.id and again.status == AppointmentStatus.CANCELLED,
            f"cancelling an already cancelled appointment returned appointment {again.id}"
            f" with status {again.status!r}",
        )
