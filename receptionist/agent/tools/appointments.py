"""The caller's appointments: list them, and book, move or cancel (each read back first)."""

from __future__ import annotations

from pms_adapters.types import Appointment, Window
from receptionist.agent import policy
from receptionist.agent.dates import DateNotUnderstood, DateQuestion
from receptionist.agent.describe import clinic_names, describe_move, describe_slot
from receptionist.agent.session import Outcome
from receptionist.agent.toolbox import Refusal, Toolbox, ToolResult
from receptionist.agent.tools.arguments import (
    BookAppointment,
    CancelAppointment,
    ListAppointments,
    RescheduleAppointment,
)
from receptionist.agent.tools.availability import choose_type
from receptionist.agent.tools.guards import (
    check_pick,
    confirming,
    idempotency_key,
    no_clash,
    offered_slot,
    own_appointment,
    readback_gate,
    require_patient,
    settled,
)

UPCOMING_DAYS = 365


async def list_appointments(box: Toolbox, args: ListAppointments) -> ToolResult:
    patient_id = require_patient(box)
    now = box.clinic.now()
    window = Window.next_days(now, UPCOMING_DAYS)
    said = ""
    if args.when:
        try:
            span = box.clinic.resolver.resolve(args.when)
        except (DateQuestion, DateNotUnderstood):
            raise Refusal("Ask the caller which day the appointment is on.") from None
        window = Window(starts_at=span.start, ends_at=span.end)
        said = f" {span.description}"
    upcoming = await box.clinic.pms.appointments(patient_id, window)
    upcoming = [a for a in upcoming if a.patient_id == patient_id and a.starts_at > now]
    box.session.actions.add(Outcome.INFO)
    if not upcoming:
        return ToolResult(True, f"They have no upcoming appointments{said}.", {"appointments": []})
    lines = []
    refs = []
    for appointment in sorted(upcoming, key=lambda a: a.starts_at)[:5]:
        ref = box.session.remember_appointment(appointment)
        refs.append(ref)
        lines.append(f"{ref}: {await describe_slot(box, appointment)}")
    box.session.put_choices(refs)
    return ToolResult(True, "Upcoming: " + "; ".join(lines) + ".", {"appointments": refs})


async def book_appointment(box: Toolbox, args: BookAppointment) -> ToolResult:
    patient_id = require_patient(box)
    slot = offered_slot(box, args.slot)
    if not confirming(box, "book", args.confirmed, slot_ref=args.slot):
        await check_pick(box, args.slot)
    key = idempotency_key(box, "book", slot.id, patient_id)
    if key in box.session.completed_writes:
        done = box.session.completed_writes[key]
        return ToolResult(True, f"Already booked: {await describe_slot(box, done)}.")
    _, _, types = await clinic_names(box)
    kind = types.get(slot.appointment_type_id)
    if kind is not None:
        choose_type(box, [kind], kind.name, None)  # the phone and new-patient rules again
    await no_clash(box, patient_id, slot)
    readback = f"{await describe_slot(box, slot)}. Is that right?"
    ask = readback_gate(box, "book", args.confirmed, readback, slot_ref=args.slot)
    if ask is not None:
        return ask
    appointment = await settled(box, lambda: box.clinic.pms.book(slot.id, patient_id, key))
    return await _written(box, key, appointment, Outcome.BOOKED, "Booked")


async def reschedule_appointment(box: Toolbox, args: RescheduleAppointment) -> ToolResult:
    current = own_appointment(box, args.appointment)
    slot = offered_slot(box, args.slot)
    if slot.appointment_type_id != current.appointment_type_id:
        raise Refusal(
            "That slot is for a different type of appointment. Search with the appointment "
            "ref to find times for this one."
        )
    key = idempotency_key(box, "move", current.id, slot.id)
    if key in box.session.completed_writes:
        done = box.session.completed_writes[key]
        return ToolResult(True, f"Already moved: {await describe_slot(box, done)}.")
    notice = policy.late_notice(box.clinic, current.starts_at)
    if not confirming(
        box, "reschedule", args.confirmed, slot_ref=args.slot, appointment_ref=args.appointment
    ):
        await check_pick(box, args.appointment, moving=True)
        await check_pick(box, args.slot)
        picked = box.session.moving
        if picked is not None and picked != args.appointment:
            raise Refusal(
                f"The caller chose to move {picked}, not {args.appointment}; the times on "
                f"offer are for {picked}."
            )
    readback = f"Move {await describe_move(box, current, slot)}. {notice}Is that right?"
    ask = readback_gate(
        box, "reschedule", args.confirmed, readback, slot_ref=args.slot,
        appointment_ref=args.appointment,
    )  # fmt: skip
    if ask is not None:
        return ask
    moved = await settled(box, lambda: box.clinic.pms.reschedule(current.id, slot.id, key))
    box.session.appointments[args.appointment] = moved  # some PMSs give a moved one a new id
    result = await _written(box, key, moved, Outcome.MOVED, "Moved", notice)
    return ToolResult(result.ok, result.say, {**result.data, "previous_id": current.id})


async def cancel_appointment(box: Toolbox, args: CancelAppointment) -> ToolResult:
    current = own_appointment(box, args.appointment)
    key = idempotency_key(box, "cancel", current.id)
    if key in box.session.completed_writes:
        return ToolResult(True, "Already cancelled.")
    notice = policy.late_notice(box.clinic, current.starts_at)
    if not confirming(box, "cancel", args.confirmed, appointment_ref=args.appointment):
        await check_pick(box, args.appointment)
    readback = f"Cancel your {await describe_slot(box, current)}. {notice}Is that right?"
    ask = readback_gate(box, "cancel", args.confirmed, readback, appointment_ref=args.appointment)
    if ask is not None:
        return ask
    cancelled = await settled(box, lambda: box.clinic.pms.cancel(current.id, args.reason))
    box.session.remember_appointment(cancelled)
    return await _written(box, key, cancelled, Outcome.CANCELLED, "Cancelled", notice)


async def _written(
    box: Toolbox,
    key: str,
    appointment: Appointment,
    outcome: Outcome,
    verb: str,
    notice: str = "",
) -> ToolResult:
    """The PMS confirmed the write: only now may the agent say it is done."""
    session = box.session
    if outcome in (Outcome.CANCELLED, Outcome.MOVED):
        # An earlier write of this appointment no longer stands: booking that slot again is a
        # new booking, not "Already booked".
        for earlier in [k for k, a in session.completed_writes.items() if a.id == appointment.id]:
            del session.completed_writes[earlier]
    session.completed_writes[key] = appointment
    session.writes.append((outcome, appointment))
    session.pending = None
    session.actions.add(outcome)
    ref = session.remember_appointment(appointment)
    relay = f" Tell the caller: {notice.strip()}" if notice else ""
    return ToolResult(
        True,
        f"{verb}: {await describe_slot(box, appointment)}.{relay}",
        {"appointment": ref, "appointment_id": appointment.id, "notice": notice.strip()},
    )
