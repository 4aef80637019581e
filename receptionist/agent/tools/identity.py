"""Guarding who the caller is: the lockout after failed tries, a phone match whose birth date
was probably misheard, and the read-back a registration needs before it is written.

A caller whose number is on a patient's record but whose date of birth does not match it was
most likely misheard (a day and month swapped, a digit off, "eighty" for "ninety"): they are
asked to confirm it once more instead of being registered a second time. Saying the same date
again is believed. Every failed identification counts, per call and per number calling
(`receptionist.agent.lockout`); past either limit identification stops and the caller is
offered a person or a message.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Literal

from pms_adapters.types import Patient, PatientQuery
from receptionist.agent import policy
from receptionist.agent.confirm import Reply, classify_reply
from receptionist.agent.lockout import MAX_CALL_FAILURES, MAX_NUMBER_FAILURES
from receptionist.agent.matching import fold
from receptionist.agent.session import PendingConfirmation
from receptionist.agent.toolbox import Refusal, Toolbox, ToolResult

logger = logging.getLogger(__name__)

# What the caller may say back to "Is that right, and is it your first visit?" that is a yes.
FIRST_VISIT = (
    "Is that right, and is this your first visit with us? Yes, that's me, I'm new, a new "
    "patient, my first time, first visit here, never been before."
)
NEAR_DAYS = 7  # birth dates this close are one misheard date, not two people

RECHECK = (
    "Not registered, not identified. Ask the caller to say their date of birth again, day, "
    "month and year, then try again with what they say. Don't mention any other record."
)
STAFF = (
    "Not registered, not identified: these details are close to a record the clinic holds, so "
    "a person must check them. Don't register them or say why; apologise and offer to put "
    "them through to the team (transfer_to_human) or to take a message."
)


def near_miss(said: date, on_file: date) -> bool:
    """Whether `said` is most likely a mishearing of `on_file` (and not the same date)."""
    if said == on_file:
        return False
    if abs((said - on_file).days) <= NEAR_DAYS:
        return True
    if (said.day, said.month) == (on_file.day, on_file.month):
        return True  # the year misheard
    if (said.day, said.month, said.year) == (on_file.month, on_file.day, on_file.year):
        return True  # day and month swapped
    spoken, filed = (f"{d.day:02d}{d.month:02d}{d.year:04d}" for d in (said, on_file))
    return sum(a != b for a, b in zip(spoken, filed, strict=True)) == 1  # one digit off


def same_name(patient: Patient, full_name: str) -> bool:
    return fold(f"{patient.first_name} {patient.last_name}") == fold(full_name)


def registration_request(full_name: str, born: date) -> str:
    """What a registration read-back names, folded: a yes to it registers exactly this."""
    return f"{fold(full_name)}|{born.isoformat()}"


def say_birth_date(born: date) -> str:
    return f"{born.day} {born:%B} {born.year}"


def lockout_text(box: Toolbox) -> str:
    """Too many failed tries: a person, if one can take the call, or a message."""
    if policy.transfer_refusal(box.clinic) is None:
        offer = "offer to put them through to the team (transfer_to_human) or to take a message"
    else:
        offer = "offer to take a message for the team"
    return (
        "Too many attempts to identify the caller, so no more are allowed on this call. "
        f"Don't try again or say why; apologise and {offer}."
    )


def check_not_locked(box: Toolbox) -> None:
    """Identification refuses once this call or this number has failed too often."""
    session = box.session
    if session.identity_locked or session.identify_failures >= MAX_CALL_FAILURES:
        session.identity_locked = True
        raise Refusal(lockout_text(box), locked=True)


async def count_failure(box: Toolbox) -> bool:
    """Count a failed identification, per call and per number; True if it now locks out."""
    session = box.session
    session.identify_failures += 1
    locked = session.identify_failures >= MAX_CALL_FAILURES
    number = session.caller_number
    if number:
        try:
            locked = await box.clinic.count_failures(number) >= MAX_NUMBER_FAILURES or locked
        except Exception as exc:  # the per-call limit still holds; the shared count is lost
            logger.warning(
                "could not count a failed identification",
                extra={"call_id": session.id, "error": type(exc).__name__},
            )
    if locked:
        session.identity_locked = True
        session.pending = None
    return locked


async def failed(box: Toolbox, result: ToolResult) -> ToolResult:
    """Count a failed identification: `result`, or past a limit the lockout instead."""
    if await count_failure(box):
        return ToolResult(False, lockout_text(box), {**result.data, "locked": True})
    return result


async def birth_date_check(
    box: Toolbox, full_name: str, born: date
) -> Literal["ok", "recheck", "staff"]:
    """Whether a patient on the number calling makes this date of birth look misheard.

    The first time, the caller is asked to say it again (`recheck`). Said again, the date
    stands (`ok`), unless a patient of the same name is on the number: registering the caller
    would then most likely make a second record of them, so a person checks (`staff`).
    """
    session = box.session
    if not session.caller_number:
        return "ok"
    on_file = await box.clinic.pms.find_patients(PatientQuery(phone=session.caller_number))
    others = [p for p in on_file if p.date_of_birth != born]
    namesake = any(same_name(p, full_name) for p in others)
    near = any(p.date_of_birth and near_miss(born, p.date_of_birth) for p in others)
    if not (namesake or near):
        return "ok"
    said = registration_request(full_name, born)
    if said not in session.rechecked_births:
        session.rechecked_births.add(said)
        return "recheck"
    return "staff" if namesake else "ok"


def ask_to_register(box: Toolbox, full_name: str, born: date) -> str:
    """Put the registration read-back to the caller: their yes to it is what lets it write."""
    readback = f"{full_name}, born {say_birth_date(born)}"
    box.session.pending = PendingConfirmation(
        action="register",
        slot_ref=None,
        appointment_ref=None,
        readback=readback,
        after_caller_turn=box.session.caller_turns,
        request=registration_request(full_name, born),
    )
    return readback


def registration_gate(box: Toolbox, full_name: str, born: date) -> ToolResult | None:
    """None once the caller said yes to a read-back of exactly this name and date of birth;
    otherwise (the first time, or after anything but that yes) the read-back to give."""
    session = box.session
    pending = session.pending
    request = registration_request(full_name, born)
    if pending is not None and pending.matches("register", None, None, request):
        if session.caller_turns == pending.after_caller_turn:
            raise Refusal(
                "Not registered yet: the caller has not answered the read-back. Read it back "
                f"and wait for them: {pending.readback}. Is that right?"
            )
        answered = session.caller_turns == pending.after_caller_turn + 1
        reply = classify_reply(session.last_caller_text(), f"{pending.readback}. {FIRST_VISIT}")
        if answered and reply is Reply.YES:
            return None
        if answered and reply is Reply.NO:
            session.pending = None
            raise Refusal(
                "The caller said no, so nothing was registered. Ask whether they have been "
                "before, or for their name and date of birth again.",
                reply=reply.value,
            )
    readback = ask_to_register(box, full_name, born)
    return ToolResult(
        False,
        f"Not registered yet. Read back the name and date of birth: {readback}. Ask if that is "
        "right and if this is their first visit; if they say yes, call register_patient again "
        "with the same details.",
        {"needs_confirmation": "register", "readback": readback},
    )
