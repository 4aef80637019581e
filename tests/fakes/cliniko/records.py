"""The fake Cliniko's records, and how each renders as Cliniko's JSON.

Records hold Python values (ids as `str`, instants as aware UTC datetimes); `render` turns one
into the JSON object Cliniko would send, with string ids, `Z` timestamps and absolute `links`
built on the base URL of the request being answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

CANCELLATION_REASONS: dict[int, str] = {
    10: "Feeling Better",
    20: "Condition Worse",
    30: "Sick",
    31: "COVID-19 related",
    40: "Away",
    50: "Other",
    60: "Work",
}


def stamp(value: datetime | None) -> str | None:
    """A UTC instant as Cliniko writes it, `2025-03-04T22:00:00Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def link(base: str, path: str) -> dict[str, Any]:
    """A linked resource: `{"links": {"self": "<base><path>"}}`."""
    return {"links": {"self": f"{base}{path}"}}


@dataclass
class Business:
    """A Cliniko business (what we call a location)."""

    id: str
    business_name: str
    time_zone_identifier: str
    time_zone: str = ""
    country: str = "Australia"
    country_code: str = "AU"
    address_1: str = ""
    city: str = ""
    state: str = ""
    post_code: str = ""
    show_in_online_bookings: bool = True
    appointment_type_ids: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    archived_at: datetime | None = None

    def render(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "business_name": self.business_name,
            "display_name": self.business_name,
            "label": self.business_name,
            "address_1": self.address_1,
            "address_2": "",
            "city": self.city,
            "state": self.state,
            "post_code": self.post_code,
            "country": self.country,
            "country_code": self.country_code,
            "show_in_online_bookings": self.show_in_online_bookings,
            "appointment_type_ids": list(self.appointment_type_ids),
            "time_zone": self.time_zone or self.time_zone_identifier.rsplit("/", 1)[-1],
            "time_zone_identifier": self.time_zone_identifier,
            "archived_at": stamp(self.archived_at),
            "deleted_at": None,
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.created_at),
            "practitioners": link(base, f"/businesses/{self.id}/practitioners"),
            "links": {"self": f"{base}/businesses/{self.id}"},
        }


@dataclass
class Practitioner:
    """A practitioner: who works at which businesses and offers which appointment types."""

    id: str
    first_name: str
    last_name: str
    title: str = ""
    designation: str = ""
    show_in_online_bookings: bool = True
    active: bool = True
    business_ids: list[str] = field(default_factory=list)
    appointment_type_ids: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))

    def render(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "title": self.title,
            "designation": self.designation,
            "label": f"{self.first_name} {self.last_name}",
            "description": "",
            "show_in_online_bookings": self.show_in_online_bookings,
            "active": self.active,
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.created_at),
            "appointment_types": link(base, f"/practitioners/{self.id}/appointment_types"),
            "links": {"self": f"{base}/practitioners/{self.id}"},
        }


@dataclass
class AppointmentType:
    """An appointment type: duration and online-booking flags.

    `buffer_before_minutes`/`buffer_after_minutes` are the fake's own knob, never rendered:
    Cliniko's API shows no buffers, but its available times are computed server-side, so
    the fake may keep gaps around appointments (the demo uses the diary's buffers, so the
    fake offers the times the diary offers)."""

    id: str
    name: str
    duration_in_minutes: int
    category: str = ""
    description: str = ""
    show_in_online_bookings: bool = True
    max_attendees: int = 1
    online_bookings_lead_time_hours: int | None = None
    archived_at: datetime | None = None
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0

    def render(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "color": "#3f7fbf",
            "duration_in_minutes": self.duration_in_minutes,
            "max_attendees": self.max_attendees,
            "show_in_online_bookings": self.show_in_online_bookings,
            "online_bookings_lead_time_hours": self.online_bookings_lead_time_hours,
            "telehealth_enabled": False,
            "archived_at": stamp(self.archived_at),
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.created_at),
            "practitioners": link(base, f"/appointment_types/{self.id}/practitioners"),
            "links": {"self": f"{base}/appointment_types/{self.id}"},
        }


@dataclass
class Patient:
    """A patient; phones are kept as written (`{"phone_type", "number"}`)."""

    id: str
    first_name: str
    last_name: str
    date_of_birth: date | None = None
    email: str | None = None
    phones: list[dict[str, str]] = field(default_factory=list)
    old_reference_id: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    updated_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    archived_at: datetime | None = None

    def render(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "preferred_first_name": None,
            "label": f"{self.first_name} {self.last_name}",
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "email": self.email,
            "patient_phone_numbers": [dict(p) for p in self.phones],
            "old_reference_id": self.old_reference_id,
            "time_zone": None,
            "archived_at": stamp(self.archived_at),
            "deleted_at": None,
            "merged_at": None,
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.updated_at),
            "appointments": link(base, f"/patients/{self.id}/appointments"),
            "links": {"self": f"{base}/patients/{self.id}"},
        }


@dataclass
class Appointment:
    """An individual appointment."""

    id: str
    starts_at: datetime
    ends_at: datetime
    patient_id: str
    practitioner_id: str
    business_id: str
    appointment_type_id: str
    patient_name: str = ""
    notes: str | None = None
    did_not_arrive: bool = False
    patient_arrived: bool = False
    cancelled_at: datetime | None = None
    cancellation_reason: int | None = None
    cancellation_note: str | None = None
    archived_at: datetime | None = None
    deleted_at: datetime | None = None
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    updated_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))

    @property
    def live(self) -> bool:
        """Neither cancelled, archived nor deleted: it holds its time."""
        return self.cancelled_at is None and self.archived_at is None and self.deleted_at is None

    def render(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "starts_at": stamp(self.starts_at),
            "ends_at": stamp(self.ends_at),
            "patient_name": self.patient_name,
            "notes": self.notes,
            "did_not_arrive": self.did_not_arrive,
            "patient_arrived": self.patient_arrived,
            "cancelled_at": stamp(self.cancelled_at),
            "cancellation_reason": self.cancellation_reason,
            "cancellation_reason_description": CANCELLATION_REASONS.get(
                self.cancellation_reason or 0, ""
            ),
            "cancellation_note": self.cancellation_note,
            "archived_at": stamp(self.archived_at),
            "deleted_at": stamp(self.deleted_at),
            "booking_ip_address": None,
            "online_booking_policy_accepted": None,
            "email_reminder_sent": False,
            "sms_reminder_sent": False,
            "invoice_status": None,
            "treatment_note_status": None,
            "has_patient_appointment_notes": False,
            "telehealth_url": None,
            "repeat_rule": {},
            "repeats": None,
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.updated_at),
            "appointment_type": link(base, f"/appointment_types/{self.appointment_type_id}"),
            "business": link(base, f"/businesses/{self.business_id}"),
            "practitioner": link(base, f"/practitioners/{self.practitioner_id}"),
            "patient": link(base, f"/patients/{self.patient_id}"),
            "conflicts": link(base, f"/individual_appointments/{self.id}/conflicts"),
            "attendees": link(base, f"/individual_appointments/{self.id}/attendees"),
            "links": {"self": f"{base}/individual_appointments/{self.id}"},
        }


@dataclass
class Block:
    """A one-off change to a practitioner's working time: an unavailable block removes time
    (at one business, or at all when `business_id` is None), an availability block adds it."""

    id: str
    practitioner_id: str
    business_id: str | None
    starts_at: datetime
    ends_at: datetime
    notes: str = ""
