"""The demo clinic is deterministic and shaped as documented."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diary import Diary
from diary.db import make_engine, write_session
from diary.migrate import upgrade
from diary.models import (
    Appointment,
    ExceptionKind,
    Location,
    Patient,
    Practitioner,
    ScheduleException,
    WorkingHours,
)
from diary.seed import (
    NSW_PUBLIC_HOLIDAYS,
    ensure_demo_clinic,
    nsw_public_holidays,
    seed_demo_clinic,
)

# The public-holiday rows the seed made for the default anchor (2 March 2026) when it had its
# own table, captured from that code: clinics' scenario files rely on exactly these.
HOLIDAYS_AT_THE_DEFAULT_ANCHOR = [
    (date(2026, 4, 3), "Good Friday"),
    (date(2026, 4, 4), "Easter Saturday"),
    (date(2026, 4, 6), "Easter Monday"),
    (date(2026, 4, 25), "Anzac Day"),
]

# The hand-written table the seed used to have, for 2026 and 2027.
OLD_TABLE = {
    date(2026, 1, 1): "New Year's Day",
    date(2026, 1, 26): "Australia Day",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 4): "Easter Saturday",
    date(2026, 4, 6): "Easter Monday",
    date(2026, 4, 25): "Anzac Day",
    date(2026, 6, 8): "King's Birthday",
    date(2026, 10, 5): "Labour Day",
    date(2026, 12, 25): "Christmas Day",
    date(2026, 12, 28): "Boxing Day (observed)",
    date(2027, 1, 1): "New Year's Day",
    date(2027, 1, 26): "Australia Day",
    date(2027, 3, 26): "Good Friday",
    date(2027, 3, 27): "Easter Saturday",
    date(2027, 3, 29): "Easter Monday",
    date(2027, 4, 26): "Anzac Day (observed)",
    date(2027, 6, 14): "King's Birthday",
    date(2027, 10, 4): "Labour Day",
    date(2027, 12, 27): "Christmas Day (observed)",
    date(2027, 12, 28): "Boxing Day (observed)",
}


def snapshot(url: str, anchor: date) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    upgrade(engine)
    with write_session(engine) as session:
        seed_demo_clinic(session, anchor)
    with Session(engine) as session:
        rows = session.execute(
            select(
                Appointment.practitioner_id,
                Appointment.location_id,
                Appointment.patient_id,
                Appointment.starts_at,
                Appointment.status,
            ).order_by(Appointment.id)
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_same_anchor_same_clinic(tmp_path: Path) -> None:
    anchor = date(2026, 3, 2)
    first = snapshot(f"sqlite:///{tmp_path / 'a.db'}", anchor)
    second = snapshot(f"sqlite:///{tmp_path / 'b.db'}", anchor)
    assert first == second
    assert len(first) > 100


def test_demo_shape(diary: Diary, demo: int) -> None:
    assert [loc.timezone for loc in diary.locations(demo)] == ["Australia/Sydney"] * 2
    assert len(diary.practitioners(demo)) == 4
    types = diary.appointment_types(demo)
    assert len(types) == 4
    assert [t.bookable_by_phone for t in types].count(False) == 1
    with Session(diary.engine) as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 20
        assert session.scalar(select(func.count()).select_from(WorkingHours)) > 0
        two_sites = session.scalars(select(Practitioner)).all()
        assert any(len(p.locations) == 2 for p in two_sites)
        statuses = set(session.scalars(select(Appointment.status)))
        assert statuses == {"booked", "did_not_arrive"}
        assert session.scalar(select(func.count()).select_from(Location)) == 2


def test_ensure_seeds_once(diary: Diary) -> None:
    with write_session(diary.engine) as session:
        first = ensure_demo_clinic(session, date(2026, 3, 2)).id
    with write_session(diary.engine) as session:
        assert ensure_demo_clinic(session, date(2026, 5, 1)).id == first
    assert len(diary.clinics()) == 1


def public_holidays(url: str, anchor: date) -> list[tuple[date, str]]:
    engine = make_engine(url)
    upgrade(engine)
    with write_session(engine) as session:
        seed_demo_clinic(session, anchor)
    with Session(engine) as session:
        rows = session.execute(
            select(ScheduleException.on_date, ScheduleException.note)
            .where(ScheduleException.kind == ExceptionKind.PUBLIC_HOLIDAY.value)
            .order_by(ScheduleException.id)
        ).all()
    engine.dispose()
    return [(day, note or "") for day, note in rows]


def test_holidays_at_the_default_anchor_are_as_they_were(tmp_path: Path) -> None:
    rows = public_holidays(f"sqlite:///{tmp_path / 'h.db'}", date(2026, 3, 2))
    assert rows == HOLIDAYS_AT_THE_DEFAULT_ANCHOR


def test_the_library_gives_the_old_table_and_the_saturdays_it_missed() -> None:
    """Every day of the old table, named as it was; beyond it only the two Saturday holidays
    it left out (Boxing Day 2026 and Christmas Day 2027, both worked on Saturdays)."""
    assert NSW_PUBLIC_HOLIDAYS == nsw_public_holidays(date(2026, 1, 1), date(2027, 12, 31))
    assert {day: NSW_PUBLIC_HOLIDAYS.get(day) for day in OLD_TABLE} == OLD_TABLE
    added = {day: name for day, name in NSW_PUBLIC_HOLIDAYS.items() if day not in OLD_TABLE}
    assert added == {date(2026, 12, 26): "Boxing Day", date(2027, 12, 25): "Christmas Day"}


def test_no_rows_for_sundays_and_anzac_monday_2026_stays_a_working_day() -> None:
    april = nsw_public_holidays(date(2026, 4, 1), date(2026, 4, 30))
    assert date(2026, 4, 5) not in april  # Easter Sunday: no one works Sundays
    assert date(2026, 4, 27) not in april  # kept as the demo diary has always had it
    assert nsw_public_holidays(date(2027, 4, 26), date(2027, 4, 26)) == {
        date(2027, 4, 26): "Anzac Day (observed)"
    }
