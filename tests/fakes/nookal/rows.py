"""How the fake writes Nookal's rows: PascalCase and camelCase, string ids and numbers, "0"/"1"
booleans, integer location ids on practitioners, UTC timestamps as "YYYY-MM-DD HH:MM:SS"."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.nookal.state import FakeNookal


def stamp(value: datetime | None) -> str | None:
    """A timestamp as Nookal writes one (UTC)."""
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def clock(minute: int) -> str:
    """Minutes since midnight as "HH:MM:SS"."""
    return f"{minute // 60:02d}:{minute % 60:02d}:00"


def location_row(fake: FakeNookal, location_id: str) -> dict[str, Any]:
    loc = fake.locations[location_id]
    return {
        "ID": loc.id,
        "Name": loc.name,
        "AddressLine1": loc.address_line_1,
        "AddressLine2": None,
        "AddressLine3": None,
        "City": loc.city,
        "State": loc.state,
        "Country": loc.country,
        "Postcode": loc.postcode,
        "Timezone": loc.timezone,
        "Telephone": "0290000000",
        "Email": "reception@example.com",
        "Website": None,
        "lockNewPatientsToLocation": "0",
    }


def practitioner_row(fake: FakeNookal, practitioner_id: str) -> dict[str, Any]:
    p = fake.practitioners[practitioner_id]
    return {
        "ID": p.id,
        "Title": p.title,
        "FirstName": p.first_name,
        "LastName": p.last_name,
        "Email": f"{p.first_name.lower()}@example.com",
        "Speciality": p.speciality,
        "locations": [int(i) for i in p.location_ids],  # integers here, strings elsewhere
        "ShowInDiary": "1" if p.active else "0",
        "status": "1" if p.active else "0",
    }


def service_row(fake: FakeNookal, service_id: str) -> dict[str, Any]:
    s = fake.services[service_id]
    return {
        "ID": s.id,
        "Name": s.name,
        "Description": s.description,
        "Duration": str(s.duration),
        "Price": "95.00",
        "hasTax": "0",
        "Locations": list(s.location_ids),
        "ServiceCode": "",
    }


def patient_row(fake: FakeNookal, patient_id: str) -> dict[str, Any]:
    p = fake.patients[patient_id]
    return {
        "ID": p.id,
        "Title": "",
        "FirstName": p.first_name,
        "MiddleName": "",
        "Nickname": "",
        "LastName": p.last_name,
        "DOB": p.dob.isoformat() if p.dob else "0000-00-00",
        "Gender": "",
        "Email": p.email,
        "Mobile": p.mobile,
        "Home": p.home,
        "Work": p.work,
        "Fax": "",
        "LocationID": p.location_id,
        "Notes": "",
        "Alerts": "",
        "category": "",
        "onlineQuickCode": "",
        "allowOnlineBookings": "1",
        "active": "1",
        "deceased": "0",
        "DateCreated": stamp(p.created),
        "DateModified": stamp(p.created),
        "extras": [],
    }


def appointment_row(fake: FakeNookal, appointment_id: str) -> dict[str, Any]:
    a = fake.appointments[appointment_id]
    zone = ZoneInfo(fake.locations[a.location_id].timezone)
    midnight = datetime.combine(a.day, time(0))
    starts = (midnight + timedelta(minutes=a.start)).replace(tzinfo=zone)
    ends = (midnight + timedelta(minutes=a.end)).replace(tzinfo=zone)
    service = fake.services.get(a.service_id)
    return {
        "ID": a.id,
        "patientID": a.patient_id,
        "practitionerID": a.practitioner_id,
        "locationID": a.location_id,
        "appointmentDate": a.day.isoformat(),
        "appointmentStartTime": clock(a.start),
        "appointmentEndTime": clock(a.end),
        "TimeZone": fake.locations[a.location_id].timezone,
        "appointmentStartDateTimeUTC": stamp(starts),
        "appointmentEndDateTimeUTC": stamp(ends),
        "appointmentType": service.name if service else "",
        "appointmentTypeID": a.service_id,
        "status": "Cancelled" if a.cancelled else "Pending",
        "cancelled": "1" if a.cancelled else "0",
        "cancellationDate": stamp(a.cancelled_at),
        "DNA": "1" if a.dna else "0",
        "arrived": "0",
        "emailReminderSent": "0",
        "invoiceGenerated": "0",
        "Notes": a.notes,
        "dateCreated": stamp(a.created),
        "lastModified": stamp(a.modified),
    }
