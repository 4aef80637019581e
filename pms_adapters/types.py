"""Domain types of the adapter contract: the same for Cliniko, Nookal, the diary and plugins.

Ids are strings end to end (Cliniko's exceed 2**53 and must never pass through a float).
Datetimes are timezone-aware and exchanged in UTC; every location carries its IANA zone so
callers can speak local times.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC)


UTCDatetime = Annotated[datetime, AfterValidator(_aware_utc)]
"""An aware datetime, normalised to UTC; a naive one is a validation error."""

Id = Annotated[str, Field(min_length=1, max_length=64)]


def _iana_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


def _printable(text: str) -> str:
    if not text.isprintable():
        raise ValueError("must not contain control characters")
    return text


ZoneName = Annotated[str, AfterValidator(_iana_zone)]
Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_printable)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Location(_Model):
    """A place appointments happen, with its IANA time zone."""

    id: Id
    name: str
    timezone: ZoneName
    address: str = ""


class Practitioner(_Model):
    """Someone patients can book with."""

    id: Id
    name: str
    title: str = ""
    location_ids: tuple[Id, ...] = ()


class AppointmentType(_Model):
    """A kind of appointment: how long it is and who may book it how."""

    id: Id
    name: str
    duration_minutes: int = Field(gt=0, le=1440)
    bookable_by_phone: bool = True
    new_patients_allowed: bool = True


class Slot(_Model):
    """A bookable start; `id` is opaque and short, for the agent to hand back unchanged."""

    id: str
    practitioner_id: Id
    location_id: Id
    appointment_type_id: Id
    starts_at: UTCDatetime
    ends_at: UTCDatetime


class SlotQuery(_Model):
    """Where to look for free slots: a window, optionally narrowed, and how many at most."""

    appointment_type_id: Id
    starts_after: UTCDatetime
    ends_before: UTCDatetime
    # None means everyone; an empty tuple would be ambiguous, so it is refused.
    practitioner_ids: tuple[Id, ...] | None = Field(default=None, min_length=1)
    location_id: Id | None = None
    limit: int | None = Field(default=None, ge=1, le=500)

    @model_validator(mode="after")
    def _ordered(self) -> SlotQuery:
        if self.ends_before <= self.starts_after:
            raise ValueError("ends_before must be after starts_after")
        return self


class Patient(_Model):
    """A patient record; phones in E.164."""

    id: Id
    first_name: str
    last_name: str
    date_of_birth: date | None = None
    phones: tuple[str, ...] = ()
    email: str | None = None


class PatientQuery(_Model):
    """Who to look for; every criterion given must match, at least one is required."""

    phone: str | None = None
    name: str | None = None
    date_of_birth: date | None = None

    @model_validator(mode="after")
    def _something(self) -> PatientQuery:
        if not (self.phone or (self.name and self.name.strip()) or self.date_of_birth):
            raise ValueError("give a phone number, a name or a date of birth")
        return self


class NewPatient(_Model):
    """A patient to register."""

    first_name: Name
    last_name: Name
    date_of_birth: date | None = None
    phones: tuple[str, ...] = ()
    email: Email | None = None


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    DID_NOT_ARRIVE = "did_not_arrive"


class CancellationReason(enum.StrEnum):
    """Our reasons; each adapter maps them onto its system's codes."""

    PATIENT_REQUEST = "patient_request"
    ILLNESS = "illness"
    RESCHEDULED_ELSEWHERE = "rescheduled_elsewhere"
    CLINIC_CANCELLED = "clinic_cancelled"
    OTHER = "other"


class Appointment(_Model):
    """An appointment as the PMS recorded it."""

    id: Id
    patient_id: Id
    practitioner_id: Id
    location_id: Id
    appointment_type_id: Id
    starts_at: UTCDatetime
    ends_at: UTCDatetime
    status: AppointmentStatus = AppointmentStatus.BOOKED
    notes: str = ""


class Window(_Model):
    """A span of time [starts_at, ends_at)."""

    starts_at: UTCDatetime
    ends_at: UTCDatetime

    @classmethod
    def next_days(cls, now: datetime, days: int) -> Window:
        """From `now` for `days` days."""
        return cls(starts_at=now, ends_at=now + timedelta(days=days))


class Capabilities(_Model):
    """What an adapter can do, so callers can adapt instead of failing."""

    native_idempotency: bool = False
    holds: bool = False
    reschedule_in_place: bool = True
    cancellation_reasons: bool = True
    create_patients: bool = True
    max_slot_window_days: int = 31
