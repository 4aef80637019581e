"""Availability: working hours minus exceptions, bookings and holds; notice; windows; queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, event

from diary import Diary, FixedClock, InvalidRequest, NotFound, SlotChoice
from diary.db import write_session
from diary.models import ExceptionKind, ScheduleException, WorkingHours
from tests.conftest import SYDNEY
from tests.diary.helpers import build_tiny_clinic, starts

TUESDAY = date(2026, 3, 10)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SYDNEY)


def day_slots(diary: Diary, clinic_id: int, type_id: int, day: date) -> list[datetime]:
    found = diary.find_slots(clinic_id, type_id, at(day, 0), at(day + timedelta(days=1), 0))
    return [s.starts_at.astimezone(SYDNEY) for s in found]


def add(engine: Engine, *rows: object) -> None:
    with write_session(engine) as session:
        session.add_all(rows)


def test_slots_fill_working_hours_on_the_local_grid(engine: Engine, diary: Diary) -> None:
    tiny = build_tiny_clinic(engine)  # 09:00-17:00, 30-minute type, 15-minute step
    found = day_slots(diary, tiny.clinic_id, tiny.type_ids["standard"], TUESDAY)
    assert found[0] == at(TUESDAY, 9)
    assert found[-1] == at(TUESDAY, 16, 30)  # the last that ends by 17:00
    assert len(found) == 31
    assert all(s.minute % 15 == 0 for s in found)
    assert day_slots(diary, tiny.clinic_id, tiny.type_ids["standard"], date(2026, 3, 14)) == []


def test_split_shifts_and_validity_dates(engine: Engine, diary: Diary) -> None:
    tiny = build_tiny_clinic(engine, starts=time(8), ends=time(12))
    add(
        engine,
        WorkingHours(
            practitioner_id=tiny.practitioner_id,
            location_id=tiny.location_id,
            weekday=1,
            starts_at=time(13),
            ends_at=time(15),
            valid_from=TUESDAY,
            valid_until=TUESDAY,
        ),
    )
    standard = tiny.type_ids["standard"]
    found = day_slots(diary, tiny.clinic_id, standard, TUESDAY)
    assert at(TUESDAY, 11, 30) in found and at(TUESDAY, 11, 45) not in found
    assert at(TUESDAY, 12, 30) not in found and at(TUESDAY, 13) in found
    # the afternoon rule was valid for that one Tuesday only
    assert at(TUESDAY + timedelta(days=7), 13) not in day_slots(
        diary, tiny.clinic_id, standard, TUESDAY + timedelta(days=7)
    )


@pytest.mark.parametrize(
    ("exception", "gone", "kept"),
    [
        ({"kind": "public_holiday"}, [(9, 0), (16, 30)], []),
        ({"kind": "time_off", "practitioner": True}, [(9, 0), (16, 30)], []),
        (
            {"kind": "time_off", "practitioner": True, "starts_at": time(12), "ends_at": time(14)},
            [(11, 45), (12, 0), (13, 45)],
            [(11, 30), (14, 0)],
        ),
        ({"kind": "public_holiday", "location": True}, [(9, 0)], []),
    ],
)
def test_exceptions_remove_time(
    engine: Engine,
    diary: Diary,
    exception: dict[str, object],
    gone: list[tuple[int, int]],
    kept: list[tuple[int, int]],
) -> None:
    tiny = build_tiny_clinic(engine)
    add(
        engine,
        ScheduleException(
            clinic_id=tiny.clinic_id,
            on_date=TUESDAY,
            kind=exception["kind"],
            practitioner_id=tiny.practitioner_id if exception.get("practitioner") else None,
            location_id=tiny.location_id if exception.get("location") else None,
            starts_at=exception.get("starts_at"),
            ends_at=exception.get("ends_at"),
        ),
    )
    found = day_slots(diary, tiny.clinic_id, tiny.type_ids["standard"], TUESDAY)
    for hour, minute in gone:
        assert at(TUESDAY, hour, minute) not in found
    for hour, minute in kept:
        assert at(TUESDAY, hour, minute) in found
    # the next day is untouched
    assert day_slots(diary, tiny.clinic_id, tiny.type_ids["standard"], TUESDAY + timedelta(days=1))[
        0
    ] == at(TUESDAY + timedelta(days=1), 9)


def test_extra_hours_add_time_on_a_day_off(engine: Engine, diary: Diary) -> None:
    tiny = build_tiny_clinic(engine)
    saturday = date(2026, 3, 14)
    add(
        engine,
        ScheduleException(
            clinic_id=tiny.clinic_id,
            practitioner_id=tiny.practitioner_id,
            location_id=tiny.location_id,
            on_date=saturday,
            kind=ExceptionKind.EXTRA_HOURS.value,
            starts_at=time(9),
            ends_at=time(10),
        ),
    )
    assert day_slots(diary, tiny.clinic_id, tiny.type_ids["standard"], saturday) == [
        at(saturday, 9),
        at(saturday, 9, 15),
        at(saturday, 9, 30),
    ]


def test_minimum_notice_and_the_past(engine: Engine, diary: Diary, clock: FixedClock) -> None:
    tiny = build_tiny_clinic(engine, min_notice_minutes=120)
    clock.set(at(TUESDAY, 10, 5))
    found = day_slots(diary, tiny.clinic_id, tiny.type_ids["standard"], TUESDAY)
    assert found[0] == at(TUESDAY, 12, 15)  # 10:05 + 2 h, up to the grid


def test_first_slots_looks_ahead_until_it_finds_enough(
    engine: Engine, diary: Diary, clock: FixedClock
) -> None:
    tiny = build_tiny_clinic(engine, weekdays=(4,))  # Fridays only
    clock.set(at(date(2026, 3, 7), 12))  # a Saturday
    first = diary.first_slots(tiny.clinic_id, tiny.type_ids["standard"], 40)
    assert len(first) == 40
    assert first[0].starts_at == at(date(2026, 3, 13), 9)
    assert first[-1].starts_at.astimezone(SYDNEY).date() == date(2026, 3, 20)
    assert first == sorted(first, key=lambda s: s.starts_at)
    assert diary.first_slots(tiny.clinic_id, tiny.type_ids["standard"], 5, horizon_days=3) == []


def test_bad_windows_are_clear_errors(engine: Engine, diary: Diary) -> None:
    tiny = build_tiny_clinic(engine)
    standard = tiny.type_ids["standard"]
    with pytest.raises(InvalidRequest, match="timezone-aware"):
        diary.find_slots(tiny.clinic_id, standard, datetime(2026, 3, 10), at(TUESDAY, 17))
    with pytest.raises(InvalidRequest, match="after its start"):
        diary.find_slots(tiny.clinic_id, standard, at(TUESDAY, 17), at(TUESDAY, 9))
    with pytest.raises(InvalidRequest, match="longer than 31 days"):
        diary.find_slots(
            tiny.clinic_id, standard, at(TUESDAY, 0), at(TUESDAY + timedelta(days=40), 0)
        )
    with pytest.raises(NotFound):
        diary.find_slots(tiny.clinic_id, 999, at(TUESDAY, 9), at(TUESDAY, 17))
    with pytest.raises(NotFound):
        diary.find_slots(
            tiny.clinic_id, standard, at(TUESDAY, 9), at(TUESDAY, 17), practitioner_ids=[999]
        )
    with pytest.raises(NotFound):
        diary.find_slots(tiny.clinic_id, standard, at(TUESDAY, 9), at(TUESDAY, 17), location_id=999)
    with pytest.raises(InvalidRequest):
        diary.first_slots(tiny.clinic_id, standard, 0)


def test_demo_filters_by_practitioner_and_location(diary: Diary, demo: int) -> None:
    follow_up = next(t.id for t in diary.appointment_types(demo) if "follow-up" in t.name)
    window = (at(date(2026, 3, 3), 0), at(date(2026, 3, 10), 0))
    everyone = diary.find_slots(demo, follow_up, *window)
    assert {s.practitioner_id for s in everyone} == {1, 2}  # the two physios
    parramatta = diary.find_slots(demo, follow_up, *window, location_id=2)
    assert parramatta and {s.location_id for s in parramatta} == {2}
    sarah = diary.find_slots(demo, follow_up, *window, practitioner_ids=[1])
    assert {s.practitioner_id for s in sarah} == {1}
    assert starts(sarah) <= starts(everyone)


@contextmanager
def counting_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_one_query_per_window_not_per_slot_or_day(diary: Diary, demo: int) -> None:
    follow_up = next(t.id for t in diary.appointment_types(demo) if "follow-up" in t.name)
    counts = []
    for days in (1, 7, 28):
        with counting_queries(diary.engine) as statements:
            found = diary.find_slots(
                demo,
                follow_up,
                at(date(2026, 3, 3), 0),
                at(date(2026, 3, 3) + timedelta(days=days), 0),
            )
        assert found
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0] <= 8, counts


def test_booked_and_held_time_is_not_offered(engine: Engine, diary: Diary) -> None:
    tiny = build_tiny_clinic(engine)
    standard = tiny.type_ids["standard"]
    diary.book(
        tiny.clinic_id,
        SlotChoice(tiny.practitioner_id, tiny.location_id, standard, at(TUESDAY, 10)),
        tiny.patient_id,
    )
    diary.hold(
        tiny.clinic_id,
        SlotChoice(tiny.practitioner_id, tiny.location_id, standard, at(TUESDAY, 14)),
    )
    found = day_slots(diary, tiny.clinic_id, standard, TUESDAY)
    for hour, minute in [(9, 45), (10, 0), (10, 15), (13, 45), (14, 0), (14, 15)]:
        assert at(TUESDAY, hour, minute) not in found
    for hour, minute in [(9, 30), (10, 30), (13, 30), (14, 30)]:
        assert at(TUESDAY, hour, minute) in found
