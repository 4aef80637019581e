"""Finding and registering patients.

Phones are compared in E.164, parsed with `phonenumbers` using the clinic's country as the
default region, so "0412 345 678" and "+61 412 345 678" are the same number. Names are compared
case- and accent-folded, and a small misspelling is tolerated (one edit in a name of up to six
letters, two in a longer one; names of three letters or fewer must match exactly). An edit is an
insertion, deletion, substitution or a swap of two neighbouring letters ("Olivai" is one edit
from "Olivia"), the optimal-string-alignment distance.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import phonenumbers
from rapidfuzz.distance import OSA
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from diary.errors import DuplicatePatient, InvalidRequest, NotFound
from diary.models import Clinic, Patient, PatientPhone

_NOT_LETTERS = re.compile(r"[^a-z0-9' ]+")
# Letters that Unicode does not decompose into a base letter plus an accent.
_UNDECOMPOSABLE = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
        "ħ": "h",
        "Ħ": "H",
        "’": "'",
        "‘": "'",
    }
)


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: 'José  O'Brien-Smith' -> "jose o'brien smith"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_LETTERS.sub(" ", stripped).split())


def has_letters(text: str) -> bool:
    """True when `text` has at least one letter once folded (a name, not just punctuation)."""
    return any(c.isalpha() for c in fold(text))


def normalise_phone(raw: str, region: str) -> str:
    """E.164 for a phone number as a caller or clinic wrote it; InvalidRequest if it is not one."""
    try:
        parsed = phonenumbers.parse(raw, region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidRequest("that is not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidRequest("that is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _tolerance(token: str) -> int:
    if len(token) <= 3:
        return 0
    return 1 if len(token) <= 6 else 2


def _token_distance(query: str, name_tokens: list[str]) -> int | None:
    """Best edit distance from one query token to any of a patient's name tokens, if close."""
    best: int | None = None
    for token in name_tokens:
        if len(query) == 1 and token.startswith(query):  # an initial
            return 0
        limit = _tolerance(max(query, token, key=len))
        distance = OSA.distance(query, token, score_cutoff=limit)
        if distance <= limit and (best is None or distance < best):
            best = distance
    return best


def _total_distance(tokens: list[str], name_tokens: list[str]) -> int | None:
    if not tokens or not name_tokens:
        return None
    total = 0
    for token in tokens:
        distance = _token_distance(token, name_tokens)
        if distance is None:
            return None
        total += distance
    return total


def name_distance(query: str, patient: Patient) -> int | None:
    """How far a spoken name is from the patient's, or None when it is not a match."""
    name_tokens = f"{patient.first_name_key} {patient.last_name_key}".split()
    return _total_distance(fold(query).split(), name_tokens)


def spoken_name_distance(query: str, first_name: str, last_name: str) -> int | None:
    """The same measure for any record with a first and last name (the Cliniko and Nookal
    adapters match their systems' patients with it, so every PMS matches names alike)."""
    tokens = [t for t in fold(query).split() if has_letters(t)]
    return _total_distance(tokens, f"{fold(first_name)} {fold(last_name)}".split())


@dataclass(frozen=True, slots=True)
class PatientMatch:
    """A patient found by a search, with how closely the name matched (0 is exact)."""

    patient: Patient
    name_distance: int


def find_patients(
    session: Session,
    clinic_id: int,
    *,
    phone: str | None = None,
    name: str | None = None,
    date_of_birth: date | None = None,
    limit: int = 10,
) -> list[PatientMatch]:
    """Patients matching every criterion given (at least one is required), best first."""
    tokens = [t for t in fold(name).split() if has_letters(t)] if name else []
    if phone is None and not tokens and date_of_birth is None:
        raise InvalidRequest("give a phone number, a name or a date of birth to search by")
    clinic = session.get(Clinic, clinic_id)
    if clinic is None:
        raise NotFound("clinic", clinic_id)
    query = select(Patient).where(Patient.clinic_id == clinic_id)
    if phone is not None:
        e164 = normalise_phone(phone, clinic.country)
        query = query.where(
            Patient.id.in_(select(PatientPhone.patient_id).where(PatientPhone.e164 == e164))
        )
    if date_of_birth is not None:
        query = query.where(Patient.date_of_birth == date_of_birth)
    if tokens and phone is None and date_of_birth is None:
        # Narrow in the database to names with a word starting with one of the query words'
        # initials ("jones" finds "smith jones"); the tolerant comparison runs below.
        initials = {t[0] for t in tokens}
        query = query.where(
            or_(
                *[
                    condition
                    for i in initials
                    for column in (Patient.first_name_key, Patient.last_name_key)
                    for condition in (column.startswith(i), column.contains(" " + i))
                ]
            )
        )
    matches: list[PatientMatch] = []
    for patient in session.scalars(query.order_by(Patient.id)):
        distance = name_distance(" ".join(tokens), patient) if tokens else 0
        if distance is not None:
            matches.append(PatientMatch(patient, distance))
    matches.sort(key=lambda m: (m.name_distance, m.patient.id))
    return matches[:limit]


def create_patient(
    session: Session,
    clinic_id: int,
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date | None = None,
    phones: list[str] | None = None,
    email: str | None = None,
    allow_duplicate: bool = False,
) -> Patient:
    """Register a patient; a close name with the same birth date or phone is a DuplicatePatient."""
    first, last = first_name.strip(), last_name.strip()
    if not has_letters(first) or not has_letters(last):
        raise InvalidRequest("a patient needs a first and a last name")
    clinic = session.get(Clinic, clinic_id, with_for_update=True)  # one registration at a time
    if clinic is None:
        raise NotFound("clinic", clinic_id)
    numbers = list(dict.fromkeys(normalise_phone(p, clinic.country) for p in phones or []))
    if not allow_duplicate:
        full_name = f"{first} {last}"
        candidates: list[PatientMatch] = []
        if date_of_birth is not None:
            candidates += find_patients(
                session, clinic_id, name=full_name, date_of_birth=date_of_birth
            )
        for number in numbers:
            candidates += [
                m
                for m in find_patients(session, clinic_id, phone=number, name=full_name)
                if date_of_birth is None or m.patient.date_of_birth in (None, date_of_birth)
            ]
        if candidates:
            raise DuplicatePatient(candidates[0].patient.id)
    patient = Patient(
        clinic_id=clinic_id,
        first_name=first,
        last_name=last,
        first_name_key=fold(first),
        last_name_key=fold(last),
        date_of_birth=date_of_birth,
        email=email or None,
        phones=[PatientPhone(e164=n) for n in numbers],
    )
    session.add(patient)
    session.flush()
    return patient
