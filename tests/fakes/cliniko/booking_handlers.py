"""The fake Cliniko's patient and individual-appointment endpoints.

Creates allow overlaps (as Cliniko does), a PATCH keeps the old end unless `ends_at` is sent
(null recomputes it from the type), cancel needs one of Cliniko's reason codes and answers 204,
and the index hides cancelled and archived rows unless a `*` filter on that field asks.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.responses import Response

from tests.fakes.cliniko.query import BOOL, DATE, DATETIME, ID, STRING
from tests.fakes.cliniko.records import CANCELLATION_REASONS, Appointment, Patient
from tests.fakes.cliniko.responses import BLANK, Call, body, invalid, listing, not_found
from tests.fakes.cliniko.state import FakeCliniko

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PATIENT_FILTERS = {
    "id": ID,
    "first_name": STRING,
    "last_name": STRING,
    "email": STRING,
    "old_reference_id": STRING,
    "date_of_birth": DATE,
    "created_at": DATETIME,
    "updated_at": DATETIME,
}
_APPOINTMENT_FILTERS = {
    "id": ID,
    "appointment_type_id": ID,
    "business_id": ID,
    "patient_id": ID,
    "practitioner_id": ID,
    "repeated_from_id": ID,
    "archived_at": DATETIME,
    "cancelled_at": DATETIME,
    "created_at": DATETIME,
    "deleted_at": DATETIME,
    "ends_at": DATETIME,
    "starts_at": DATETIME,
    "updated_at": DATETIME,
    "did_not_arrive": BOOL,
}


# -- patients ---------------------------------------------------------------------------------


def _patient_values(p: Patient) -> dict[str, Any]:
    return {
        "id": p.id,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "email": p.email,
        "old_reference_id": p.old_reference_id,
        "date_of_birth": p.date_of_birth,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def list_patients(fake: FakeCliniko, call: Call) -> Response:
    rows = [p for p in fake.patients.values() if p.archived_at is None]
    return listing(call, "patients", rows, _PATIENT_FILTERS, _patient_values)


def get_patient(fake: FakeCliniko, call: Call) -> Response:
    found = fake.patients.get(call.ids["id"])
    return body(200, found.render(call.base)) if found else not_found()


def create_patient(fake: FakeCliniko, call: Call) -> Response:
    data = call.body if isinstance(call.body, dict) else {}
    errors: dict[str, str] = {}
    for name in ("first_name", "last_name"):
        if not str(data.get(name) or "").strip():
            errors[name] = BLANK
    email = data.get("email")
    if email and not _EMAIL.fullmatch(str(email)):
        errors["email"] = "is invalid"
    birth = None
    if data.get("date_of_birth"):
        try:
            birth = date.fromisoformat(str(data["date_of_birth"]))
        except ValueError:
            errors["date_of_birth"] = "is not a valid date"
    phones = data.get("patient_phone_numbers") or []
    if not isinstance(phones, list) or not all(
        isinstance(p, dict) and str(p.get("number") or "").strip() for p in phones
    ):
        errors["patient_phone_numbers"] = "is invalid"
    if errors:
        return invalid(errors)
    patient = fake.add_patient(
        str(data["first_name"]).strip(), str(data["last_name"]).strip(), birth, (), email or None
    )
    patient.phones = [
        {"phone_type": str(p.get("phone_type") or "Mobile"), "number": str(p["number"])}
        for p in phones
    ]
    location = f"{call.base}/patients/{patient.id}"
    return body(201, patient.render(call.base), {"Location": location})


# -- appointments -------------------------------------------------------------------------------


def _appointment_values(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.id,
        "appointment_type_id": a.appointment_type_id,
        "business_id": a.business_id,
        "patient_id": a.patient_id,
        "practitioner_id": a.practitioner_id,
        "repeated_from_id": None,
        "archived_at": a.archived_at,
        "cancelled_at": a.cancelled_at,
        "created_at": a.created_at,
        "deleted_at": a.deleted_at,
        "ends_at": a.ends_at,
        "starts_at": a.starts_at,
        "updated_at": a.updated_at,
        "did_not_arrive": a.did_not_arrive,
    }


def _hidden(a: Appointment, shown: set[str]) -> bool:
    if a.deleted_at is not None:
        return True
    if a.cancelled_at is not None and "cancelled_at" not in shown:
        return True
    return a.archived_at is not None and "archived_at" not in shown


def list_appointments(fake: FakeCliniko, call: Call) -> Response:
    rows = list(fake.appointments.values())
    return listing(
        call, "individual_appointments", rows, _APPOINTMENT_FILTERS, _appointment_values, _hidden
    )


def _appointment(fake: FakeCliniko, call: Call) -> Appointment | None:
    found = fake.appointments.get(call.ids["id"])
    return found if found is not None and found.deleted_at is None else None


def get_appointment(fake: FakeCliniko, call: Call) -> Response:
    found = _appointment(fake, call)
    return body(200, found.render(call.base)) if found else not_found()


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _ref(value: Any) -> str | None:
    """An id from a body: a string of digits or an exact integer (never a float)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return str(int(value.strip()))
    return None


_REFERENCES = {
    "patient_id": ("patients", "patient"),
    "practitioner_id": ("practitioners", "practitioner"),
    "appointment_type_id": ("appointment_types", "appointment_type"),
    "business_id": ("businesses", "business"),
}


def create_appointment(fake: FakeCliniko, call: Call) -> Response:
    data = call.body if isinstance(call.body, dict) else {}
    errors: dict[str, str] = {}
    refs: dict[str, str] = {}
    for name, (table, label) in _REFERENCES.items():
        if data.get(name) in (None, ""):
            errors[name] = BLANK
            continue
        ref = _ref(data[name])
        if ref is None:
            errors[name] = "is not a number"
        elif ref not in getattr(fake, table):
            errors[label] = "must exist"
        else:
            refs[name] = ref
    starts = _instant(data.get("starts_at"))
    if starts is None:
        errors["starts_at"] = BLANK if data.get("starts_at") is None else "is invalid"
    ends = _instant(data.get("ends_at")) if data.get("ends_at") is not None else None
    if starts is not None and ends is not None and ends <= starts:
        errors["ends_at"] = "must be after starts_at"
    if errors:
        return invalid(errors)
    assert starts is not None
    created = fake.add_appointment(
        refs["patient_id"],
        refs["practitioner_id"],
        refs["business_id"],
        refs["appointment_type_id"],
        starts,
        ends,
        notes=data.get("notes"),
    )
    location = f"{call.base}/individual_appointments/{created.id}"
    return body(201, created.render(call.base), {"Location": location})


def update_appointment(fake: FakeCliniko, call: Call) -> Response:
    found = _appointment(fake, call)
    if found is None:
        return not_found()
    data = call.body if isinstance(call.body, dict) else {}
    starts = found.starts_at
    if "starts_at" in data:
        parsed = _instant(data["starts_at"])
        if parsed is None:
            return invalid({"starts_at": "is invalid"})
        starts = parsed
    ends = found.ends_at  # kept when not sent, even if the start moved (as Cliniko may)
    if "ends_at" in data:
        if data["ends_at"] is None:
            duration = fake.appointment_types[found.appointment_type_id].duration_in_minutes
            ends = starts + timedelta(minutes=duration)
        else:
            parsed = _instant(data["ends_at"])
            if parsed is None:
                return invalid({"ends_at": "is invalid"})
            ends = parsed
    if ends <= starts:
        return invalid({"ends_at": "must be after starts_at"})
    for name in ("notes", "did_not_arrive", "patient_arrived"):
        if name in data:
            setattr(found, name, data[name])
    found.starts_at, found.ends_at = starts, ends
    found.updated_at = fake.now()
    return body(200, found.render(call.base))


def cancel_appointment(fake: FakeCliniko, call: Call) -> Response:
    found = _appointment(fake, call)
    if found is None:
        return not_found()
    data = call.body if isinstance(call.body, dict) else {}
    reason = _ref(data.get("cancellation_reason"))
    if reason is None or int(reason) not in CANCELLATION_REASONS:
        return invalid({"cancellation_reason": "is not included in the list"})
    if found.cancelled_at is None:  # cancelling again changes nothing (unconfirmed upstream)
        found.cancelled_at = found.updated_at = fake.now()
        found.cancellation_reason = int(reason)
        found.cancellation_note = data.get("cancellation_note")
    return Response(b"", 204)


def archive_appointment(fake: FakeCliniko, call: Call) -> Response:
    found = _appointment(fake, call)
    if found is None:
        return not_found()
    found.archived_at = found.archived_at or fake.now()
    return Response(b"", 204)


def delete_appointment(fake: FakeCliniko, call: Call) -> Response:
    found = _appointment(fake, call)
    if found is None:
        return not_found()
    found.deleted_at = fake.now()
    return Response(b"", 204)


def conflicts(fake: FakeCliniko, call: Call) -> Response:
    found = _appointment(fake, call)
    if found is None:
        return not_found()
    return body(200, {"conflicts": {"exist": fake.has_conflicts(found)}})
