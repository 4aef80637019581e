"""Who is calling: identifying the caller by name and date of birth, registering a new patient.

Both count failed tries and lock out past a limit, and both ask again for a date of birth that
looks misheard against a patient on the number calling (`tools.identity`). A registration is
written only after the caller said yes to a read-back of the name and date of birth: the one
`identify_caller` gives when it finds no record, or the one `register_patient` gives itself.
"""

from __future__ import annotations

from datetime import date

from pms_adapters.types import NewPatient, PatientQuery
from receptionist.agent.dates import DateNotUnderstood, DateQuestion, parse_date_of_birth
from receptionist.agent.lockout import MAX_CALL_FAILURES
from receptionist.agent.toolbox import Refusal, Toolbox, ToolResult
from receptionist.agent.tools.arguments import IdentifyCaller, RegisterPatient
from receptionist.agent.tools.guards import idempotency_key, settled
from receptionist.agent.tools.identity import (
    RECHECK,
    STAFF,
    ask_to_register,
    birth_date_check,
    check_not_locked,
    count_failure,
    failed,
    lockout_text,
    registration_gate,
)

MAX_IDENTIFY_ATTEMPTS = MAX_CALL_FAILURES


def _birth_date(box: Toolbox, said: str) -> date:
    try:
        return parse_date_of_birth(said, today=box.clinic.today())
    except (DateQuestion, DateNotUnderstood):
        raise Refusal("Ask the caller for their date of birth again, day month and year.") from None


def several() -> ToolResult:
    """More than one record could be the caller: a person sorts it out, never a guess."""
    return ToolResult(
        False,
        "More than one record matches. Offer to transfer or take a message.",
        {"matches": "several"},
    )


def _doubt(check: str) -> ToolResult:
    """The birth date looks misheard: ask it again, or (said again) leave it to a person."""
    if check == "recheck":
        return ToolResult(False, RECHECK, {"matches": 0, "recheck": True})
    return ToolResult(False, STAFF, {"matches": 0, "needs_staff": True})


async def identify_caller(box: Toolbox, args: IdentifyCaller) -> ToolResult:
    session = box.session
    check_not_locked(box)
    born = _birth_date(box, args.date_of_birth)
    name = " ".join(args.full_name.split())
    if len(name.split()) < 2:
        raise Refusal("Ask for the caller's first and last name.")
    candidates = await box.clinic.pms.find_patients(PatientQuery(name=name, date_of_birth=born))
    if len(candidates) > 1 and session.caller_number:
        by_phone = [p for p in candidates if session.caller_number in p.phones]
        candidates = by_phone or candidates
    if len(candidates) > 1:
        return await failed(
            box,
            several(),
        )
    if not candidates:
        check = await birth_date_check(box, name, born)
        if check != "ok":
            return await failed(box, _doubt(check))
        if await count_failure(box):
            return ToolResult(False, lockout_text(box), {"matches": 0, "locked": True})
        readback = ask_to_register(box, name, born)
        return ToolResult(
            False,
            "No patient record matches that name and date of birth. Check the spelling; if "
            f'they are new to the clinic, read back "{readback}" and ask if that is right and '
            "this is their first visit; on a yes, call register_patient with those details.",
            {"matches": 0, "readback": readback},
        )
    patient = candidates[0]
    session.patient = patient
    session.patient_is_new = False
    if session.pending is not None and session.pending.action == "register":
        session.pending = None  # found after all: nothing to register
    return ToolResult(
        True,
        f"Identified: {patient.first_name}. You may now discuss their appointments.",
        {"patient_id": patient.id, "first_name": patient.first_name},
    )


async def register_patient(box: Toolbox, args: RegisterPatient) -> ToolResult:
    session = box.session
    if session.patient is not None:
        return ToolResult(True, f"Already identified as {session.patient.first_name}.")
    check_not_locked(box)
    born = _birth_date(box, args.date_of_birth)
    name = " ".join(f"{args.first_name} {args.last_name}".split())
    existing = await box.clinic.pms.find_patients(PatientQuery(name=name, date_of_birth=born))
    if len(existing) > 1 and session.caller_number:
        existing = [p for p in existing if session.caller_number in p.phones] or existing
    if len(existing) == 1:
        session.patient = existing[0]
        session.pending = None
        return ToolResult(
            True,
            f"They are already a patient; identified as {existing[0].first_name}.",
            {"patient_id": existing[0].id, "existing": True},
        )
    if existing:
        # Never a duplicate of someone who may be the caller: a person sorts it out.
        return await failed(
            box,
            several(),
        )
    check = await birth_date_check(box, name, born)
    if check != "ok":
        return await failed(box, _doubt(check))
    ask = registration_gate(box, name, born)
    if ask is not None:
        return ask
    phone = args.phone or session.caller_number
    new = NewPatient(
        first_name=args.first_name,
        last_name=args.last_name,
        date_of_birth=born,
        phones=(phone,) if phone else (),
    )
    key = idempotency_key(box, "register", new.model_dump_json())
    patient = await settled(box, lambda: box.clinic.pms.create_patient(new, key))
    session.pending = None
    session.patient = patient
    session.patient_is_new = True
    return ToolResult(
        True,
        f"Registered {patient.first_name} as a new patient.",
        {"patient_id": patient.id, "first_name": patient.first_name, "existing": False},
    )
