"""Who is calling: identifying the caller by name and date of birth, registering a new patient."""

from __future__ import annotations

from pms_adapters.types import NewPatient, PatientQuery
from receptionist.agent.dates import DateNotUnderstood, DateQuestion, parse_date_of_birth
from receptionist.agent.toolbox import Refusal, Toolbox, ToolResult
from receptionist.agent.tools.arguments import IdentifyCaller, RegisterPatient
from receptionist.agent.tools.guards import idempotency_key

MAX_IDENTIFY_ATTEMPTS = 3


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
