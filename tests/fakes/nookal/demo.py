"""The diary's demo clinic ("Harbourside Physio") copied into a fake Nookal, row for row.

`seed_demo(fake, engine)` reads a diary database seeded by `diary.seed.seed_demo_clinic` (or
`ensure_demo_clinic`) and copies its locations, practitioners (where they work and what they
deliver), appointment types (durations), weekly working hours, dated exceptions (public
holidays, time off, extra hours), patients (names, birth dates, emails, phones as a receptionist
would type them) and appointments (at the same local times, cancelled and did-not-arrive flags
kept). Ids are the diary's ids, as strings.

Nookal has no "bookable by phone" or "existing patients only" flags, nor buffers between
appointments: the two flags come back in `DemoClinic.settings()` for the adapter (its
`not_bookable_by_phone` and `existing_patients_only` settings); buffers are not copied, so the
fake offers slightly more time right after an appointment than the diary does.
`demo_fake(anchor)` does it all from scratch, in a throwaway SQLite diary.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from diary import models as dm
from diary.db import make_engine, write_session
from diary.migrate import upgrade
from diary.seed import DEMO_CLINIC_NAME, seed_demo_clinic
from tests.fakes.nookal.state import (
    DatedChange,
    FakeAppointment,
    FakeLocation,
    FakeNookal,
    FakePatient,
    FakePractitioner,
    FakeService,
    WeeklyHours,
    minutes,
)

DEMO_API_KEY = "demo-nookal-key"
_TOWN = re.compile(r"^(?P<city>.+?)\s+(?P<state>[A-Z]{2,3})\s+(?P<postcode>\d{4})$")


@dataclass(frozen=True)
class DemoClinic:
    """What was copied, and the adapter settings that describe what Nookal cannot."""

    api_key: str
    location_ids: tuple[str, ...]
    not_bookable_by_phone: tuple[str, ...]
    existing_patients_only: tuple[str, ...]
    type_ids: dict[str, str] = field(default_factory=dict)  # name -> id
    practitioner_ids: dict[str, str] = field(default_factory=dict)  # name -> id
    region: str = "AU"

    def settings(self, base_url: str, **more: Any) -> dict[str, Any]:
        """Settings for `pms_adapters.nookal.create` against the fake at `base_url`."""
        return {
            "api_key": self.api_key,
            "base_url": base_url,
            "location_ids": list(self.location_ids),
            "not_bookable_by_phone": list(self.not_bookable_by_phone),
            "existing_patients_only": list(self.existing_patients_only),
            "region": self.region,
            **more,
        }


def _as_typed(e164: str, region: str) -> str:
    parsed = phonenumbers.parse(e164, region)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def _location(row: dm.Location, country: str) -> FakeLocation:
    line_1, _, rest = row.address.partition(", ")
    town = _TOWN.match(rest.strip())
    return FakeLocation(
        id=str(row.id),
        name=row.name,
        timezone=row.timezone,
        address_line_1=line_1 if town else row.address,
        city=town["city"] if town else "",
        state=town["state"] if town else "",
        postcode=town["postcode"] if town else "",
        country=country,
    )


def seed_demo(fake: FakeNookal, engine: Engine, clinic_name: str = DEMO_CLINIC_NAME) -> DemoClinic:
    """Copy the named clinic from the diary database at `engine` into `fake`."""
    fake.api_keys.setdefault(DEMO_API_KEY, None)
    with Session(engine) as session:
        clinic = session.scalars(select(dm.Clinic).where(dm.Clinic.name == clinic_name)).one()
        country = "Australia" if clinic.country == "AU" else clinic.country
        locations = session.scalars(
            select(dm.Location).where(dm.Location.clinic_id == clinic.id).order_by(dm.Location.id)
        ).all()
        zones = {loc.id: ZoneInfo(loc.timezone) for loc in locations}
        for loc in locations:
            fake.add_location(_location(loc, country))
        types = session.scalars(
            select(dm.AppointmentType)
            .where(dm.AppointmentType.clinic_id == clinic.id, dm.AppointmentType.active)
            .order_by(dm.AppointmentType.id)
        ).all()
        for kind in types:
            fake.add_service(
                FakeService(id=str(kind.id), name=kind.name, duration=kind.duration_minutes)
            )
        practitioners = session.scalars(
            select(dm.Practitioner)
            .where(dm.Practitioner.clinic_id == clinic.id)
            .order_by(dm.Practitioner.id)
        ).all()
        for p in practitioners:
            first, _, last = p.display_name.partition(" ")
            fake.add_practitioner(
                FakePractitioner(
                    id=str(p.id),
                    first_name=first,
                    last_name=last,
                    speciality=p.title,
                    location_ids=[str(loc.id) for loc in p.locations],
                    service_ids=[str(t.id) for t in p.appointment_types],
                    active=p.active,
                )
            )
        ids = [p.id for p in practitioners]
        for hours in session.scalars(
            select(dm.WorkingHours).where(dm.WorkingHours.practitioner_id.in_(ids))
        ):
            fake.add_hours(
                WeeklyHours(
                    practitioner_id=str(hours.practitioner_id),
                    location_id=str(hours.location_id),
                    weekday=hours.weekday,
                    start=minutes(hours.starts_at),
                    end=minutes(hours.ends_at),
                    valid_from=hours.valid_from,
                    valid_until=hours.valid_until,
                )
            )
        for change in session.scalars(
            select(dm.ScheduleException).where(dm.ScheduleException.clinic_id == clinic.id)
        ):
            fake.add_change(
                DatedChange(
                    day=change.on_date,
                    kind="extra" if change.kind == dm.ExceptionKind.EXTRA_HOURS.value else "off",
                    practitioner_id=None
                    if change.practitioner_id is None
                    else str(change.practitioner_id),
                    location_id=None if change.location_id is None else str(change.location_id),
                    start=None if change.starts_at is None else minutes(change.starts_at),
                    end=None if change.ends_at is None else minutes(change.ends_at),
                )
            )
        for patient in session.scalars(
            select(dm.Patient).where(dm.Patient.clinic_id == clinic.id).order_by(dm.Patient.id)
        ):
            phones = [_as_typed(p.e164, clinic.country) for p in patient.phones]
            fake.add_patient(
                FakePatient(
                    id=str(patient.id),
                    first_name=patient.first_name,
                    last_name=patient.last_name,
                    dob=patient.date_of_birth,
                    mobile=phones[0] if phones else "",
                    home=phones[1] if len(phones) > 1 else "",
                    email=patient.email or "",
                    created=patient.created_at,
                )
            )
        for appt in session.scalars(
            select(dm.Appointment).where(dm.Appointment.clinic_id == clinic.id)
        ):
            zone = zones[appt.location_id]
            starts, ends = appt.starts_at.astimezone(zone), appt.ends_at.astimezone(zone)
            fake.add_appointment(
                FakeAppointment(
                    id=str(appt.id),
                    patient_id=str(appt.patient_id),
                    practitioner_id=str(appt.practitioner_id),
                    location_id=str(appt.location_id),
                    service_id=str(appt.appointment_type_id),
                    day=starts.date(),
                    start=minutes(starts.time()),
                    end=minutes(ends.time()) if ends.date() == starts.date() else 24 * 60,
                    cancelled=appt.status == dm.AppointmentStatus.CANCELLED.value,
                    dna=appt.status == dm.AppointmentStatus.DID_NOT_ARRIVE.value,
                    notes=appt.notes,
                    created=appt.created_at,
                    modified=appt.updated_at,
                    cancelled_at=appt.cancelled_at,
                )
            )
        return DemoClinic(
            api_key=DEMO_API_KEY,
            location_ids=tuple(str(loc.id) for loc in locations),
            not_bookable_by_phone=tuple(str(t.id) for t in types if not t.bookable_by_phone),
            existing_patients_only=tuple(str(t.id) for t in types if not t.new_patients_allowed),
            type_ids={t.name: str(t.id) for t in types},
            practitioner_ids={p.display_name: str(p.id) for p in practitioners},
            region=clinic.country,
        )


def demo_fake(anchor: date, fake: FakeNookal | None = None) -> tuple[FakeNookal, DemoClinic]:
    """A fake holding the demo clinic seeded around `anchor` (use `tests.conftest.DEMO_ANCHOR`
    to match the diary the tests use), made in a throwaway SQLite diary."""
    fake = fake or FakeNookal()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'demo.db'}")
        try:
            upgrade(engine)
            with write_session(engine) as session:
                seed_demo_clinic(session, anchor)
            return fake, seed_demo(fake, engine)
        finally:
            engine.dispose()
