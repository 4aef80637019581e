"""The guardrails every write passes: an identified caller, an offered slot, their own
appointment, the read-back answered yes, no clash, and the idempotency key; and after it, an
outcome the PMS confirmed before the caller hears anything."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Literal, TypeVar

import anyio

from pms_adapters.errors import PMSUnavailable, WriteOutcomeUnknown
from pms_adapters.types import Appointment, Slot, Window
from receptionist.agent.choosing import split_move
from receptionist.agent.confirm import Reply, classify_reply
from receptionist.agent.describe import caller_picks, describe_slot
from receptionist.agent.session import PendingConfirmation
from receptionist.agent.speech import join_words
from receptionist.agent.toolbox import Refusal, Toolbox, ToolResult

logger = logging.getLogger(__name__)

T = TypeVar("T")

RECHECK_DEADLINE_S = 12.0  # no retry starts later than this after the first unknown outcome


def idempotency_key(box: Toolbox, action: str, *parts: str) -> str:
    """The same call and the same request give the same key: a repeat cannot write twice."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"call-{box.session.id}-{action}-{digest}"


def require_patient(box: Toolbox) -> str:
    patient = box.session.patient
    if patient is None:
        raise Refusal(
            "The caller is not identified yet. Ask for their full name and date of birth and "
            "call identify_caller first."
        )
    return patient.id


def _check_readback(box: Toolbox, pending: PendingConfirmation, action: str) -> None:
    """The caller must have answered the read-back of exactly this action with a yes."""
    if box.session.caller_turns <= pending.after_caller_turn:
        raise Refusal(
            "The caller has not answered the read-back yet. Read it back and wait for them: "
            + pending.readback
        )
    if box.session.caller_turns > pending.after_caller_turn + 1:
        # The yes must answer the read-back itself: a yes to whatever came after it (a
        # question answered, new times offered) is not a yes to this write.
        box.session.pending = None
        raise Refusal(
            f"The caller has said more since the read-back, so nothing was {action}. Read it "
            "back again and wait for their answer: " + pending.readback
        )
    reply = classify_reply(box.session.last_caller_text(), pending.readback)
    if reply is not Reply.YES:
        box.session.pending = None
        raise Refusal(
            f"The caller did not clearly say yes, so nothing was {action}. Ask what they "
            "would like instead.",
            reply=reply.value,
        )


def confirming(
    box: Toolbox,
    action: str,
    confirmed: bool,
    *,
    slot_ref: str | None = None,
    appointment_ref: str | None = None,
) -> bool:
    """Whether this call answers the read-back already given for exactly this write."""
    pending = box.session.pending
    return confirmed and pending is not None and pending.matches(action, slot_ref, appointment_ref)


async def check_pick(box: Toolbox, ref: str, *, moving: bool = False) -> None:
    """The ref must be the one the caller's own words picked from what they were offered.

    A model may hand back `s1` when the caller said "the Thursday one": what the caller named
    (day, date, time, practitioner, type, place) decides, a position only when nothing else
    does, and words that fit another option, several or none are refused with the reason.
    Each caller turn since the choices were put is read on its own.
    """
    session = box.session
    pending = session.pending
    if ref not in session.choices or (
        pending and ref in (pending.slot_ref, pending.appointment_ref)
    ):
        return  # not among the latest choices, or already checked when it was read back
    own_appointment = ref in session.appointments and ref not in session.offers
    turns = session.caller_texts_since(session.choices_at_turn)
    if moving and own_appointment:  # "the 12:45 one, to Friday": only the first half names it
        turns = [split_move(text, box.clinic.today())[0] for text in turns]
    items = [session.offers.get(r) or session.appointments[r] for r in session.choices]
    heard = [choice for choice in await caller_picks(box, turns, items) if choice.heard]
    if not heard:
        return
    # Offers: the caller's latest pick counts ("the Tuesday one", "the 4 then"). Their own
    # appointments: the first, since what follows is about the new time.
    choice = heard[0] if own_appointment else heard[-1]
    if choice.index is not None and session.choices[choice.index] == ref:
        return
    if choice.index is not None:
        meant = session.choices[choice.index]
        raise Refusal(
            f"The caller chose {meant} ({await describe_slot(box, items[choice.index])}), "
            f"not {ref}. Use {meant}.",
            meant=meant,
        )
    if ref in [session.choices[i] for i in choice.fits]:
        return
    named = [f"{r}: {await describe_slot(box, items[i])}" for i, r in enumerate(session.choices)]
    raise Refusal(
        f"What the caller said does not pick {ref}. Ask which they mean: " + join_words(named) + "."
    )


def readback_gate(
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
    if pending is not None and confirming(
        box, action, confirmed, slot_ref=slot_ref, appointment_ref=appointment_ref
    ):
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


def offered_slot(box: Toolbox, ref: str) -> Slot:
    slot = box.session.offers.get(ref)
    if slot is None:
        raise Refusal(
            "That slot was not offered in this call. Call find_availability and offer times "
            "first; use a ref it returned."
        )
    return slot


def own_appointment(box: Toolbox, ref: str) -> Appointment:
    appointment = box.session.appointments.get(ref)
    if appointment is None or appointment.patient_id != require_patient(box):
        raise Refusal("Unknown appointment ref. Call list_appointments for the caller's refs.")
    return appointment


async def no_clash(box: Toolbox, patient_id: str, slot: Slot) -> None:
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


async def settled(box: Toolbox, write: Callable[[], Awaitable[T]]) -> T:
    """The write's result once the PMS has confirmed it, asking again if it could not say.

    `write` repeats exactly the same request with the same idempotency key, which the adapter
    contract answers with the first attempt's result if that one landed, never a second
    appointment or patient. So after `WriteOutcomeUnknown` it is sent again after each of the
    clinic's `write_recheck_pauses` (while within `RECHECK_DEADLINE_S`): a confirmation is the
    outcome; an answer such as "that slot is taken" is the truth about the first attempt too;
    a retry that could not reach the PMS leaves the first attempt's outcome unknown. Only when
    every retry has left it unknown does the `WriteOutcomeUnknown` go on to the caller.
    """
    try:
        return await write()
    except WriteOutcomeUnknown as exc:
        unknown = exc
    started = time.monotonic()
    for attempt, pause in enumerate(box.clinic.write_recheck_pauses, start=1):
        if time.monotonic() - started > RECHECK_DEADLINE_S:
            break
        await anyio.sleep(pause)
        try:
            result = await write()
        except PMSUnavailable as exc:  # WriteOutcomeUnknown too: still no answer
            logger.warning(
                "write outcome still unknown",
                extra={"call_id": box.session.id, "recheck": attempt, "error": type(exc).__name__},
            )
            continue
        logger.info(
            "write confirmed on recheck", extra={"call_id": box.session.id, "recheck": attempt}
        )
        return result
    raise unknown
