"""The receptionist's tools: argument models, handlers and the guardrails they enforce.

The rules live here, not in the prompt:
- booking, moving or cancelling needs a patient identified in this call (full name and date of
  birth); a caller only ever sees and changes their own appointments;
- a booking or move uses only a slot offered in this call, and any write happens only after a
  read-back the caller answered yes to: the first call returns the read-back, the second (with
  `confirmed: true`) checks the caller's own words since then;
- writes carry an idempotency key made from the call and the request, so a repeated tool call
  returns the same appointment instead of making a second one;
- the cancellation policy comes back from the cancel tool as a notice to relay;
- dates are resolved in code (`receptionist.agent.dates`), in the clinic's zone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pms_adapters.types import (
    Appointment,
    AppointmentType,
    CancellationReason,
    NewPatient,
    PatientQuery,
    Slot,
    SlotQuery,
    Window,
)
from receptionist.agent import policy
from receptionist.agent.confirm import Reply, classify_reply
from receptionist.agent.dates import DateNotUnderstood, DateQuestion, parse_date_of_birth
from receptionist.agent.matching import TYPE_SYNONYMS, best_match, fold
from receptionist.agent.session import Outcome, PendingConfirmation, TakenMessage
from receptionist.agent.speech import join_words, say_day, say_time, say_when
from receptionist.agent.toolbox import Refusal, Tool, Toolbox, ToolResult

OFFERS_PER_SEARCH = 3
UPCOMING_DAYS = 365
MAX_IDENTIFY_ATTEMPTS = 3

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- argument models ------------------------------------------------------------------------


class FindAvailability(_Args):
    appointment_type: Text | None = Field(None, description="Type of appointment, as said.")
    practitioner: Text | None = Field(None, description="Practitioner name, or omit for anyone.")
    location: Text | None = None
    when: Text | None = Field(
        None, description="The caller's own words for day/time, e.g. 'next Tuesday arvo'."
    )
    appointment: Ref | None = Field(None, description="Ref of an appointment being moved.")


class IdentifyCaller(_Args):
    full_name: Text
    date_of_birth: Text = Field(description="As the caller said it.")


class RegisterPatient(_Args):
    first_name: Text
    last_name: Text
    date_of_birth: Text
    phone: Text | None = Field(None, description="Omit to use the number calling.")


class ListAppointments(_Args):
    when: Text | None = Field(None, description="Narrow to the caller's words, e.g. 'Friday'.")


class BookAppointment(_Args):
    slot: Ref = Field(description="Slot ref from find_availability.")
    confirmed: bool = Field(False, description="True only after the caller said yes.")


class RescheduleAppointment(_Args):
    appointment: Ref
    slot: Ref
    confirmed: bool = False


class CancelAppointment(_Args):
    appointment: Ref
    confirmed: bool = False
    reason: CancellationReason = Field(CancellationReason.PATIENT_REQUEST, description="If said.")


class ClinicInfo(_Args):
    topic: Text = Field(description="e.g. hours, address, parking, prices, or the question.")


class TransferToHuman(_Args):
    reason: Text


class TakeMessage(_Args):
    caller_name: Text
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    callback_number: Text | None = Field(None, description="Omit to use the number calling.")
    voicemail: bool = Field(False, description="The caller would rather record a voicemail.")


class EndCall(_Args):
    pass


# -- helpers --------------------------------------------------------------------------------


def idempotency_key(box: Toolbox, action: str, *parts: str) -> str:
    """The same call and the same request give the same key: a repeat cannot write twice."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"call-{box.session.id}-{action}-{digest}"


def _require_patient(box: Toolbox) -> str:
    patient = box.session.patient
    if patient is None:
        raise Refusal(
            "The caller is not identified yet. Ask for their full name and date of birth and "
            "call identify_caller first."
        )
    return patient.id


async def _names(box: Toolbox) -> tuple[dict[str, str], dict[str, str], dict[str, AppointmentType]]:
    locations, practitioners, types = await box.clinic.reference()
    return (
        {loc.id: loc.name for loc in locations},
        {p.id: p.name for p in practitioners},
        {t.id: t for t in types},
    )


async def describe_slot(box: Toolbox, slot: Slot | Appointment) -> str:
    """'Physiotherapy follow-up with Sarah Chen, Tuesday 3 March at 9 am, at Surry Hills'."""
    locations, practitioners, types = await _names(box)
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
    locations, practitioners, types = await _names(box)
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


def _pick_offers(slots: Sequence[Slot], count: int) -> list[Slot]:
    """A spread of times: the first, then ones at least an hour apart, then the rest."""
    chosen: list[Slot] = []
    for slot in slots:
        if all(abs(slot.starts_at - other.starts_at) >= timedelta(hours=1) for other in chosen):
            chosen.append(slot)
        if len(chosen) == count:
            break
    for slot in slots:
        if len(chosen) == count:
            break
        if slot not in chosen:
            chosen.append(slot)
    return sorted(chosen, key=lambda s: s.starts_at)


def _check_readback(box: Toolbox, pending: PendingConfirmation | None, action: str) -> None:
    """The caller must have answered the read-back of exactly this action with a yes."""
    if pending is None:
        return
    if box.session.caller_turns <= pending.after_caller_turn:
        raise Refusal(
            "The caller has not answered the read-back yet. Read it back and wait for them: "
            + pending.readback
        )
    reply = classify_reply(box.session.last_caller_text())
    if reply is not Reply.YES:
        box.session.pending = None
        raise Refusal(
            f"The caller did not clearly say yes, so nothing was {action}. Ask what they "
            "would like instead.",
            reply=reply.value,
        )


def _gate(
    box: Toolbox,
    action: Literal["book", "reschedule", "cancel"],
    confirmed: bool,
    readback: str,
    *,
    slot_ref: str | None = None,
    appointment_ref: str | None = None,
) -> ToolResult | None:
    """Ask for the read-back first; once answered, let the write through only on a yes."""
    pending = box.session.pending
    if confirmed and pending is not None and pending.matches(action, slot_ref, appointment_ref):
        _check_readback(
            box, pending, {"book": "booked", "reschedule": "moved"}.get(action, action + "led")
        )
        return None
    box.session.pending = PendingConfirmation(
        action=action,
        slot_ref=slot_ref,
        appointment_ref=appointment_ref,
        readback=readback,
        after_caller_turn=box.session.caller_turns,
    )
    lead = "Not done yet: the caller has not confirmed this. " if confirmed else "Not done yet. "
    return ToolResult(
        False,
        f"{lead}Read this back and ask the caller to confirm: {readback} If they say yes, "
        "call again with confirmed true.",
        {"needs_confirmation": action, "readback": readback},
    )


# -- handlers -------------------------------------------------------------------------------


async def find_availability(box: Toolbox, args: FindAvailability) -> ToolResult:
    locations, practitioners, types = await box.clinic.reference()
    moving: Appointment | None = None
    if args.appointment:
        _require_patient(box)
        moving = box.session.appointments.get(args.appointment)
        if moving is None:
            raise Refusal("Unknown appointment ref. Call list_appointments to get refs.")
    kind = _choose_type(box, types, args.appointment_type, moving)
    practitioner_ids: tuple[str, ...] | None = None
    who = "anyone"
    if args.practitioner and fold(args.practitioner) not in {
        "anyone",
        "any",
        "whoever",
        "no preference",
    }:
        match = best_match(args.practitioner, practitioners, lambda p: p.name)
        if match.item is None:
            options = join_words([p.name for p in (match.ambiguous or practitioners)])
            raise Refusal(f"Which practitioner? The options are {options}.")
        practitioner_ids = (match.item.id,)
        who = match.item.name
    elif moving is not None and not args.practitioner:
        practitioner_ids = (moving.practitioner_id,)
    location_id = None
    if args.location and len(locations) > 1:
        place = best_match(args.location, locations, lambda loc: loc.name)
        if place.item is None:
            raise Refusal(f"Which location? {join_words([loc.name for loc in locations])}.")
        location_id = place.item.id
    try:
        window = box.clinic.resolver.resolve(args.when)
    except DateQuestion as question:
        raise Refusal(f"Ask the caller: {question.question}") from None
    except DateNotUnderstood:
        raise Refusal(
            "I couldn't work out that day or time. Ask the caller which day and time suit."
        ) from None
    query = SlotQuery(
        appointment_type_id=kind.id,
        starts_after=window.start,
        ends_before=window.end,
        practitioner_ids=practitioner_ids,
        location_id=location_id,
        limit=60,
    )
    slots = await box.clinic.pms.find_slots(query)
    widened = False
    if not slots:
        later = query.model_copy(
            update={
                "starts_after": window.end,
                "ends_before": window.end + timedelta(days=14),
            }
        )
        slots = await box.clinic.pms.find_slots(later)
        widened = True
    if moving is not None:
        slots = [s for s in slots if s.starts_at != moving.starts_at]
    if window.daily is not None:
        earliest, latest = window.daily
        slots = [
            s for s in slots if earliest <= s.starts_at.astimezone(box.clinic.zone).time() < latest
        ]
    if not slots:
        return ToolResult(
            True,
            f"No {kind.name} times with {who} {window.description} or in the two weeks after. "
            "Offer another practitioner or day, or to take a message.",
            {"offers": [], "window": window.description},
        )
    offers = _pick_offers(slots, OFFERS_PER_SEARCH)
    lines = []
    refs = []
    for slot in offers:
        ref = box.session.offer(slot)
        refs.append(ref)
        lines.append(f"{ref}: {await describe_slot(box, slot)}")
    box.session.actions.add(Outcome.INFO)
    lead = (
        f"Nothing {window.description}; the nearest after that are: "
        if widened
        else f"Free {window.description}: "
    )
    return ToolResult(
        True,
        lead + "; ".join(lines) + ". Offer these; book only on the caller's choice.",
        {"offers": refs, "widened": widened, "window": window.description},
    )


def _choose_type(
    box: Toolbox,
    types: Sequence[AppointmentType],
    said: str | None,
    moving: Appointment | None,
) -> AppointmentType:
    phone_types = [t for t in types if policy.bookable_by_phone(box.clinic.script, t)]
    if moving is not None and not said:
        for kind in types:
            if kind.id == moving.appointment_type_id:
                return kind
    if not said:
        if len(phone_types) == 1:
            return phone_types[0]
        raise Refusal(
            "Ask which type of appointment: " + join_words([t.name for t in phone_types]) + "."
        )
    match = best_match(said, types, lambda t: t.name, synonyms=TYPE_SYNONYMS)
    if match.item is None:
        options = join_words([t.name for t in (match.ambiguous or phone_types)])
        raise Refusal(f"Which type of appointment? The options are {options}.")
    kind = match.item
    if not policy.bookable_by_phone(box.clinic.script, kind):
        raise Refusal(
            f"{kind.name} can't be booked over the phone. Offer to transfer the caller to "
            "the team or take a message.",
            not_bookable=kind.name,
        )
    if box.session.patient_is_new and not kind.new_patients_allowed:
        firsts = [t.name for t in phone_types if t.new_patients_allowed]
        raise Refusal(
            f"{kind.name} is for existing patients. A new patient books {join_words(firsts)}.",
            new_patient_type=firsts[0] if firsts else None,
        )
    return kind


async def identify_caller(box: Toolbox, args: IdentifyCaller) -> ToolResult:
    session = box.session
    if session.identify_failures >= MAX_IDENTIFY_ATTEMPTS:
        raise Refusal(
            "Too many attempts to identify. Don't try again; offer to transfer or take a message."
        )
    try:
        born = parse_date_of_birth(args.date_of_birth, today=box.clinic.today())
    except (DateQuestion, DateNotUnderstood):
        raise Refusal("Ask the caller for their date of birth again, day month and year.") from None
    name = " ".join(args.full_name.split())
    if len(name.split()) < 2:
        raise Refusal("Ask for the caller's first and last name.")
    candidates = await box.clinic.pms.find_patients(PatientQuery(name=name, date_of_birth=born))
    if len(candidates) > 1 and session.caller_number:
        by_phone = [p for p in candidates if session.caller_number in p.phones]
        candidates = by_phone or candidates
    if len(candidates) != 1:
        session.identify_failures += 1
        if candidates:
            return ToolResult(
                False,
                "More than one record matches. Offer to transfer or take a message.",
                {"matches": "several"},
            )
        return ToolResult(
            False,
            "No patient record matches that name and date of birth. Check the spelling; if "
            "they are new to the clinic, offer to register them.",
            {"matches": 0},
        )
    patient = candidates[0]
    session.patient = patient
    session.patient_is_new = False
    return ToolResult(
        True,
        f"Identified: {patient.first_name}. You may now discuss their appointments.",
        {"patient_id": patient.id, "first_name": patient.first_name},
    )


async def register_patient(box: Toolbox, args: RegisterPatient) -> ToolResult:
    session = box.session
    if session.patient is not None:
        return ToolResult(True, f"Already identified as {session.patient.first_name}.")
    try:
        born = parse_date_of_birth(args.date_of_birth, today=box.clinic.today())
    except (DateQuestion, DateNotUnderstood):
        raise Refusal("Ask the caller for their date of birth again, day month and year.") from None
    existing = await box.clinic.pms.find_patients(
        PatientQuery(name=f"{args.first_name} {args.last_name}", date_of_birth=born)
    )
    if len(existing) == 1:
        session.patient = existing[0]
        return ToolResult(
            True,
            f"They are already a patient; identified as {existing[0].first_name}.",
            {"patient_id": existing[0].id, "existing": True},
        )
    phone = args.phone or session.caller_number
    new = NewPatient(
        first_name=args.first_name,
        last_name=args.last_name,
        date_of_birth=born,
        phones=(phone,) if phone else (),
    )
    key = idempotency_key(box, "register", new.model_dump_json())
    patient = await box.clinic.pms.create_patient(new, key)
    session.patient = patient
    session.patient_is_new = True
    return ToolResult(
        True,
        f"Registered {patient.first_name} as a new patient.",
        {"patient_id": patient.id, "first_name": patient.first_name, "existing": False},
    )


async def list_appointments(box: Toolbox, args: ListAppointments) -> ToolResult:
    patient_id = _require_patient(box)
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
    return ToolResult(True, "Upcoming: " + "; ".join(lines) + ".", {"appointments": refs})


def _offered(box: Toolbox, ref: str) -> Slot:
    slot = box.session.offers.get(ref)
    if slot is None:
        raise Refusal(
            "That slot was not offered in this call. Call find_availability and offer times "
            "first; use a ref it returned."
        )
    return slot


def _owned(box: Toolbox, ref: str) -> Appointment:
    appointment = box.session.appointments.get(ref)
    if appointment is None or appointment.patient_id != _require_patient(box):
        raise Refusal("Unknown appointment ref. Call list_appointments for the caller's refs.")
    return appointment


async def _no_clash(box: Toolbox, patient_id: str, slot: Slot) -> None:
    """A patient is never booked into two places at once."""
    window = Window(starts_at=slot.starts_at - timedelta(hours=12), ends_at=slot.ends_at)
    for existing in await box.clinic.pms.appointments(patient_id, window):
        replay = (existing.practitioner_id, existing.starts_at) == (
            slot.practitioner_id,
            slot.starts_at,
        )  # the same booking again: its idempotency key will return it, not a second one
        if not replay and existing.starts_at < slot.ends_at and slot.starts_at < existing.ends_at:
            raise Refusal(
                "The caller already has an appointment at that time: "
                f"{await describe_slot(box, existing)}. Offer a different time.",
                clash=True,
            )


async def book_appointment(box: Toolbox, args: BookAppointment) -> ToolResult:
    patient_id = _require_patient(box)
    slot = _offered(box, args.slot)
    key = idempotency_key(box, "book", slot.id, patient_id)
    if key in box.session.completed_writes:
        done = box.session.completed_writes[key]
        return ToolResult(True, f"Already booked: {await describe_slot(box, done)}.")
    _, _, types = await _names(box)
    kind = types.get(slot.appointment_type_id)
    if kind is not None:
        _choose_type(box, [kind], kind.name, None)  # the phone and new-patient rules again
    await _no_clash(box, patient_id, slot)
    readback = f"{await describe_slot(box, slot)}. Is that right?"
    ask = _gate(box, "book", args.confirmed, readback, slot_ref=args.slot)
    if ask is not None:
        return ask
    appointment = await box.clinic.pms.book(slot.id, patient_id, key)
    return await _written(box, key, appointment, Outcome.BOOKED, "Booked")


async def reschedule_appointment(box: Toolbox, args: RescheduleAppointment) -> ToolResult:
    current = _owned(box, args.appointment)
    slot = _offered(box, args.slot)
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
    was = say_when(current.starts_at.astimezone(box.clinic.zone), box.clinic.today())
    readback = f"Move from {was} to {await describe_slot(box, slot)}. {notice}Is that right?"
    ask = _gate(
        box, "reschedule", args.confirmed, readback, slot_ref=args.slot,
        appointment_ref=args.appointment,
    )  # fmt: skip
    if ask is not None:
        return ask
    moved = await box.clinic.pms.reschedule(current.id, slot.id, key)
    box.session.appointments[args.appointment] = moved  # some PMSs give a moved one a new id
    result = await _written(box, key, moved, Outcome.MOVED, "Moved", notice)
    return ToolResult(result.ok, result.say, {**result.data, "previous_id": current.id})


async def cancel_appointment(box: Toolbox, args: CancelAppointment) -> ToolResult:
    current = _owned(box, args.appointment)
    key = idempotency_key(box, "cancel", current.id)
    if key in box.session.completed_writes:
        return ToolResult(True, "Already cancelled.")
    notice = policy.late_notice(box.clinic, current.starts_at)
    readback = f"Cancel {await describe_slot(box, current)}. {notice}Is that right?"
    ask = _gate(box, "cancel", args.confirmed, readback, appointment_ref=args.appointment)
    if ask is not None:
        return ask
    cancelled = await box.clinic.pms.cancel(current.id, args.reason)
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


async def clinic_info(box: Toolbox, args: ClinicInfo) -> ToolResult:
    box.session.actions.add(Outcome.INFO)
    return ToolResult(True, policy.clinic_info(box.clinic, args.topic))


async def transfer_to_human(box: Toolbox, args: TransferToHuman) -> ToolResult:
    refusal = policy.transfer_refusal(box.clinic)
    if refusal:
        raise Refusal(refusal)
    box.session.transfer_reason = args.reason
    box.session.actions.add(Outcome.TRANSFERRED)
    return ToolResult(
        True,
        "Transferring. Tell the caller you are putting them through now.",
        {"transfer": True},
    )


async def take_message(box: Toolbox, args: TakeMessage) -> ToolResult:
    session = box.session
    message = TakenMessage(
        caller_name=args.caller_name,
        callback_number=args.callback_number or session.caller_number,
        text=args.message,
        at=box.clinic.now(),
        patient_id=session.patient.id if session.patient else None,
    )
    if message.callback_number is None:
        raise Refusal("Ask for a number the clinic can call back on.")
    session.messages.append(message)
    if box.clinic.message_sink is not None:
        await box.clinic.message_sink(session, message)
    session.actions.add(Outcome.MESSAGE)
    if args.voicemail:
        session.voicemail_requested = True
        return ToolResult(
            True,
            "Noted. Tell the caller they can record their message after the tone.",
            {"message": len(session.messages), "voicemail": True},
        )
    return ToolResult(
        True,
        "Message taken. Tell the caller the team will call them back.",
        {"message": len(session.messages)},
    )


async def end_call(box: Toolbox, args: EndCall) -> ToolResult:
    box.session.end_requested = True
    return ToolResult(True, "Say a short goodbye; the call will end.", {"end": True})


TOOLS: tuple[Tool[Any], ...] = (
    Tool(
        "find_availability",
        "Find free appointment times.",
        FindAvailability,
        find_availability,
    ),
    Tool(
        "identify_caller",
        "Identify the caller by name and date of birth.",
        IdentifyCaller,
        identify_caller,
    ),
    Tool("register_patient", "Register a new patient.", RegisterPatient, register_patient),
    Tool(
        "list_appointments",
        "The identified caller's upcoming appointments.",
        ListAppointments,
        list_appointments,
    ),
    Tool(
        "book_appointment",
        "Book an offered slot; read back first.",
        BookAppointment,
        book_appointment,
    ),
    Tool(
        "reschedule_appointment",
        "Move the caller's appointment to an offered slot.",
        RescheduleAppointment,
        reschedule_appointment,
    ),
    Tool(
        "cancel_appointment",
        "Cancel the caller's appointment.",
        CancelAppointment,
        cancel_appointment,
    ),
    Tool(
        "clinic_info",
        "Hours, address, parking, prices, policies, FAQs.",
        ClinicInfo,
        clinic_info,
    ),
    Tool(
        "transfer_to_human",
        "Put the caller through to staff.",
        TransferToHuman,
        transfer_to_human,
    ),
    Tool("take_message", "Take a message for staff.", TakeMessage, take_message),
    Tool("end_call", "End the call after saying goodbye.", EndCall, end_call),
)


__all__ = ["TOOLS", "describe_slot", "idempotency_key", "speak_slots"]
