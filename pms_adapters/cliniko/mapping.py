"""Between Cliniko's JSON and the contract's types: ids, instants, links, phones, reasons.

Ids stay strings: a JSON string of digits is taken as is, a JSON integer (Python's `json`
parses those exactly) becomes its decimal string, and anything else (a float, a bool) is
refused, because a float has already lost digits above 2**53.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, ParamSpec, TypeVar

import phonenumbers
from pydantic import ValidationError

from pms_adapters.errors import PMSUnavailable
from pms_adapters.types import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CancellationReason,
    Location,
    Patient,
    Practitioner,
)

_ID = re.compile(r"[1-9][0-9]{0,18}")
_MAX_ID = 2**63 - 1
_EXISTING_ONLY = re.compile(r"\b(existing|returning|current)\s+(patients?|clients?)\s+only\b", re.I)

# Cliniko's codes: 10 Feeling Better, 20 Condition Worse, 30 Sick, 31 COVID-19 related,
# 40 Away, 50 Other, 60 Work. Ours say why; the note keeps our reason in words.
CANCELLATION_CODES: dict[CancellationReason, int] = {
    CancellationReason.PATIENT_REQUEST: 50,
    CancellationReason.ILLNESS: 30,
    CancellationReason.RESCHEDULED_ELSEWHERE: 50,
    CancellationReason.CLINIC_CANCELLED: 50,
    CancellationReason.OTHER: 50,
}
CANCELLATION_WORDS: dict[CancellationReason, str] = {
    CancellationReason.PATIENT_REQUEST: "Patient request",
    CancellationReason.ILLNESS: "Illness",
    CancellationReason.RESCHEDULED_ELSEWHERE: "Rescheduled elsewhere",
    CancellationReason.CLINIC_CANCELLED: "Cancelled by the clinic",
    CancellationReason.OTHER: "Other",
}


P = ParamSpec("P")
T = TypeVar("T")


class BadRecord(PMSUnavailable):
    """Cliniko sent a record this adapter cannot read (a missing field, a float id)."""


def _readable(build: Callable[P, T]) -> Callable[P, T]:
    """Turns whatever a malformed record makes `build` raise into `BadRecord`."""

    @functools.wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return build(*args, **kwargs)
        except BadRecord:
            raise
        except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadRecord(
                f"Cliniko sent a record this adapter cannot read ({build.__name__})"
            ) from exc

    return wrapper


def is_cliniko_id(value: str) -> bool:
    """Whether `value` could be a Cliniko id: a canonical positive int64 in decimal."""
    return bool(_ID.fullmatch(value)) and int(value) <= _MAX_ID


def cliniko_id(value: Any) -> str:
    """An id from JSON, as a string; BadRecord for floats, bools and non-digits."""
    if isinstance(value, bool):
        raise BadRecord("an id was a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return value
    raise BadRecord(f"an id was a {type(value).__name__}, not a string of digits")


def link_id(record: dict[str, Any], name: str) -> str:
    """The id at the end of `record[name].links.self` (Cliniko links, never embeds)."""
    try:
        url = record[name]["links"]["self"]
    except (KeyError, TypeError) as exc:
        raise BadRecord(f"the record has no {name} link") from exc
    return cliniko_id(str(url).rstrip("/").rsplit("/", 1)[-1])


def instant(value: Any) -> datetime:
    """A Cliniko date-time (`2025-03-04T22:00:00Z`) as an aware UTC datetime."""
    if not isinstance(value, str):
        raise BadRecord("a date-time was missing")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRecord("a date-time was malformed") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def stamp(value: datetime) -> str:
    """An aware datetime as Cliniko wants it: UTC with `Z`, whole seconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_phone(raw: str, region: str) -> str | None:
    """E.164 for a number as written, read with `region` as the default; None if not one."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@_readable
def location(record: dict[str, Any], fallback_zone: str = "UTC") -> Location:
    """A business as a `Location`, in its IANA zone (`time_zone_identifier`, else the
    configured `timezone`: accounts without per-business zones may leave it empty)."""
    parts = [
        str(record.get(k) or "").strip()
        for k in ("address_1", "address_2", "city", "state", "post_code")
    ]
    name = record.get("business_name") or record.get("display_name") or record.get("label")
    return Location(
        id=cliniko_id(record.get("id")),
        name=str(name or "Business"),
        timezone=str(record.get("time_zone_identifier") or fallback_zone),
        address=", ".join(p for p in parts if p),
    )


@_readable
def practitioner(record: dict[str, Any], location_ids: tuple[str, ...]) -> Practitioner:
    """A practitioner; `title` is Cliniko's designation ("Physiotherapist")."""
    first = str(record.get("first_name") or "").strip()
    last = str(record.get("last_name") or "").strip()
    name = f"{first} {last}".strip() or str(record.get("label") or "Practitioner")
    return Practitioner(
        id=cliniko_id(record.get("id")),
        name=name,
        title=str(record.get("designation") or record.get("title") or ""),
        location_ids=location_ids,
    )


def existing_patients_only(record: dict[str, Any], configured: frozenset[str]) -> bool:
    """Whether a type is for existing patients only: configured so, or its category or
    description says so ("Existing patients only"); Cliniko has no field for it."""
    if cliniko_id(record.get("id")) in configured:
        return True
    text = f"{record.get('category') or ''} {record.get('description') or ''}"
    return bool(_EXISTING_ONLY.search(text))


@_readable
def appointment_type(record: dict[str, Any], configured: frozenset[str]) -> AppointmentType:
    """An appointment type: bookable by phone when shown in online bookings."""
    return AppointmentType(
        id=cliniko_id(record.get("id")),
        name=str(record.get("name") or "Appointment"),
        duration_minutes=int(record.get("duration_in_minutes") or 0),
        bookable_by_phone=bool(record.get("show_in_online_bookings", True)),
        new_patients_allowed=not existing_patients_only(record, configured),
    )


def is_live(record: dict[str, Any]) -> bool:
    """Not cancelled, archived or deleted: the appointment holds its time."""
    return not (record.get("cancelled_at") or record.get("archived_at") or record.get("deleted_at"))


@_readable
def appointment(record: dict[str, Any]) -> Appointment:
    """An individual appointment; cancelled, archived or deleted ones read as cancelled."""
    if not is_live(record):
        status = AppointmentStatus.CANCELLED
    elif record.get("did_not_arrive"):
        status = AppointmentStatus.DID_NOT_ARRIVE
    else:
        status = AppointmentStatus.BOOKED
    return Appointment(
        id=cliniko_id(record.get("id")),
        patient_id=link_id(record, "patient"),
        practitioner_id=link_id(record, "practitioner"),
        location_id=link_id(record, "business"),
        appointment_type_id=link_id(record, "appointment_type"),
        starts_at=instant(record.get("starts_at")),
        ends_at=instant(record.get("ends_at")),
        status=status,
        notes=str(record.get("notes") or ""),
    )


def patient_phones(record: dict[str, Any], region: str) -> tuple[str, ...]:
    """The patient's numbers in E.164 (unreadable ones dropped), in their order."""
    numbers: list[str] = []
    for entry in record.get("patient_phone_numbers") or []:
        raw = entry.get("number") if isinstance(entry, dict) else None
        e164 = normalise_phone(str(raw), region) if raw else None
        if e164 and e164 not in numbers:
            numbers.append(e164)
    return tuple(numbers)


@_readable
def patient(record: dict[str, Any], region: str) -> Patient:
    """A patient, phones normalised to E.164 with `region` as the default country."""
    birth = record.get("date_of_birth")
    try:
        born = date.fromisoformat(birth) if isinstance(birth, str) and birth else None
    except ValueError:
        born = None
    return Patient(
        id=cliniko_id(record.get("id")),
        first_name=str(record.get("first_name") or ""),
        last_name=str(record.get("last_name") or ""),
        date_of_birth=born,
        phones=patient_phones(record, region),
        email=record.get("email") or None,
    )
