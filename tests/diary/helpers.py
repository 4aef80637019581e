"""Small helpers shared by the diary tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from diary import Diary, Slot, SlotChoice
from diary.db import write_session
from diary.models import (
    Appointment,
    AppointmentType,
    Clinic,
    Location,
    Patient,
    Practitioner,
    WorkingHours,
)


def choice(slot: Slot) -> SlotChoice:
    return SlotChoice(
        slot.practitioner_id, slot.location_id, slot.appointment_type_id, slot.starts_at
    )


def type_id(diary: Diary, clinic_id: int, name: str) -> int:
    return next(t.id for t in diary.appointment_types(clinic_id) if t.name == name)


def appointment_type(engine: Engine, ident: int) -> AppointmentType:
    with Session(engine) as session:
        return session.get_one(AppointmentType, ident)


def count_appointments(engine: Engine, *, status: str | None = None) -> int:
    query = select(func.count()).select_from(Appointment)
    if status is not None:
        query = query.where(Appointment.status == status)
    with Session(engine) as session:
        return session.scalar(query) or 0


def starts(slots: list[Slot]) -> set[datetime]:
    return {s.starts_at for s in slots}


@dataclass(frozen=True)
class TinyClinic:
    """A one-practitioner clinic for tests that need an empty diary with known rules."""

    clinic_id: int
    location_id: int
    practitioner_id: int
    type_ids: dict[str, int]
    patient_id: int


def build_tiny_clinic(
    engine: Engine,
    *,
    tz: str = "Australia/Sydney",
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4),
    starts: time = time(9, 0),
    ends: time = time(17, 0),
    types: dict[str, tuple[int, int, int]] | None = None,
    min_notice_minutes: int = 0,
    valid_from: date = date(2026, 1, 1),
) -> TinyClinic:
    """One location, one practitioner working `starts`-`ends` on `weekdays`, given types
    as name -> (duration, buffer before, buffer after), and one patient."""
    types = types or {"standard": (30, 0, 0)}
    with write_session(engine) as session:
        clinic = Clinic(
            name="Tiny",
            country="AU",
            timezone=tz,
            slot_step_minutes=15,
            min_notice_minutes=min_notice_minutes,
            max_window_days=31,
        )
        session.add(clinic)
        session.flush()
        location = Location(clinic_id=clinic.id, name="Main", timezone=tz)
        rows = {
            name: AppointmentType(
                clinic_id=clinic.id,
                name=name,
                duration_minutes=d,
                buffer_before_minutes=b,
                buffer_after_minutes=a,
            )
            for name, (d, b, a) in types.items()
        }
        practitioner = Practitioner(
            clinic_id=clinic.id,
            display_name="Alex",
            locations=[location],
            appointment_types=list(rows.values()),
        )
        patient = Patient(
            clinic_id=clinic.id,
            first_name="Pat",
            last_name="Example",
            first_name_key="pat",
            last_name_key="example",
        )
        session.add_all([location, practitioner, patient, *rows.values()])
        session.flush()
        session.add_all(
            [
                WorkingHours(
                    practitioner_id=practitioner.id,
                    location_id=location.id,
                    weekday=w,
                    starts_at=starts,
                    ends_at=ends,
                    valid_from=valid_from,
                )
                for w in weekdays
            ]
        )
        return TinyClinic(
            clinic.id, location.id, practitioner.id, {n: r.id for n, r in rows.items()}, patient.id
        )
