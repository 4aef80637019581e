"""Races: many callers at once for one slot, on SQLite and PostgreSQL.

The diary's own re-check refuses most of them; the database constraint (exclusion constraint or
trigger) is the proof, tested directly by writing around the diary.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary import Diary, SlotChoice, SlotUnavailable
from diary.models import Appointment, Patient
from tests.conftest import SYDNEY
from tests.diary.helpers import build_tiny_clinic

T = TypeVar("T")
CALLERS = 50


def race(count: int, attempt: Callable[[int], T]) -> list[T | Exception]:
    """Run `attempt(i)` for i in range(count) on as many threads, released together."""
    barrier = threading.Barrier(count)

    def run(i: int) -> T | Exception:
        barrier.wait()
        try:
            return attempt(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def add_patients(engine: Engine, clinic_id: int, count: int) -> list[int]:
    with Session(engine) as session:
        rows = [
            Patient(
                clinic_id=clinic_id,
                first_name=f"P{i}",
                last_name="Caller",
                first_name_key=f"p{i}",
                last_name_key="caller",
            )
            for i in range(count)
        ]
        session.add_all(rows)
        session.commit()
        return [p.id for p in rows]


def active_at(engine: Engine, practitioner_id: int, start: datetime) -> int:
    with Session(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Appointment)
                .where(
                    Appointment.practitioner_id == practitioner_id,
                    Appointment.starts_at == start,
                    Appointment.status != "cancelled",
                )
            )
            or 0
        )


def test_fifty_callers_one_slot_exactly_one_booking(engine: Engine, diary: Diary) -> None:
    tiny = build_tiny_clinic(engine)
    patients = add_patients(engine, tiny.clinic_id, CALLERS)
    start = datetime(2026, 3, 10, 10, 0, tzinfo=SYDNEY)
    slot = SlotChoice(tiny.practitioner_id, tiny.location_id, tiny.type_ids["standard"], start)

    outcomes = race(
        CALLERS,
        lambda i: diary.book(tiny.clinic_id, slot, patients[i], idempotency_key=f"call-{i}"),
    )

    booked = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(booked) == 1
    assert len(refused) == CALLERS - 1
    assert all(isinstance(o, SlotUnavailable) for o in refused), {type(o) for o in refused}
    assert active_at(engine, tiny.practitioner_id, start) == 1


def test_fifty_overlapping_starts_exactly_one_booking(engine: Engine, diary: Diary) -> None:
    # 60-minute appointments at every quarter hour between 10:00 and 10:45 all overlap.
    tiny = build_tiny_clinic(engine, types={"long": (60, 0, 0)})
    patients = add_patients(engine, tiny.clinic_id, CALLERS)
    base = datetime(2026, 3, 10, 10, 0, tzinfo=SYDNEY)

    def attempt(i: int) -> Appointment:
        slot = SlotChoice(
            tiny.practitioner_id,
            tiny.location_id,
            tiny.type_ids["long"],
            base + timedelta(minutes=15 * (i % 4)),
        )
        return diary.book(tiny.clinic_id, slot, patients[i])

    outcomes = race(CALLERS, attempt)
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, SlotUnavailable) for o in outcomes if isinstance(o, Exception))


def test_retries_with_one_key_make_one_appointment(engine: Engine, diary: Diary) -> None:
    tiny = build_tiny_clinic(engine)
    start = datetime(2026, 3, 10, 11, 0, tzinfo=SYDNEY)
    slot = SlotChoice(tiny.practitioner_id, tiny.location_id, tiny.type_ids["standard"], start)

    outcomes = race(
        20, lambda _: diary.book(tiny.clinic_id, slot, tiny.patient_id, idempotency_key="CA42:book")
    )

    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert len({o.id for o in outcomes if isinstance(o, Appointment)}) == 1
    assert active_at(engine, tiny.practitioner_id, start) == 1


def test_two_moves_into_one_slot_one_wins(engine: Engine, diary: Diary) -> None:
    tiny = build_tiny_clinic(engine)
    patients = add_patients(engine, tiny.clinic_id, 2)
    standard = tiny.type_ids["standard"]
    day = datetime(2026, 3, 10, 9, 0, tzinfo=SYDNEY)
    originals = [
        diary.book(
            tiny.clinic_id,
            SlotChoice(tiny.practitioner_id, tiny.location_id, standard, day + timedelta(hours=i)),
            patients[i],
        )
        for i in range(2)
    ]
    target = SlotChoice(tiny.practitioner_id, tiny.location_id, standard, day + timedelta(hours=5))
    outcomes = race(2, lambda i: diary.reschedule(tiny.clinic_id, originals[i].id, target))
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    loser = next(i for i, o in enumerate(outcomes) if isinstance(o, Exception))
    assert isinstance(outcomes[loser], SlotUnavailable)
    # the loser kept its original time: nothing half-moved
    assert diary.appointment(tiny.clinic_id, originals[loser].id).starts_at == (
        originals[loser].starts_at
    )


def _raw_appointment(
    tiny_ids: tuple[int, int, int, int, int],
    start: datetime,
    minutes: int,
    before: int = 0,
    after: int = 0,
    status: str = "booked",
) -> Appointment:
    clinic_id, location_id, practitioner_id, type_id, patient_id = tiny_ids
    end = start + timedelta(minutes=minutes)
    return Appointment(
        clinic_id=clinic_id,
        practitioner_id=practitioner_id,
        location_id=location_id,
        appointment_type_id=type_id,
        patient_id=patient_id,
        starts_at=start,
        ends_at=end,
        blocked_from=start - timedelta(minutes=before),
        blocked_until=end + timedelta(minutes=after),
        status=status,
    )


@pytest.mark.parametrize(
    ("start_minutes", "minutes", "before", "after", "allowed"),
    [
        (0, 30, 0, 0, False),  # the same time
        (15, 30, 0, 0, False),  # overlapping
        (30, 30, 0, 0, True),  # back to back: half-open ranges
        (35, 30, 10, 0, False),  # only the buffers overlap
        (-30, 30, 0, 0, True),  # just before
        (-30, 30, 0, 5, False),  # its after-buffer runs into the existing one
    ],
)
def test_the_database_itself_refuses_overlaps(
    engine: Engine, start_minutes: int, minutes: int, before: int, after: int, allowed: bool
) -> None:
    """Writing around the diary (as a buggy plugin or a manual SQL fix might) cannot overlap."""
    tiny = build_tiny_clinic(engine)
    ids = (
        tiny.clinic_id,
        tiny.location_id,
        tiny.practitioner_id,
        tiny.type_ids["standard"],
        tiny.patient_id,
    )
    base = datetime(2026, 3, 10, 10, 0, tzinfo=SYDNEY)
    with Session(engine) as session:
        session.add(_raw_appointment(ids, base, 30))
        session.commit()
    with Session(engine) as session:
        session.add(
            _raw_appointment(ids, base + timedelta(minutes=start_minutes), minutes, before, after)
        )
        if allowed:
            session.commit()
        else:
            with pytest.raises(IntegrityError):
                session.commit()


def test_cancelled_rows_do_not_block_and_cannot_be_revived_onto_a_taken_time(
    engine: Engine,
) -> None:
    tiny = build_tiny_clinic(engine)
    ids = (
        tiny.clinic_id,
        tiny.location_id,
        tiny.practitioner_id,
        tiny.type_ids["standard"],
        tiny.patient_id,
    )
    base = datetime(2026, 3, 10, 10, 0, tzinfo=SYDNEY)
    with Session(engine) as session:
        cancelled = _raw_appointment(ids, base, 30, status="cancelled")
        session.add(cancelled)
        session.add(_raw_appointment(ids, base, 30))
        session.commit()
        cancelled.status = "booked"
        with pytest.raises(IntegrityError):
            session.commit()
