"""Writes: book, hold, reschedule, cancel, did-not-arrive, idempotency and bad input."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine

from diary import (
    CancellationReason,
    Diary,
    FixedClock,
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    SlotChoice,
    SlotUnavailable,
)
from tests.conftest import SYDNEY
from tests.diary.helpers import build_tiny_clinic, choice, count_appointments, starts, type_id

INITIAL = "Initial physiotherapy consultation"
FOLLOW_UP = "Physiotherapy follow-up"


@pytest.fixture
def patient_id(diary: Diary, demo: int) -> int:
    return diary.find_patients(demo, phone="0412 345 678")[0].patient.id


def test_book_takes_the_slot_and_its_buffer(diary: Diary, demo: int, patient_id: int) -> None:
    initial = type_id(diary, demo, INITIAL)  # 45 minutes + 15 after
    slot = diary.first_slots(demo, initial, 1)[0]
    appointment = diary.book(demo, choice(slot), patient_id, source="phone_agent")

    assert appointment.status == "booked"
    assert appointment.starts_at == slot.starts_at
    assert appointment.ends_at == slot.starts_at + timedelta(minutes=45)
    assert appointment.blocked_until == slot.starts_at + timedelta(minutes=60)
    assert appointment.source == "phone_agent"
    later = diary.find_slots(
        demo,
        initial,
        slot.starts_at,
        slot.starts_at + timedelta(hours=2),
        practitioner_ids=[slot.practitioner_id],
    )
    taken = {s.starts_at for s in later}
    # Nothing can start until the appointment and its 15-minute buffer are over.
    for minutes in (0, 15, 30, 45):
        assert slot.starts_at + timedelta(minutes=minutes) not in taken
    assert appointment.id in {a.id for a in diary.patient_appointments(demo, patient_id)}


def test_both_sides_buffers_apply(engine: Engine, diary: Diary) -> None:
    tiny = build_tiny_clinic(engine, types={"initial": (45, 0, 15), "follow_up": (30, 5, 5)})
    initial, follow_up = tiny.type_ids["initial"], tiny.type_ids["follow_up"]
    day = datetime(2026, 3, 11, 9, 0, tzinfo=SYDNEY)  # a Wednesday, 09:00-17:00
    booked_at = day + timedelta(hours=3)  # 12:00
    diary.book(
        tiny.clinic_id,
        SlotChoice(tiny.practitioner_id, tiny.location_id, follow_up, booked_at),
        tiny.patient_id,
    )
    free = starts(diary.find_slots(tiny.clinic_id, initial, day, day + timedelta(hours=8)))
    # follow-up blocks 11:55-12:35; an initial blocks [start, start + 60)
    assert booked_at - timedelta(minutes=60) not in free  # 11:00 + 60 > 11:55
    assert booked_at - timedelta(minutes=75) in free  # 10:45 + 60 = 11:45 <= 11:55
    assert booked_at + timedelta(minutes=30) not in free  # 12:30 < 12:35
    assert booked_at + timedelta(minutes=45) in free  # 12:45 >= 12:35
    # and the database agrees: the slot next door is refused even if asked directly
    with pytest.raises(SlotUnavailable):
        diary.book(
            tiny.clinic_id,
            SlotChoice(
                tiny.practitioner_id, tiny.location_id, initial, booked_at + timedelta(minutes=30)
            ),
            tiny.patient_id,
        )


def test_same_key_same_request_returns_the_same_appointment(
    diary: Diary, demo: int, patient_id: int
) -> None:
    slot = diary.first_slots(demo, type_id(diary, demo, INITIAL), 1)[0]
    first = diary.book(demo, choice(slot), patient_id, idempotency_key="call-1:book:1")
    booked = count_appointments(diary.engine)
    again = diary.book(demo, choice(slot), patient_id, idempotency_key="call-1:book:1")
    assert again.id == first.id
    assert count_appointments(diary.engine) == booked
    before = count_appointments(diary.engine)
    other = diary.first_slots(demo, type_id(diary, demo, INITIAL), 2)[1]
    with pytest.raises(IdempotencyConflict):
        diary.book(demo, choice(other), patient_id, idempotency_key="call-1:book:1")
    assert count_appointments(diary.engine) == before


def test_a_taken_slot_is_refused_cleanly(diary: Diary, demo: int, patient_id: int) -> None:
    slot = diary.first_slots(demo, type_id(diary, demo, INITIAL), 1)[0]
    diary.book(demo, choice(slot), patient_id)
    before = count_appointments(diary.engine)
    with pytest.raises(SlotUnavailable):
        diary.book(demo, choice(slot), patient_id)
    assert count_appointments(diary.engine) == before


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"starts_at": datetime(2026, 3, 10, 10, 0)}, InvalidRequest),  # naive
        ({"minutes": 7}, InvalidRequest),  # off the 15-minute grid
        ({"practitioner_id": 999}, NotFound),
        ({"appointment_type_id": 999}, NotFound),
        ({"patient_id": 999}, NotFound),
        ({"location_id": 999}, NotFound),
        ({"appointment_type_id": 3}, InvalidRequest),  # massage: not offered by this physio
        ({"starts_at": datetime(2026, 3, 10, 3, 0, tzinfo=SYDNEY)}, SlotUnavailable),  # 3 am
        ({"starts_at": datetime(2026, 3, 2, 8, 30, tzinfo=SYDNEY)}, SlotUnavailable),  # notice
        ({"starts_at": datetime(2026, 2, 20, 10, 0, tzinfo=SYDNEY)}, SlotUnavailable),  # past
    ],
)
def test_bad_bookings_get_typed_errors_and_write_nothing(
    diary: Diary,
    demo: int,
    patient_id: int,
    change: dict[str, object],
    error: type[Exception],
) -> None:
    slot = diary.first_slots(demo, type_id(diary, demo, INITIAL), 1)[0]
    fields: dict[str, object] = {
        "practitioner_id": slot.practitioner_id,
        "location_id": slot.location_id,
        "appointment_type_id": slot.appointment_type_id,
        "starts_at": slot.starts_at,
        "patient_id": patient_id,
    }
    change = dict(change)
    minutes = change.pop("minutes", 0)
    fields.update(change)
    assert isinstance(fields["starts_at"], datetime) and isinstance(minutes, int)
    fields["starts_at"] += timedelta(minutes=minutes)
    target = fields.pop("patient_id")
    assert isinstance(target, int)
    before = count_appointments(diary.engine)
    with pytest.raises(error):
        diary.book(demo, SlotChoice(**fields), target)  # type: ignore[arg-type]
    assert count_appointments(diary.engine) == before


def test_hold_hides_the_slot_until_it_expires(
    diary: Diary, demo: int, patient_id: int, clock: FixedClock
) -> None:
    initial = type_id(diary, demo, INITIAL)
    slot = diary.first_slots(demo, initial, 1)[0]
    held = diary.hold(demo, choice(slot), holder="CA123")
    assert held.expires_at == clock.now() + timedelta(minutes=5)
    window = (slot.starts_at, slot.starts_at + timedelta(minutes=1))
    assert diary.find_slots(demo, initial, *window, practitioner_ids=[slot.practitioner_id]) == []
    with pytest.raises(SlotUnavailable):
        diary.hold(demo, choice(slot), holder="CA999")
    with pytest.raises(SlotUnavailable):
        diary.book(demo, choice(slot), patient_id)  # someone else, without the hold

    clock.set(clock.now() + timedelta(minutes=6))
    assert diary.find_slots(demo, initial, *window, practitioner_ids=[slot.practitioner_id])
    with pytest.raises(SlotUnavailable):
        diary.book(demo, choice(slot), patient_id, hold_id=held.id)


def test_booking_through_the_hold_converts_it(diary: Diary, demo: int, patient_id: int) -> None:
    slot = diary.first_slots(demo, type_id(diary, demo, INITIAL), 1)[0]
    held = diary.hold(demo, choice(slot), holder="CA123")
    appointment = diary.book(demo, choice(slot), patient_id, hold_id=held.id)
    assert appointment.starts_at == slot.starts_at
    other = diary.first_slots(demo, type_id(diary, demo, INITIAL), 3)[2]
    with pytest.raises(InvalidRequest):
        held2 = diary.hold(demo, choice(other), holder="CA123")
        diary.book(demo, choice(slot), patient_id, hold_id=held2.id)


def test_release_hold_frees_the_slot(diary: Diary, demo: int, patient_id: int) -> None:
    slot = diary.first_slots(demo, type_id(diary, demo, INITIAL), 1)[0]
    held = diary.hold(demo, choice(slot))
    diary.release_hold(held.id)
    diary.release_hold(held.id)  # already gone: no error
    assert diary.book(demo, choice(slot), patient_id).starts_at == slot.starts_at


def test_reschedule_moves_atomically(diary: Diary, demo: int, patient_id: int) -> None:
    initial = type_id(diary, demo, INITIAL)
    first, second = diary.first_slots(demo, initial, 8)[0], diary.first_slots(demo, initial, 8)[7]
    appointment = diary.book(demo, choice(first), patient_id)
    moved = diary.reschedule(demo, appointment.id, choice(second), idempotency_key="mv-1")
    assert moved.id == appointment.id
    assert moved.starts_at == second.starts_at
    # the old time is free again
    assert first.starts_at in {
        s.starts_at
        for s in diary.find_slots(
            demo,
            initial,
            first.starts_at,
            first.starts_at + timedelta(minutes=1),
            practitioner_ids=[first.practitioner_id],
        )
    }
    # replaying the same move is harmless
    assert (
        diary.reschedule(demo, appointment.id, choice(second), idempotency_key="mv-1").id
        == moved.id
    )


def test_reschedule_onto_a_taken_slot_changes_nothing(
    diary: Diary, demo: int, patient_id: int
) -> None:
    initial = type_id(diary, demo, INITIAL)
    slots = diary.first_slots(demo, initial, 10)
    mine = diary.book(demo, choice(slots[0]), patient_id)
    theirs_slot = slots[-1]
    diary.book(demo, choice(theirs_slot), patient_id)
    with pytest.raises(SlotUnavailable):
        diary.reschedule(demo, mine.id, choice(theirs_slot))
    unchanged = diary.appointment(demo, mine.id)
    assert (unchanged.starts_at, unchanged.status) == (slots[0].starts_at, "booked")


def test_reschedule_may_overlap_its_own_old_time(diary: Diary, demo: int, patient_id: int) -> None:
    initial = type_id(diary, demo, INITIAL)
    slots = diary.first_slots(demo, initial, 20)
    start = next(
        s
        for s in slots
        if any(
            t.starts_at == s.starts_at + timedelta(minutes=15)
            and t.practitioner_id == s.practitioner_id
            for t in slots
        )
    )
    appointment = diary.book(demo, choice(start), patient_id)
    later = SlotChoice(
        start.practitioner_id, start.location_id, initial, start.starts_at + timedelta(minutes=15)
    )
    assert diary.reschedule(demo, appointment.id, later).starts_at == later.starts_at


def test_cancel_records_reason_and_frees_time(
    diary: Diary, demo: int, patient_id: int, clock: FixedClock
) -> None:
    slot = diary.first_slots(demo, type_id(diary, demo, INITIAL), 1)[0]
    appointment = diary.book(demo, choice(slot), patient_id)
    cancelled = diary.cancel(demo, appointment.id, CancellationReason.ILLNESS, note="flu")
    assert cancelled.status == "cancelled"
    assert (cancelled.cancellation_reason, cancelled.cancellation_note) == ("illness", "flu")
    assert cancelled.cancelled_at == clock.now()
    assert diary.cancel(demo, appointment.id, "illness").cancelled_at == clock.now()
    with pytest.raises(InvalidRequest):
        diary.reschedule(demo, appointment.id, choice(slot))
    rebooked = diary.book(demo, choice(slot), patient_id)
    assert rebooked.id != appointment.id
    with pytest.raises(InvalidRequest):
        diary.cancel(demo, rebooked.id, "because")
    with pytest.raises(NotFound):
        diary.cancel(demo, 10_000_000, "illness")


def test_did_not_arrive_only_after_the_start(
    diary: Diary, demo: int, patient_id: int, clock: FixedClock
) -> None:
    slot = diary.first_slots(demo, type_id(diary, demo, INITIAL), 1)[0]
    appointment = diary.book(demo, choice(slot), patient_id)
    with pytest.raises(InvalidRequest):
        diary.mark_did_not_arrive(demo, appointment.id)
    clock.set(slot.starts_at + timedelta(minutes=20))
    marked = diary.mark_did_not_arrive(demo, appointment.id)
    assert marked.status == "did_not_arrive"
    with pytest.raises(InvalidRequest):
        diary.cancel(demo, appointment.id, "illness")


def test_appointments_of_another_clinic_are_not_found(
    diary: Diary, demo: int, patient_id: int
) -> None:
    slot = diary.first_slots(demo, type_id(diary, demo, INITIAL), 1)[0]
    appointment = diary.book(demo, choice(slot), patient_id)
    with pytest.raises(NotFound):
        diary.appointment(demo + 1, appointment.id)
    with pytest.raises(NotFound):
        diary.cancel(demo + 1, appointment.id, "illness")
