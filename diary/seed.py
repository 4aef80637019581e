"""The demo clinic: a Sydney physiotherapy practice, seeded deterministically.

Given the same anchor date the seed is the same, row for row: two locations, four
practitioners (one of them working at both), four appointment types, three months of weekly
hours from the anchor, NSW public holidays (from the `holidays` library), some time off,
twenty patients and a few weeks of appointments around the anchor. The embedded default seeds
it on first start with today's date as the anchor; tests pass a fixed one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import holidays
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from diary.availability import Slot, load_plan, slots_in_window
from diary.localtime import from_epoch, local_instant, zone
from diary.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Clinic,
    ExceptionKind,
    Location,
    Patient,
    PatientPhone,
    Practitioner,
    ScheduleException,
    WorkingHours,
)
from diary.patients import fold

DEMO_CLINIC_NAME = "Harbourside Physio"
DEMO_TIMEZONE = "Australia/Sydney"
SEED = 20260301

_PATIENTS = [
    ("Olivia", "Smith", date(1988, 3, 14), "0412 345 678"),
    ("Jack", "Williams", date(1975, 11, 2), "0413 222 901"),
    ("José", "García", date(1969, 7, 21), "0414 818 272"),
    ("Zoë", "Müller", date(1994, 1, 9), "0415 600 313"),
    ("Liam", "O'Connor", date(2001, 5, 30), "0416 171 802"),
    ("Mia", "Nguyen", date(1990, 9, 17), "0417 450 118"),
    ("Noah", "Brown", date(1958, 12, 25), "0418 903 554"),
    ("Charlotte", "Taylor", date(1983, 6, 6), "0419 264 770"),
    ("William", "Jones", date(1979, 2, 28), "0420 775 019"),
    ("Amelia", "Wilson", date(1999, 10, 12), "0421 512 640"),
    ("Thomas", "Anderson", date(1965, 4, 3), "0422 318 927"),
    ("Isla", "Thompson", date(2005, 8, 19), "0423 640 251"),
    ("Lucas", "White", date(1972, 1, 31), "0424 905 386"),
    ("Grace", "Martin", date(1986, 11, 11), "0425 127 693"),
    ("Henry", "Lee", date(1992, 3, 3), "0426 388 404"),
    ("Chloe", "Kelly", date(1997, 7, 7), "0427 451 936"),
    ("Ethan", "Walker", date(1961, 9, 9), "0428 702 815"),
    ("Ava", "Hall", date(2010, 2, 14), "0429 516 207"),
    ("Oliver", "Young", date(1980, 12, 1), "0430 833 549"),
    ("Sophie", "King", date(1977, 5, 22), "0431 290 664"),
]


DEMO_PATIENTS: list[tuple[str, str, date]] = [(f, last, born) for f, last, born, _ in _PATIENTS]
"""The demo clinic's patients: first name, last name, date of birth."""


@dataclass(frozen=True)
class _Shift:
    practitioner: int  # index into the practitioner list
    location: int  # index into the location list
    weekdays: tuple[int, ...]
    starts: time
    ends: time


_SHIFTS = [
    # Sarah Chen: Surry Hills Mon/Wed/Fri with lunch, Parramatta Tue/Thu.
    _Shift(0, 0, (0, 2, 4), time(8, 0), time(12, 0)),
    _Shift(0, 0, (0, 2, 4), time(13, 0), time(16, 0)),
    _Shift(0, 1, (1, 3), time(9, 0), time(17, 0)),
    # James O'Brien: Surry Hills late days and Saturday mornings.
    _Shift(1, 0, (0, 1, 2, 3), time(12, 0), time(20, 0)),
    _Shift(1, 0, (5,), time(8, 0), time(12, 0)),
    # Priya Patel: Parramatta weekdays.
    _Shift(2, 1, (0, 1, 2, 3, 4), time(9, 0), time(17, 30)),
    # Tom Nguyen: early Surry Hills, afternoon Parramatta.
    _Shift(3, 0, (1, 3), time(7, 0), time(13, 0)),
    _Shift(3, 1, (0, 2, 4), time(10, 0), time(18, 0)),
]


# Monday 27 April 2026 became a NSW public holiday (for Anzac Day on a Saturday) after the
# demo diary was published, and clinics' scenario files rely on the diary as it was: the demo
# keeps that day a working day (its call script says so too).
_KEPT_WORKING_DAYS = frozenset({date(2026, 4, 27)})


def nsw_public_holidays(first: date, last: date) -> dict[date, str]:
    """The NSW public holidays from `first` to `last` (both included) that close the demo
    clinic, by the `holidays` library: date -> name.

    A holiday on a weekday no one works (Sunday) closes nothing, so it has no row.
    """
    worked = {weekday for shift in _SHIFTS for weekday in shift.weekdays}
    calendar = holidays.country_holidays(
        "AU",
        subdiv="NSW",
        years=range(first.year, last.year + 1),
        language="en_AU",
        categories=holidays.PUBLIC,
    )
    return {
        day: _spelled(name)
        for day, name in sorted(calendar.items())
        if first <= day <= last and day.weekday() in worked and day not in _KEPT_WORKING_DAYS
    }


def _spelled(name: str) -> str:
    # The demo's rows have always said "Anzac Day", as the NSW government writes it.
    return name.replace("ANZAC", "Anzac")


NSW_PUBLIC_HOLIDAYS: dict[date, str] = nsw_public_holidays(date(2026, 1, 1), date(2027, 12, 31))
"""The demo's NSW public holidays for 2026 and 2027 (for benchmarks that build their own)."""


def seed_demo_clinic(session: Session, anchor: date) -> Clinic:
    """Create the demo clinic around `anchor` (a local date); returns it. Does not commit."""
    rng = random.Random(SEED)
    clinic = Clinic(
        name=DEMO_CLINIC_NAME,
        country="AU",
        timezone=DEMO_TIMEZONE,
        slot_step_minutes=15,
        min_notice_minutes=60,
        max_window_days=31,
        hold_minutes=5,
    )
    session.add(clinic)
    session.flush()
    locations = [
        Location(
            clinic_id=clinic.id,
            name="Surry Hills",
            timezone=DEMO_TIMEZONE,
            address="12 Crown Street, Surry Hills NSW 2010",
        ),
        Location(
            clinic_id=clinic.id,
            name="Parramatta",
            timezone=DEMO_TIMEZONE,
            address="88 Church Street, Parramatta NSW 2150",
        ),
    ]
    types = [
        AppointmentType(
            clinic_id=clinic.id,
            name="Initial physiotherapy consultation",
            duration_minutes=45,
            buffer_after_minutes=15,
        ),
        AppointmentType(
            clinic_id=clinic.id,
            name="Physiotherapy follow-up",
            duration_minutes=30,
            buffer_after_minutes=5,
            new_patients_allowed=False,
        ),
        AppointmentType(
            clinic_id=clinic.id,
            name="Remedial massage",
            duration_minutes=60,
            buffer_after_minutes=15,
        ),
        AppointmentType(
            clinic_id=clinic.id,
            name="Clinical pilates assessment",
            duration_minutes=60,
            buffer_before_minutes=10,
            bookable_by_phone=False,
        ),
    ]
    session.add_all([*locations, *types])
    practitioners = [
        Practitioner(
            clinic_id=clinic.id,
            display_name="Sarah Chen",
            title="Physiotherapist",
            locations=locations,
            appointment_types=[types[0], types[1], types[3]],
        ),
        Practitioner(
            clinic_id=clinic.id,
            display_name="James O'Brien",
            title="Physiotherapist",
            locations=[locations[0]],
            appointment_types=[types[0], types[1]],
        ),
        Practitioner(
            clinic_id=clinic.id,
            display_name="Priya Patel",
            title="Remedial massage therapist",
            locations=[locations[1]],
            appointment_types=[types[2]],
        ),
        Practitioner(
            clinic_id=clinic.id,
            display_name="Tom Nguyen",
            title="Exercise physiologist",
            locations=locations,
            appointment_types=[types[3]],
        ),
    ]
    session.add_all(practitioners)
    session.flush()

    history_start = anchor - timedelta(days=14)
    until = anchor + timedelta(days=91)
    for shift in _SHIFTS:
        for weekday in shift.weekdays:
            session.add(
                WorkingHours(
                    practitioner_id=practitioners[shift.practitioner].id,
                    location_id=locations[shift.location].id,
                    weekday=weekday,
                    starts_at=shift.starts,
                    ends_at=shift.ends,
                    valid_from=history_start,
                    valid_until=until,
                )
            )
    for day, name in nsw_public_holidays(history_start, until).items():
        session.add(
            ScheduleException(
                clinic_id=clinic.id,
                on_date=day,
                kind=ExceptionKind.PUBLIC_HOLIDAY.value,
                note=name,
            )
        )
    session.add_all(
        [
            ScheduleException(
                clinic_id=clinic.id,
                practitioner_id=practitioners[2].id,
                on_date=anchor + timedelta(days=10),
                kind=ExceptionKind.TIME_OFF.value,
                note="Annual leave",
            ),
            ScheduleException(
                clinic_id=clinic.id,
                practitioner_id=practitioners[0].id,
                on_date=anchor + timedelta(days=3),
                starts_at=time(13, 0),
                ends_at=time(17, 0),
                kind=ExceptionKind.TIME_OFF.value,
                note="Professional development",
            ),
            ScheduleException(
                clinic_id=clinic.id,
                practitioner_id=practitioners[1].id,
                location_id=locations[0].id,
                on_date=anchor + timedelta(days=5),
                starts_at=time(9, 0),
                ends_at=time(12, 0),
                kind=ExceptionKind.EXTRA_HOURS.value,
                note="Extra clinic",
            ),
        ]
    )

    patients = [
        Patient(
            clinic_id=clinic.id,
            first_name=first,
            last_name=last,
            first_name_key=fold(first),
            last_name_key=fold(last),
            date_of_birth=dob,
            email=f"{fold(first)}.{fold(last).replace(chr(39), '')}@example.com",
            phones=[PatientPhone(e164="+61" + phone.replace(" ", "")[1:])],
        )
        for first, last, dob, phone in _PATIENTS
    ]
    session.add_all(patients)
    session.flush()
    _seed_appointments(session, clinic, practitioners, patients, anchor, rng)
    return clinic


def _seed_appointments(
    session: Session,
    clinic: Clinic,
    practitioners: list[Practitioner],
    patients: list[Patient],
    anchor: date,
    rng: random.Random,
) -> None:
    """About a third of each practitioner's time taken, from two weeks before the anchor to
    three weeks after; past ones mostly attended, a few did-not-arrive."""
    tz = zone(DEMO_TIMEZONE)
    first_day, last_day = anchor - timedelta(days=14), anchor + timedelta(days=22)
    range_start = local_instant(first_day, time(0), tz)
    range_end = local_instant(last_day, time(0), tz)
    anchor_at = from_epoch(local_instant(anchor, time(0), tz))
    now = datetime.now(UTC)
    # Each practitioner's free slots per type over the whole range, read once ("now" well
    # before the range, so minimum notice hides nothing); each day then takes one type.
    free: dict[tuple[int, int], dict[date, list[Slot]]] = {}
    for practitioner in practitioners:
        for appt_type in practitioner.appointment_types:
            plan = load_plan(session, clinic.id, appt_type.id, [practitioner.id])
            by_day: dict[date, list[Slot]] = {}
            for slot in slots_in_window(session, plan, range_start, range_end, range_start - 86400):
                by_day.setdefault(slot.starts_at.astimezone(tz).date(), []).append(slot)
            free[(practitioner.id, appt_type.id)] = by_day
    rows: list[dict[str, object]] = []
    day = first_day
    while day < last_day:
        for practitioner in practitioners:
            appt_type = rng.choice(practitioner.appointment_types)
            before = timedelta(minutes=appt_type.buffer_before_minutes)
            after = timedelta(minutes=appt_type.buffer_after_minutes)
            taken_until = datetime.min.replace(tzinfo=UTC)
            for slot in free[(practitioner.id, appt_type.id)].get(day, []):
                if slot.starts_at - before < taken_until or rng.random() > 0.33:
                    continue
                taken_until = slot.ends_at + after
                status = AppointmentStatus.BOOKED.value
                if slot.starts_at < anchor_at and rng.random() < 0.08:
                    status = AppointmentStatus.DID_NOT_ARRIVE.value
                rows.append(
                    {
                        "clinic_id": clinic.id,
                        "practitioner_id": practitioner.id,
                        "location_id": slot.location_id,
                        "appointment_type_id": appt_type.id,
                        "patient_id": rng.choice(patients).id,
                        "starts_at": slot.starts_at,
                        "ends_at": slot.ends_at,
                        "blocked_from": slot.starts_at - before,
                        "blocked_until": taken_until,
                        "status": status,
                        "source": "seed",
                        "notes": "",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        day += timedelta(days=1)
    # One executemany rather than an ORM unit of work per row: the seed runs on first start.
    session.execute(insert(Appointment), rows)


def ensure_demo_clinic(session: Session, today: date) -> Clinic:
    """The demo clinic, seeded now around `today` (a Sydney date) if the database has none."""
    existing = session.scalars(select(Clinic).where(Clinic.name == DEMO_CLINIC_NAME)).first()
    if existing is not None:
        return existing
    return seed_demo_clinic(session, today)


def sydney_today(now: datetime) -> date:
    """The demo clinic's local date at the instant `now`."""
    return now.astimezone(zone(DEMO_TIMEZONE)).date()
