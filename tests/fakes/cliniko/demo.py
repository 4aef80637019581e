"""The diary's demo clinic ("Harbourside Physio"), served by the fake Cliniko.

`load_diary_clinic` copies a seeded diary clinic into a `FakeCliniko`, so the same requests get
the same outcomes through the Cliniko adapter as through the diary:

- locations -> businesses (same zone, address, country), every type offered at each;
- appointment types -> types (same durations); not bookable by phone -> not shown in online
  bookings (available times 404); not open to new patients -> "Existing patients only." in
  the description (Cliniko has no field for it; the adapter reads that phrase);
- practitioners -> practitioners (first word of the name as first name), at the same
  businesses, offering the same types;
- weekly working hours -> the same weekly hours; time off and public holidays -> unavailable
  blocks; extra hours -> availability blocks;
- patients -> patients (names, birth dates, emails; phones in national format, as a clinic
  would type them); appointments -> appointments (did-not-arrive and cancelled kept as such);
- the clinic's slot step and minimum notice -> the fake's grid and notice.

- appointment-type buffers -> the fake's hidden buffers (Cliniko's API shows none, but its
  available times are computed server-side), so the fake offers the times the diary offers.

Not carried over: the working hours' validity dates (the fake's weekly hours do not expire)
and holds. Cliniko's `/conflicts` (and so the adapter) sees only true overlaps, not buffers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from diary import models as dm
from diary.db import make_engine, read_session, write_session
from diary.seed import seed_demo_clinic
from tests.fakes.cliniko.state import FakeCliniko


@dataclass
class DemoClinic:
    """The fake, and which Cliniko id each diary row became (diary id -> Cliniko id)."""

    fake: FakeCliniko
    businesses: dict[int, str] = field(default_factory=dict)
    practitioners: dict[int, str] = field(default_factory=dict)
    appointment_types: dict[int, str] = field(default_factory=dict)
    patients: dict[int, str] = field(default_factory=dict)
    appointments: dict[int, str] = field(default_factory=dict)


def _national(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _day_span(
    day: date, starts: time | None, ends: time | None, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    if starts is None or ends is None:
        begin = datetime.combine(day, time(0), tzinfo=tz)
        return begin, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(day, starts, tzinfo=tz), datetime.combine(day, ends, tzinfo=tz)


def load_diary_clinic(
    engine: Engine,
    *,
    clinic_id: int | None = None,
    fake: FakeCliniko | None = None,
    clock: Callable[[], datetime] | None = None,
) -> DemoClinic:
    """Copy a diary clinic (default: the first) into `fake` (default: a new one)."""
    with read_session(engine) as session:
        query = select(dm.Clinic).order_by(dm.Clinic.id)
        if clinic_id is not None:
            query = query.where(dm.Clinic.id == clinic_id)
        clinic = session.scalars(query).first()
        if clinic is None:
            raise LookupError("the diary has no such clinic")
        if fake is None:
            fake = FakeCliniko(clock=clock)
        elif clock is not None:
            fake.set_clock(clock)
        fake.settings.slot_step_minutes = clinic.slot_step_minutes
        fake.settings.min_notice_minutes = clinic.min_notice_minutes
        demo = DemoClinic(fake)
        _reference(session, clinic, demo)
        _schedule(session, clinic, demo)
        _people(session, clinic, demo)
        return demo


def _reference(session: Session, clinic: dm.Clinic, demo: DemoClinic) -> None:
    fake = demo.fake
    for loc in session.scalars(
        select(dm.Location).where(dm.Location.clinic_id == clinic.id).order_by(dm.Location.id)
    ):
        business = fake.add_business(
            loc.name, loc.timezone, address_1=loc.address, country_code=clinic.country
        )
        demo.businesses[loc.id] = business.id
    for kind in session.scalars(
        select(dm.AppointmentType)
        .where(dm.AppointmentType.clinic_id == clinic.id, dm.AppointmentType.active)
        .order_by(dm.AppointmentType.id)
    ):
        created = fake.add_appointment_type(
            kind.name,
            kind.duration_minutes,
            show_in_online_bookings=kind.bookable_by_phone,
            description="" if kind.new_patients_allowed else "Existing patients only.",
            buffer_before_minutes=kind.buffer_before_minutes,
            buffer_after_minutes=kind.buffer_after_minutes,
        )
        demo.appointment_types[kind.id] = created.id
    for person in session.scalars(
        select(dm.Practitioner)
        .where(dm.Practitioner.clinic_id == clinic.id, dm.Practitioner.active)
        .options(selectinload(dm.Practitioner.locations))
        .options(selectinload(dm.Practitioner.appointment_types))
        .order_by(dm.Practitioner.id)
    ):
        first, _, last = person.display_name.partition(" ")
        created_p = fake.add_practitioner(
            first,
            last or first,
            [demo.businesses[loc.id] for loc in person.locations],
            [
                demo.appointment_types[t.id]
                for t in person.appointment_types
                if t.id in demo.appointment_types
            ],
            designation=person.title,
        )
        demo.practitioners[person.id] = created_p.id


def _schedule(session: Session, clinic: dm.Clinic, demo: DemoClinic) -> None:
    fake = demo.fake
    zones = {
        loc.id: ZoneInfo(loc.timezone)
        for loc in session.scalars(select(dm.Location).where(dm.Location.clinic_id == clinic.id))
    }
    clinic_zone = ZoneInfo(clinic.timezone)
    for rule in session.scalars(
        select(dm.WorkingHours)
        .where(dm.WorkingHours.practitioner_id.in_(demo.practitioners))
        .order_by(dm.WorkingHours.id)
    ):
        fake.set_hours(
            demo.practitioners[rule.practitioner_id],
            demo.businesses[rule.location_id],
            rule.weekday + 1,
            [(rule.starts_at, rule.ends_at)],
        )
    practitioner_locations = {
        p: [loc for loc, b in demo.businesses.items() if b in fake.practitioners[c].business_ids]
        for p, c in demo.practitioners.items()
    }
    for ex in session.scalars(
        select(dm.ScheduleException)
        .where(dm.ScheduleException.clinic_id == clinic.id)
        .order_by(dm.ScheduleException.id)
    ):
        zone = zones.get(ex.location_id, clinic_zone) if ex.location_id else clinic_zone
        starts, ends = _day_span(ex.on_date, ex.starts_at, ex.ends_at, zone)
        business = demo.businesses.get(ex.location_id) if ex.location_id else None
        if ex.kind == dm.ExceptionKind.EXTRA_HOURS.value:
            assert ex.practitioner_id is not None and business is not None
            fake.add_availability_block(
                demo.practitioners[ex.practitioner_id], business, starts, ends, ex.note
            )
            continue
        who = [ex.practitioner_id] if ex.practitioner_id else list(demo.practitioners)
        for person in who:
            if person not in demo.practitioners:
                continue
            if ex.location_id and ex.location_id not in practitioner_locations[person]:
                continue
            fake.add_unavailable_block(demo.practitioners[person], starts, ends, business, ex.note)


def _people(session: Session, clinic: dm.Clinic, demo: DemoClinic) -> None:
    fake = demo.fake
    for row in session.scalars(
        select(dm.Patient)
        .where(dm.Patient.clinic_id == clinic.id)
        .options(selectinload(dm.Patient.phones))
        .order_by(dm.Patient.id)
    ):
        patient = fake.add_patient(
            row.first_name,
            row.last_name,
            row.date_of_birth,
            [_national(p.e164) for p in row.phones],
            row.email,
        )
        patient.created_at = patient.updated_at = row.created_at
        demo.patients[row.id] = patient.id
    for appt in session.scalars(
        select(dm.Appointment)
        .where(dm.Appointment.clinic_id == clinic.id)
        .order_by(dm.Appointment.id)
    ):
        cancelled = appt.status == dm.AppointmentStatus.CANCELLED.value
        created = fake.add_appointment(
            demo.patients[appt.patient_id],
            demo.practitioners[appt.practitioner_id],
            demo.businesses[appt.location_id],
            demo.appointment_types[appt.appointment_type_id],
            appt.starts_at,
            appt.ends_at,
            notes=appt.notes or None,
            did_not_arrive=appt.status == dm.AppointmentStatus.DID_NOT_ARRIVE.value,
            cancelled_at=(appt.cancelled_at or appt.updated_at) if cancelled else None,
            cancellation_reason=50 if cancelled else None,
            created_at=appt.created_at,
            updated_at=appt.updated_at,
        )
        demo.appointments[appt.id] = created.id


def demo_clinic(anchor: date, clock: Callable[[], datetime] | None = None) -> DemoClinic:
    """A fresh fake holding the demo clinic seeded around `anchor` (a Sydney date), via a
    throwaway in-memory diary; `clock` is the fake's clock (e.g. `lambda: DEMO_NOW`)."""
    engine = make_engine("sqlite://")
    try:
        dm.Base.metadata.create_all(engine)
        with write_session(engine) as session:
            seed_demo_clinic(session, anchor)
        return load_diary_clinic(engine, clock=clock)
    finally:
        engine.dispose()
