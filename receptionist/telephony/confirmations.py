"""SMS confirmations, written from the appointment the PMS returned, never from model text."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pms_adapters.types import Appointment
from receptionist.agent.session import Outcome
from receptionist.agent.toolbox import Clinic

SMS_LIMIT = 320  # two segments


async def confirmation_text(clinic: Clinic, outcome: Outcome, appointment: Appointment) -> str:
    """'Harbourside Physio: your Physiotherapy follow-up with Sarah Chen is booked for Tue 3 Mar
    at 10:00am at Parramatta, 88 Church Street...'."""
    locations, practitioners, types = await clinic.reference()
    where = next((loc for loc in locations if loc.id == appointment.location_id), None)
    zone = ZoneInfo(where.timezone) if where else clinic.zone
    local = appointment.starts_at.astimezone(zone)
    meridiem = "am" if local.hour < 12 else "pm"
    when = f"{local:%a} {local.day} {local:%b} at {local.hour % 12 or 12}:{local:%M}{meridiem}"
    kind = next((t.name for t in types if t.id == appointment.appointment_type_id), "appointment")
    who = next((p.name for p in practitioners if p.id == appointment.practitioner_id), "")
    what = f"your {kind}" + (f" with {who}" if who else "")
    place = ""
    if where is not None:
        place = f" at {where.name}" + (f", {where.address}" if where.address else "")
    name = clinic.script.clinic_name
    if outcome is Outcome.CANCELLED:
        text = f"{name}: {what} on {when} has been cancelled."
    elif outcome is Outcome.MOVED:
        text = f"{name}: {what} has been moved to {when}{place}."
    else:
        text = f"{name}: {what} is booked for {when}{place}."
    if outcome is not Outcome.CANCELLED:
        text += " To change it, please call us."
    return text[:SMS_LIMIT]
