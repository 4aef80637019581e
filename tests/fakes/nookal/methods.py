"""The fake's v2 methods: parameters in (snake_case strings), Nookal rows out (PascalCase and
camelCase, string ids and numbers, "0"/"1" booleans), as spec sections 7 and 9 describe.

A handler returns `(api_call, results)` for a single answer or raises `Failure`; list methods
return every row under their key and `app` cuts the page. Parameters a handler does not know
are ignored, as Nookal ignores them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.fakes.nookal import schedule
from tests.fakes.nookal.rows import (
    appointment_row,
    clock,
    location_row,
    patient_row,
    practitioner_row,
    service_row,
)
from tests.fakes.nookal.state import FakeAppointment, FakeNookal, FakePatient

Params = dict[str, str]
Answer = tuple[str, dict[str, Any]]
Handler = Callable[[FakeNookal, Params, "set[str] | None"], Answer]
LIST_KEYS = {
    "getLocations": "locations",
    "getPractitioners": "practitioners",
    "getAppointmentTypes": "services",
    "getAppointments": "appointments",
    "searchPatients": "patients",
    "getPatients": "patients",
}


class Failure(Exception):
    """A `status: failure` answer (sent with HTTP 200)."""

    def __init__(self, code: str, message: str, alerts: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.alerts = alerts or [message]


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Failure("V001", f"Invalid {name}") from exc


def _time(value: str) -> int:
    parts = value.split(":")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise Failure("V002", "Invalid start_time")
    return int(parts[0]) * 60 + int(parts[1])


def _need(params: Params, *names: str) -> None:
    missing = [n for n in names if not params.get(n)]
    if missing:
        raise Failure(
            "V000", f"Missing variable: {missing[0]}", [f"Missing variable: {n}" for n in missing]
        )


def _in_scope(scope: set[str] | None, location_id: str) -> bool:
    return scope is None or location_id in scope


# -- reads ----------------------------------------------------------------------------------


def verify(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    return "verify", {"verify": True}


def get_locations(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    rows = [location_row(fake, i) for i in fake.locations if _in_scope(scope, i)]
    return "getLocations", {"locations": rows}


def get_practitioners(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    rows = [
        practitioner_row(fake, p.id)
        for p in fake.practitioners.values()
        if p.active or params.get("include_inactive_practitioners") == "1"
    ]
    return "getPractitioners", {"practitioners": rows}


def get_appointment_types(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    return "getAppointmentTypes", {"services": [service_row(fake, i) for i in fake.services]}


def get_practitioner_appointment_types(
    fake: FakeNookal, params: Params, scope: set[str] | None
) -> Answer:
    _need(params, "practitioner_id")
    found = fake.practitioners.get(params["practitioner_id"])
    if found is None:
        raise Failure("L004", "Practitioner not found")
    ids = list(fake.services) if found.service_ids is None else found.service_ids
    return "getPractitionerAppointmentTypes", {
        "services": [service_row(fake, i) for i in ids if i in fake.services],
        "classes": [],
    }


def get_availabilities(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    _need(params, "location_id", "practitioner_id", "date_from", "date_to")
    first = _date(params["date_from"], "date_from")
    last = _date(params["date_to"], "date_to")
    location_id, practitioner_id = params["location_id"], params["practitioner_id"]
    if location_id not in fake.locations or not _in_scope(scope, location_id):
        raise Failure("L003", "Location not found")
    if practitioner_id not in fake.practitioners:
        raise Failure("L004", "Practitioner not found")
    days: dict[str, Any] = {}
    day = first
    while day <= last:
        days[day.isoformat()] = schedule.grid(fake, practitioner_id, location_id, day)
        day += timedelta(days=1)
    return "getAppointmentAvailabilities", {
        "date_from": first.isoformat(),
        "date_to": last.isoformat(),
        "location_id": location_id,
        "practitioner_id": practitioner_id,
        "availabilities": days,
    }


def get_appointments(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    first = _date(params["date_from"], "date_from") if params.get("date_from") else None
    last = _date(params["date_to"], "date_to") if params.get("date_to") else None
    rows = []
    for a in sorted(fake.appointments.values(), key=lambda a: (a.day, a.start, int(a.id))):
        if (
            (first is not None and a.day < first)
            or (last is not None and a.day > last)
            or not _in_scope(scope, a.location_id)
        ):
            continue
        if any(
            params.get(name) and params[name] != value
            for name, value in (
                ("patient_id", a.patient_id),
                ("practitioner_id", a.practitioner_id),
                ("location_id", a.location_id),
            )
        ):
            continue
        rows.append(appointment_row(fake, a.id))
    echo = "getPatientAppointments" if params.get("patient_id") else "getAppointments"
    return echo, {"appointments": rows}


def search_patients(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    def matches(p: FakePatient) -> bool:
        checks = (
            ("patient_id", p.id),
            ("first_name", p.first_name),
            ("last_name", p.last_name),
            ("date_of_birth", p.dob.isoformat() if p.dob else ""),
            ("email", p.email),
        )
        return all(
            not params.get(name) or params[name].strip().casefold() == value.casefold()
            for name, value in checks
        )

    rows = [patient_row(fake, p.id) for p in fake.patients.values() if matches(p)]
    return "searchPatients", {"patients": rows}


def get_patients(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    return "getPatients", {"patients": [patient_row(fake, i) for i in fake.patients]}


# -- writes ---------------------------------------------------------------------------------


def add_patient(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    _need(params, "first_name", "last_name", "date_of_birth")
    patient_id = fake.next_id(fake.patients)
    fake.patients[patient_id] = FakePatient(
        id=patient_id,
        first_name=params["first_name"],
        last_name=params["last_name"],
        dob=_date(params["date_of_birth"], "date_of_birth"),
        mobile=params.get("mobile", ""),
        home=params.get("home", ""),
        work=params.get("work", ""),
        email=params.get("email", ""),
    )
    return "addPatient", {"patient_id": patient_id}


def _placement(fake: FakeNookal, params: Params, scope: set[str] | None) -> tuple[date, int, int]:
    """Check a booking's location, practitioner, type and patient; its date, start and end."""
    location_id = params["location_id"]
    if location_id not in fake.locations or not _in_scope(scope, location_id):
        raise Failure("B002", "Location not found")
    if params["practitioner_id"] not in fake.practitioners:
        raise Failure("B003", "Practitioner not found")
    service = fake.services.get(params.get("appointment_type_id", ""))
    if service is None:
        raise Failure("B004", "Appointment type not found")
    if params["patient_id"] not in fake.patients:
        raise Failure("B005", "Patient not found")
    day = _date(params["appointment_date"], "appointment_date")
    start = _time(params["start_time"])
    return day, start, start + service.duration


def _refuse_overlap(
    fake: FakeNookal, params: Params, day: date, start: int, end: int, ignoring: str | None
) -> None:
    if params.get("allow_overlap_bookings") == "1":
        return
    if schedule.overlaps(fake, params["practitioner_id"], day, start, end, ignoring):
        raise Failure("B006", "The requested time is not available for this practitioner")


def add_booking(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    _need(params, "location_id", "appointment_date", "start_time", "patient_id", "practitioner_id")
    day, start, end = _placement(fake, params, scope)
    _refuse_overlap(fake, params, day, start, end, None)
    appointment_id = fake.next_id(fake.appointments)
    fake.appointments[appointment_id] = FakeAppointment(
        id=appointment_id,
        patient_id=params["patient_id"],
        practitioner_id=params["practitioner_id"],
        location_id=params["location_id"],
        service_id=params["appointment_type_id"],
        day=day,
        start=start,
        end=end,
        notes=params.get("notes", ""),
    )
    return "addAppointmentBooking", {"appointment_id": appointment_id}


def _existing(fake: FakeNookal, params: Params) -> FakeAppointment:
    _need(params, "appointment_id")
    found = fake.appointments.get(params["appointment_id"])
    if found is None:
        raise Failure("L006", "Appointment not found")
    return found


def update_booking(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    current = _existing(fake, params)
    if current.cancelled:
        raise Failure("B007", "A cancelled appointment cannot be changed")
    merged = {
        "location_id": current.location_id,
        "practitioner_id": current.practitioner_id,
        "appointment_type_id": current.service_id,
        "patient_id": current.patient_id,
        "appointment_date": current.day.isoformat(),
        "start_time": clock(current.start),
        **{k: v for k, v in params.items() if v},
    }
    day, start, end = _placement(fake, merged, scope)
    _refuse_overlap(fake, merged, day, start, end, current.id)
    current.location_id = merged["location_id"]
    current.practitioner_id = merged["practitioner_id"]
    current.service_id = merged["appointment_type_id"]
    current.day, current.start, current.end = day, start, end
    current.modified = datetime.now(UTC)
    return "updateAppointmentBooking", {"appointment_id": current.id}


def rebook(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    current = _existing(fake, params)
    _need(params, "patient_id", "location_id", "practitioner_id", "appointment_date", "start_time")
    merged = {"appointment_type_id": current.service_id, **{k: v for k, v in params.items() if v}}
    day, start, end = _placement(fake, merged, scope)
    cancel_first = params.get("cancel_first") == "1"
    _refuse_overlap(fake, merged, day, start, end, current.id if cancel_first else None)
    if cancel_first:
        current.cancelled, current.cancelled_at = True, datetime.now(UTC)
    _, results = add_booking(fake, {**merged, "allow_overlap_bookings": "1"}, scope)
    return "rebookAppointment", results


def cancel(fake: FakeNookal, params: Params, scope: set[str] | None) -> Answer:
    if not params.get("patient_id"):
        raise Failure("C001", "One of Patient ID | Case ID is missing")
    current = _existing(fake, params)
    if current.patient_id != params["patient_id"]:
        raise Failure("L006", "Appointment not found")
    if not current.cancelled:
        current.cancelled = True
        current.cancelled_at = current.modified = datetime.now(UTC)
    return "cancelAppointment", {}


METHODS: dict[str, Handler] = {
    "verify": verify,
    "getLocations": get_locations,
    "getPractitioners": get_practitioners,
    "getAppointmentTypes": get_appointment_types,
    "getPractitionerAppointmentTypes": get_practitioner_appointment_types,
    "getAppointmentAvailabilities": get_availabilities,
    "getAppointments": get_appointments,
    "searchPatients": search_patients,
    "getPatients": get_patients,
    "addPatient": add_patient,
    "addAppointmentBooking": add_booking,
    "updateAppointmentBooking": update_booking,
    "rebookAppointment": rebook,
    "cancelAppointment": cancel,
}
CUSTOM_METHODS = frozenset({"getPractitionerAppointmentTypes"})
WRITES = frozenset(
    {
        "addPatient",
        "addAppointmentBooking",
        "updateAppointmentBooking",
        "rebookAppointment",
        "cancelAppointment",
    }
)
