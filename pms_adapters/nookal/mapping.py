"""Nookal rows (PascalCase and camelCase, string numbers, local times) as the contract's types.

- Ids stay strings. A practitioner's `locations` may hold integers; they become strings too.
- A location's zone is its `Timezone` (spec 6); a missing or unknown one falls back to the
  configured default region's usual zone, never to UTC by accident.
- Appointment instants come from `appointmentStartDateTimeUTC` when it parses, otherwise from
  `appointmentDate` + `appointmentStartTime` in the location's zone (spec 10.6).
- Phones are E.164 after parsing with the patient's location's country (or the configured
  region): Nookal stores them as typed ("0412 345 678").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from pms_adapters.nookal import assumptions
from pms_adapters.nookal.values import (
    as_bool,
    as_date,
    as_id,
    as_id_list,
    as_int,
    as_text,
)
from pms_adapters.types import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Location,
    Patient,
    Practitioner,
)

FALLBACK_ZONE = "Australia/Sydney"

# Nookal's `Country` is free text ("Australia"); the regions its clinics are in, by name.
_COUNTRY_REGIONS = {
    "australia": "AU",
    "new zealand": "NZ",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "ireland": "IE",
    "singapore": "SG",
    "canada": "CA",
    "united states": "US",
    "usa": "US",
    "south africa": "ZA",
    "hong kong": "HK",
    "malaysia": "MY",
}


def zone_name(value: object, default: str = FALLBACK_ZONE) -> str:
    """An IANA zone name from a `Timezone` field, or `default` if it is missing or unknown."""
    name = as_text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default
    return name


def region_of(country: object, default: str) -> str:
    """The phone region (ISO 3166 alpha-2) for a location's `Country`, else `default`."""
    text = as_text(country)
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return _COUNTRY_REGIONS.get(text.casefold(), default)


def location(row: Mapping[str, Any]) -> Location:
    """A `getLocations` row."""
    lines = [as_text(row.get(f"AddressLine{i}")) for i in (1, 2, 3)]
    town = " ".join(t for t in (as_text(row.get(k)) for k in ("City", "State", "Postcode")) if t)
    return Location(
        id=as_id(row.get("ID")),
        name=as_text(row.get("Name")) or f"Location {as_id(row.get('ID'))}",
        timezone=zone_name(row.get("Timezone")),
        address=", ".join(part for part in [*lines, town] if part),
    )


def practitioner(row: Mapping[str, Any], covered: set[str]) -> Practitioner:
    """A `getPractitioners` row, with only the locations this connection covers."""
    names = [as_text(row.get("FirstName")), as_text(row.get("LastName"))]
    return Practitioner(
        id=as_id(row.get("ID")),
        name=" ".join(n for n in names if n) or f"Practitioner {as_id(row.get('ID'))}",
        title=as_text(row.get("Speciality")),
        location_ids=tuple(i for i in as_id_list(row.get("locations")) if i in covered),
    )


def appointment_type(
    row: Mapping[str, Any], not_by_phone: set[str], existing_only: set[str]
) -> AppointmentType | None:
    """A `getAppointmentTypes` (`services`) row; None if it has no usable duration.

    The two flags Nookal lacks come from settings, which name types by id or exact name.
    """
    type_id, name = as_id(row.get("ID")), as_text(row.get("Name"))
    duration = as_int(row.get("Duration"))
    if not type_id or duration is None or not 0 < duration <= 1440:
        return None
    keys = {type_id, name.casefold()}
    return AppointmentType(
        id=type_id,
        name=name or f"Type {type_id}",
        duration_minutes=duration,
        bookable_by_phone=not keys & not_by_phone,
        new_patients_allowed=not keys & existing_only,
    )


def type_locations(row: Mapping[str, Any]) -> list[str]:
    """The locations a service is offered at (`Locations`); empty means "not said"."""
    return as_id_list(row.get("Locations"))


def local_instant(day: date, minute_of_day: int, zone: str) -> datetime | None:
    """The UTC instant of a local wall-clock time, or None if it does not exist (a DST gap).

    An ambiguous time (a DST fold) is read as its first occurrence.
    """
    tz = ZoneInfo(zone)
    naive = datetime.combine(day, time(0)) + timedelta(minutes=minute_of_day)
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz)
    if back.replace(tzinfo=None) != naive:
        return None
    return aware.astimezone(UTC)


def _local_time(value: object) -> int | None:
    parts = as_text(value).split(":")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]) * 60 + int(parts[1])


def appointment_times(row: Mapping[str, Any], zone: str) -> tuple[datetime, datetime] | None:
    """An appointment row's start and end in UTC; None if the row has no usable times."""
    starts = assumptions.parse_utc_timestamp(row.get("appointmentStartDateTimeUTC"))
    ends = assumptions.parse_utc_timestamp(row.get("appointmentEndDateTimeUTC"))
    if starts is not None and ends is not None and ends > starts:
        return starts, ends
    day = as_date(row.get("appointmentDate"))
    start_minute = _local_time(row.get("appointmentStartTime"))
    end_minute = _local_time(row.get("appointmentEndTime"))
    if day is None or start_minute is None or end_minute is None:
        return None
    local_zone = zone_name(row.get("TimeZone"), zone)
    start = local_instant(day, start_minute, local_zone)
    end = local_instant(day, end_minute, local_zone)
    if start is None or end is None or end <= start:
        return None
    return start, end


def appointment_status(row: Mapping[str, Any]) -> AppointmentStatus:
    """Cancelled and did-not-arrive come from the "0"/"1" flags (spec 7.6)."""
    if as_bool(row.get("cancelled")):
        return AppointmentStatus.CANCELLED
    if as_bool(row.get("DNA")):
        return AppointmentStatus.DID_NOT_ARRIVE
    return AppointmentStatus.BOOKED


def appointment(
    row: Mapping[str, Any], zone: str, type_ids_by_name: Mapping[str, str]
) -> Appointment | None:
    """A `getAppointments` row; None if it lacks what an `Appointment` needs."""
    times = appointment_times(row, zone)
    fields = {
        "id": as_id(row.get("ID")),
        "patient_id": as_id(row.get("patientID")),
        "practitioner_id": as_id(row.get("practitionerID")),
        "location_id": as_id(row.get("locationID")),
    }
    type_id = as_id(row.get("appointmentTypeID")) or type_ids_by_name.get(
        as_text(row.get("appointmentType")).casefold(), ""
    )
    if times is None or not all(fields.values()) or not type_id:
        return None
    return Appointment(
        **fields,
        appointment_type_id=type_id,
        starts_at=times[0],
        ends_at=times[1],
        status=appointment_status(row),
        notes=as_text(row.get("Notes")),
    )


def e164(raw: str, region: str) -> str | None:
    """A phone number in E.164, or None if it is not a possible number."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def national(number: str, region: str) -> str:
    """An E.164 number as a clinic in `region` would type it ("0491 570 006")."""
    parsed = phonenumbers.parse(number, region)
    if phonenumbers.region_code_for_number(parsed) == region:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def patient(row: Mapping[str, Any], region: str) -> Patient:
    """A `searchPatients` / `getPatients` row, phones in E.164."""
    phones = [e164(as_text(row.get(k)), region) for k in ("Mobile", "Home", "Work")]
    return Patient(
        id=as_id(row.get("ID")),
        first_name=as_text(row.get("FirstName")),
        last_name=as_text(row.get("LastName")),
        date_of_birth=as_date(row.get("DOB")),
        phones=tuple(dict.fromkeys(p for p in phones if p)),
        email=as_text(row.get("Email")) or None,
    )


def ascii_text(text: str) -> str:
    """Text folded to ASCII: Nookal double-encodes UTF-8 ("café" comes back "cafÃ©", spec 10.7)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode().strip()
