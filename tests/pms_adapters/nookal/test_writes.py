"""Writes over a PMS without idempotency: lost answers, retries, restarts, refusals."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

from pms_adapters.errors import InvalidRequest, SlotUnavailable, WriteOutcomeUnknown
from pms_adapters.nookal import NookalAdapter
from pms_adapters.types import (
    AppointmentStatus,
    CancellationReason,
    NewPatient,
    PatientQuery,
    Slot,
    SlotQuery,
)
from tests.conftest import DEMO_NOW
from tests.fakes.nookal import DemoClinic, FakeNookal, Misbehaviour
from tests.pms_adapters.nookal.conftest import adapter_for

pytestmark = pytest.mark.anyio

PATIENT = "5"  # Liam O'Connor in the demo clinic


async def _slots(adapter: NookalAdapter, demo: DemoClinic) -> list[Slot]:
    query = SlotQuery(
        appointment_type_id=demo.type_ids["Initial physiotherapy consultation"],
        starts_after=DEMO_NOW + timedelta(days=1),
        ends_before=DEMO_NOW + timedelta(days=4),
    )
    slots = await adapter.find_slots(query)
    assert len(slots) >= 4
    return slots


@pytest.fixture
async def quick(nookal_demo: DemoClinic, nookal_url: str) -> NookalAdapter:
    """An adapter that gives up on an answer after 0.3 s."""
    return adapter_for(nookal_demo, nookal_url, timeout=0.3)


@pytest.mark.parametrize("lose", ["timeout", "502"])
async def test_a_lost_booking_answer_retried_gives_one_appointment(
    quick: NookalAdapter, fake: FakeNookal, nookal_demo: DemoClinic, lose: str
) -> None:
    slot = (await _slots(quick, nookal_demo))[0]
    before = len(fake.live_appointments(PATIENT))
    fake.misbehave("addAppointmentBooking", Misbehaviour(lose=lose))
    booked = await quick.book(slot.id, PATIENT, "lost-answer")
    again = await quick.book(slot.id, PATIENT, "lost-answer")
    assert again.id == booked.id
    assert (booked.starts_at, booked.practitioner_id) == (slot.starts_at, slot.practitioner_id)
    assert len(fake.live_appointments(PATIENT)) == before + 1
    assert fake.calls("addAppointmentBooking") == 1  # found by looking, never sent twice
    await quick.aclose()


async def test_a_failed_booking_is_retried_once_after_looking(
    adapter: NookalAdapter, fake: FakeNookal, nookal_demo: DemoClinic
) -> None:
    slot = (await _slots(adapter, nookal_demo))[0]
    fake.misbehave("addAppointmentBooking", Misbehaviour(status=503))
    booked = await adapter.book(slot.id, PATIENT, "retried")
    assert fake.calls("addAppointmentBooking") == 2
    assert [a.id for a in fake.live_appointments(PATIENT) if a.id == booked.id] == [booked.id]


async def test_a_slow_booking_that_lands_late_is_still_one_appointment(
    quick: NookalAdapter, fake: FakeNookal, nookal_demo: DemoClinic
) -> None:
    slot = (await _slots(quick, nookal_demo))[0]
    before = len(fake.live_appointments(PATIENT))
    fake.misbehave("addAppointmentBooking", Misbehaviour(delay=0.6))
    booked = await quick.book(slot.id, PATIENT, "slow")
    await quick.aclose()
    await anyio.sleep(0.5)  # the first attempt lands after the retry: refused as an overlap
    assert fake.calls("addAppointmentBooking") == 2
    assert len(fake.live_appointments(PATIENT)) == before + 1
    assert booked.starts_at == slot.starts_at


async def test_no_answer_at_all_is_outcome_unknown_and_a_retry_books_once(
    adapter: NookalAdapter, fake: FakeNookal, nookal_demo: DemoClinic
) -> None:
    slot = (await _slots(adapter, nookal_demo))[0]
    before = len(fake.live_appointments(PATIENT))
    fake.misbehave("addAppointmentBooking", Misbehaviour(status=503, times=2))
    with pytest.raises(WriteOutcomeUnknown):
        await adapter.book(slot.id, PATIENT, "unknown")
    assert len(fake.live_appointments(PATIENT)) == before
    booked = await adapter.book(slot.id, PATIENT, "unknown")
    assert len(fake.live_appointments(PATIENT)) == before + 1
    assert booked.starts_at == slot.starts_at


async def test_a_restarted_adapter_finds_the_booking_instead_of_making_another(
    adapter: NookalAdapter, fake: FakeNookal, nookal_demo: DemoClinic, nookal_url: str
) -> None:
    slot = (await _slots(adapter, nookal_demo))[0]
    first = await adapter.book(slot.id, PATIENT, "before-restart")
    restarted = adapter_for(nookal_demo, nookal_url)
    try:
        again = await restarted.book(slot.id, PATIENT, "before-restart")
    finally:
        await restarted.aclose()
    assert again.id == first.id
    assert fake.calls("addAppointmentBooking") == 1


async def test_lost_answers_to_move_and_cancel_are_looked_up(
    quick: NookalAdapter, fake: FakeNookal, nookal_demo: DemoClinic
) -> None:
    old, *_, new = await _slots(quick, nookal_demo)
    booked = await quick.book(old.id, PATIENT, "to-move")
    fake.misbehave("updateAppointmentBooking", Misbehaviour(lose="timeout"))
    moved = await quick.reschedule(booked.id, new.id, "move")
    assert (moved.id, moved.starts_at) == (booked.id, new.starts_at)
    fake.misbehave("cancelAppointment", Misbehaviour(lose="502"))
    cancelled = await quick.cancel(booked.id, CancellationReason.PATIENT_REQUEST)
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert fake.calls("updateAppointmentBooking") == fake.calls("cancelAppointment") == 1
    await quick.aclose()


async def test_a_lost_registration_answer_gives_one_patient(
    quick: NookalAdapter, fake: FakeNookal
) -> None:
    wanted = NewPatient(
        first_name="Ada",
        last_name="Quill",
        date_of_birth=DEMO_NOW.date() - timedelta(days=12_000),
        phones=("+61491570006",),
    )
    fake.misbehave("addPatient", Misbehaviour(lose="timeout"))
    created = await quick.create_patient(wanted, "register")
    again = await quick.create_patient(wanted, "register")
    assert again.id == created.id
    assert created.phones == ("+61491570006",)
    assert [p for p in fake.patients.values() if p.last_name == "Quill"][0].mobile == "0491 570 006"
    found = await quick.find_patients(PatientQuery(phone="0491 570 006"))
    assert [p.id for p in found] == [created.id]
    assert fake.calls("addPatient") == 1
    await quick.aclose()


async def test_a_namesake_with_other_details_is_not_registered_again(
    adapter: NookalAdapter,
) -> None:
    olivia = (await adapter.find_patients(PatientQuery(name="Olivia Smith")))[0]
    assert olivia.date_of_birth is not None
    twin = NewPatient(
        first_name="Olivia",
        last_name="Smith",
        date_of_birth=olivia.date_of_birth,
        phones=("+61491570156",),
    )
    with pytest.raises(InvalidRequest, match="search for the caller"):
        await adapter.create_patient(twin, "twin")
    same = twin.model_copy(update={"phones": olivia.phones})
    assert (await adapter.create_patient(same, "same")).id == olivia.id


async def test_a_refused_booking_of_a_taken_time_is_slot_unavailable(
    adapter: NookalAdapter, fake: FakeNookal, nookal_demo: DemoClinic
) -> None:
    slot = (await _slots(adapter, nookal_demo))[0]
    await adapter.book(slot.id, PATIENT, "mine")
    with pytest.raises(SlotUnavailable):
        await adapter.book(slot.id, "6", "theirs")
    assert fake.calls("addAppointmentBooking") == 1  # the re-check caught it before sending
