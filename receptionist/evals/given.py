"""A scenario's `given:`: the diary it starts from, applied through the adapter contract only.

Only the `PMSAdapter` methods are used (find a patient, find a free slot, book, list, cancel),
so a case starts from the same diary on the built-in diary, Cliniko and Nookal alike.
Cancellations go first, so a case can free a seeded slot and book someone else into it.
Anything that cannot be applied exactly as written is a `GivenError`: the case fails with
that message instead of silently starting from another diary.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pms_adapters.contract import PMSAdapter
from pms_adapters.types import (
    Appointment,
    CancellationReason,
    Location,
    Patient,
    PatientQuery,
    SlotQuery,
    Window,
)
from receptionist.agent.matching import fold
from receptionist.evals.scenario import Given, GivenAppointment, GivenCancellation


class GivenError(ValueError):
    """A `given:` entry that cannot be applied to the diary as written."""


def _named(wanted: str, actual: str) -> bool:
    return fold(wanted) == fold(actual)


async def _patient(pms: PMSAdapter, name: str) -> Patient:
    found = [
        p for p in await pms.find_patients(PatientQuery(name=name))
        if _named(name, f"{p.first_name} {p.last_name}")
    ]  # fmt: skip
    if len(found) != 1:
        what = "no patient" if not found else f"{len(found)} patients"
        raise GivenError(f"{what} named {name!r} in the diary")
    return found[0]


def _zone(locations: list[Location], location_id: str | None) -> ZoneInfo:
    for location in locations:
        if location_id is None or location.id == location_id:
            return ZoneInfo(location.timezone)
    raise GivenError("the diary has no locations")  # pragma: no cover - every PMS has one


async def _add(pms: PMSAdapter, item: GivenAppointment, key: str) -> Appointment:
    patient = await _patient(pms, item.patient)
    who = [p for p in await pms.practitioners() if _named(item.practitioner, p.name)]
    if not who:
        raise GivenError(f"no practitioner named {item.practitioner!r}")
    kind = [t for t in await pms.appointment_types() if _named(item.type, t.name)]
    if not kind:
        raise GivenError(f"no appointment type named {item.type!r}")
    locations = await pms.locations()
    location_id = None
    if item.location is not None:
        place = [loc for loc in locations if _named(item.location, loc.name)]
        if not place:
            raise GivenError(f"no location named {item.location!r}")
        location_id = place[0].id
    starts = datetime.combine(item.date, item.time, _zone(locations, location_id))
    query = SlotQuery(
        appointment_type_id=kind[0].id,
        starts_after=starts - timedelta(minutes=1),
        ends_before=starts + timedelta(minutes=kind[0].duration_minutes + 60),
        practitioner_ids=(who[0].id,),
        location_id=location_id,
    )
    slot = next((s for s in await pms.find_slots(query) if s.starts_at == starts), None)
    if slot is None:
        raise GivenError(
            f"{item.practitioner} has no free {item.type} slot at {starts:%a %d %b %Y %H:%M}"
            + (f" at {item.location}" if item.location else "")
        )
    return await pms.book(slot.id, patient.id, key)


async def _cancel(pms: PMSAdapter, item: GivenCancellation, zone: ZoneInfo) -> Appointment:
    patient = await _patient(pms, item.patient)
    day = datetime.combine(item.date, datetime.min.time(), zone)
    window = Window(starts_at=day, ends_at=day + timedelta(days=1))
    found = [
        a for a in await pms.appointments(patient.id, window)
        if a.starts_at.astimezone(zone).date() == item.date
        and (item.time is None or a.starts_at.astimezone(zone).time() == item.time)
    ]  # fmt: skip
    when = f"{item.date:%a %d %b %Y}" + (f" at {item.time:%H:%M}" if item.time else "")
    if not found:
        raise GivenError(f"{item.patient} has no appointment on {when} to cancel")
    if len(found) > 1:
        raise GivenError(f"{item.patient} has {len(found)} appointments on {when}; give a time")
    return await pms.cancel(found[0].id, CancellationReason.OTHER, "scenario given")


async def apply_given(pms: PMSAdapter, given: Given, scenario: str) -> None:
    """Cancel, then book, what the scenario's `given:` says; `GivenError` if it cannot."""
    if not given.cancel and not given.add:
        return
    zone = _zone(await pms.locations(), None)
    for item in given.cancel:
        await _cancel(pms, item, zone)
    for index, appointment in enumerate(given.add):
        await _add(pms, appointment, f"given-{scenario}-{index}")
