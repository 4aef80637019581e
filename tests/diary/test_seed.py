"""The demo clinic is deterministic and shaped as documented."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diary import Diary
from diary.db import make_engine, write_session
from diary.migrate import upgrade
from diary.models import Appointment, Location, Patient, Practitioner, WorkingHours
from diary.seed import ensure_demo_clinic, seed_demo_clinic


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
