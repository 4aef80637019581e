"""Clinic-aware phrasing of slots and appointments: what the caller hears and the read-backs say."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pms_adapters.types import Appointment, AppointmentType, Slot
from receptionist.agent.choosing import Choice, Option, pick
from receptionist.agent.matching import fold
from receptionist.agent.speech import join_words, say_day, say_time, say_when
from receptionist.agent.toolbox import Toolbox


async def clinic_names(
    box: Toolbox,
) -> tuple[dict[str, str], dict[str, str], dict[str, AppointmentType]]:
    locations, practitioners, types = await box.clinic.reference()
    return (
        {loc.id: loc.name for loc in locations},
        {p.id: p.name for p in practitioners},
        {t.id: t for t in types},
    )


async def describe_slot(box: Toolbox, slot: Slot | Appointment) -> str:
    """'Physiotherapy follow-up with Sarah Chen, Tuesday 3 March at 9 am, at Surry Hills'."""
    locations, practitioners, types = await clinic_names(box)
    local = slot.starts_at.astimezone(box.clinic.zone)
    kind = types.get(slot.appointment_type_id)
    who = practitioners.get(slot.practitioner_id, "a practitioner")
    where = locations.get(slot.location_id)
    text = (
        f"{kind.name if kind else 'Appointment'} with {who}, {say_when(local, box.clinic.today())}"
    )
    if where and len(locations) > 1:
        text += f", at {where}"
    return text


async def speak_slots(box: Toolbox, slots: Sequence[Slot]) -> str:
    """Several times said once: 'a Remedial massage with Priya Patel: tomorrow, Tuesday 3 March
    at 9 am or 11 am, or Wednesday 4 March at 2 pm'."""
    locations, practitioners, types = await clinic_names(box)
    zone, today = box.clinic.zone, box.clinic.today()
    one_who = len({s.practitioner_id for s in slots}) == 1
    one_where = len({s.location_id for s in slots}) == 1
    days: list[tuple[datetime, list[str]]] = []
    for slot in slots:
        local = slot.starts_at.astimezone(zone)
        said = say_time(local)
        if not one_who:
            said += f" with {practitioners.get(slot.practitioner_id, 'a practitioner')}"
        if not one_where and len(locations) > 1:
            said += f" at {locations.get(slot.location_id, '')}"
        if days and days[-1][0].date() == local.date():
            days[-1][1].append(said)
        else:
            days.append((local, [said]))
    first = slots[0]
    kind = types.get(first.appointment_type_id)
    head = kind.name if kind else "appointment"
    head = ("an " if head[:1].lower() in "aeiou" else "a ") + head
    if one_who:
        head += f" with {practitioners.get(first.practitioner_id, 'a practitioner')}"
    if one_where and len(locations) > 1:
        head += f" at {locations.get(first.location_id, '')}"
    spoken = [f"{say_day(day.date(), today)} at {join_words(times)}" for day, times in days]
    return f"{head}: {join_words(spoken)}"


async def as_options(box: Toolbox, items: Sequence[Slot | Appointment]) -> list[Option]:
    """Slots or appointments as the caller heard them, for `choosing.pick`."""
    locations, practitioners, types = await clinic_names(box)
    return [
        Option(
            starts=item.starts_at.astimezone(box.clinic.zone),
            practitioner=practitioners.get(item.practitioner_id, ""),
            type=types[item.appointment_type_id].name if item.appointment_type_id in types else "",
            location=locations.get(item.location_id) if len(locations) > 1 else None,
        )
        for item in items
    ]


async def clinic_words(box: Toolbox) -> list[str]:
    """Every practitioner, type and location name of the clinic."""
    locations, practitioners, types = await clinic_names(box)
    return [*practitioners.values(), *(t.name for t in types.values()), *locations.values()]


async def describe_move(box: Toolbox, current: Appointment, slot: Slot) -> str:
    """'your Physiotherapy follow-up with Sarah Chen, Thursday 5 March at 10 am, to Friday 6
    March at 2 pm with Sarah Chen': both ends named by day, date, time and practitioner."""
    _, practitioners, _ = await clinic_names(box)
    who = practitioners.get(slot.practitioner_id, "a practitioner")
    to = say_when(slot.starts_at.astimezone(box.clinic.zone), box.clinic.today())
    return f"your {await describe_slot(box, current)}, to {to} with {who}"


async def caller_picks(
    box: Toolbox, texts: Sequence[str], items: Sequence[Slot | Appointment]
) -> list[Choice]:
    """What each of the caller's lines picks among these slots or appointments, with the
    caller's own name left out ("Mia Nguyen" never picks Tom Nguyen's time)."""
    own = box.session.patient_name_words()
    options = await as_options(box, items)
    elsewhere = await clinic_words(box)
    today = box.clinic.today()
    return [
        pick(" ".join(w for w in fold(text).split() if w not in own), options, today, elsewhere)
        for text in texts
    ]
