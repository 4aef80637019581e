"""Patients: find by phone, name and date of birth; register with duplicate detection."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from diary import (
    Diary,
    DiaryError,
    DuplicatePatient,
    InvalidRequest,
    NotFound,
    PatientMatch,
)
from diary.db import write_session
from diary.models import Clinic, Patient

# Demo patients (diary/seed.py).
OLIVIA_DOB = date(1988, 3, 14)
OLIVIA_PHONE = "0412 345 678"
JACK_PHONE = "0413 222 901"
JOSE_DOB = date(1969, 7, 21)
JOSE_PHONE = "0414 818 272"
ZOE_DOB = date(1994, 1, 9)
ZOE_PHONE = "0415 600 313"
LIAM_PHONE = "0416 171 802"
MIA_PHONE = "0417 450 118"
AVA_PHONE = "0429 516 207"
HENRY_PHONE = "0426 388 404"
CHARLOTTE_PHONE = "0419 264 770"
ISLA_PHONE = "0423 640 251"


def count_patients(engine: Engine, clinic_id: int | None = None) -> int:
    query = select(func.count()).select_from(Patient)
    if clinic_id is not None:
        query = query.where(Patient.clinic_id == clinic_id)
    with Session(engine) as session:
        return session.scalar(query) or 0


def add_clinic(engine: Engine, *, country: str = "AU", name: str = "Other Physio") -> int:
    with write_session(engine) as session:
        clinic = Clinic(name=name, country=country, timezone="Australia/Sydney")
        session.add(clinic)
        session.flush()
        return clinic.id


def ids(matches: list[PatientMatch]) -> list[int]:
    return [m.patient.id for m in matches]


def by_phone(diary: Diary, clinic_id: int, phone: str) -> int:
    """The id of the one patient with this phone."""
    (match,) = diary.find_patients(clinic_id, phone=phone)
    return match.patient.id


@pytest.fixture
def olivia(diary: Diary, demo: int) -> int:
    return by_phone(diary, demo, OLIVIA_PHONE)


@pytest.fixture
def other_clinic(engine: Engine, demo: int) -> int:
    return add_clinic(engine)


# -- phone --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "0412 345 678",
        "0412345678",
        "+61412345678",
        "+61 412 345 678",
        "(04) 1234 5678",
        "04 1234 5678",
        "0412-345-678",
        "0412.345.678",
        "61412345678",
        "0011 61 412 345 678",
        "+61 (0) 412 345 678",
    ],
)
def test_phone_matches_in_any_spelling(diary: Diary, demo: int, olivia: int, spelling: str) -> None:
    matches = diary.find_patients(demo, phone=spelling)
    assert ids(matches) == [olivia]
    assert matches[0].name_distance == 0
    assert matches[0].patient.first_name == "Olivia"
    assert [p.e164 for p in matches[0].patient.phones] == ["+61412345678"]


def test_another_patients_phone_does_not_match(diary: Diary, demo: int, olivia: int) -> None:
    jack = diary.find_patients(demo, phone=JACK_PHONE)
    assert [m.patient.last_name for m in jack] == ["Williams"]
    assert olivia not in ids(jack)
    assert diary.find_patients(demo, phone="0499 999 999") == []
    assert diary.find_patients(demo, phone="+44 7700 900123") == []


@pytest.mark.parametrize(
    "garbage", ["hello", "", "   ", "12", "+61 412", "0412 345 678 999 999", "not a phone 0412"]
)
def test_garbage_phone_is_invalid(diary: Diary, demo: int, garbage: str) -> None:
    with pytest.raises(InvalidRequest):
        diary.find_patients(demo, phone=garbage)


def test_a_shared_phone_returns_everyone_on_it(diary: Diary, demo: int, olivia: int) -> None:
    son = diary.create_patient(
        demo,
        first_name="Ethan",
        last_name="Smith",
        date_of_birth=date(2015, 6, 1),
        phones=["+61 412 345 678"],
    )
    assert ids(diary.find_patients(demo, phone=OLIVIA_PHONE)) == [olivia, son.id]
    assert ids(diary.find_patients(demo, phone=OLIVIA_PHONE, name="Ethan")) == [son.id]
    assert ids(diary.find_patients(demo, phone=OLIVIA_PHONE, name="olivia smith")) == [olivia]


# -- name ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "phone"),
    [
        ("Olivia Smith", OLIVIA_PHONE),
        ("OLIVIA SMITH", OLIVIA_PHONE),
        ("olivia smith", OLIVIA_PHONE),
        ("  Olivia   Smith  ", OLIVIA_PHONE),
        ("Jose Garcia", JOSE_PHONE),
        ("JOSÉ GARCÍA", JOSE_PHONE),
        ("zoe muller", ZOE_PHONE),
        ("Zoë Müller", ZOE_PHONE),
        ("liam o'connor", LIAM_PHONE),
        ("Liam O’Connor", LIAM_PHONE),  # a typographic apostrophe
        ("Smith Olivia", OLIVIA_PHONE),  # surname first
        ("garcia jose", JOSE_PHONE),
    ],
)
def test_case_accent_and_order_do_not_count(
    diary: Diary, demo: int, query: str, phone: str
) -> None:
    matches = diary.find_patients(demo, name=query)
    assert matches, query
    assert matches[0].patient.id == by_phone(diary, demo, phone)
    assert matches[0].name_distance == 0


@pytest.mark.parametrize(
    ("query", "phone"),
    [
        ("Olivia Smyth", OLIVIA_PHONE),  # one substitution in a five-letter name
        ("Olivya Smith", OLIVIA_PHONE),  # one substitution in a six-letter name
        ("Olivia Smit", OLIVIA_PHONE),  # one deletion
        ("Liam OConnor", LIAM_PHONE),  # the apostrophe left out
        ("Liam O Connor", LIAM_PHONE),  # ... or spoken as a space
        ("Zoe Mueller", ZOE_PHONE),  # the German transliteration of ü
        ("Charlote Tailor", CHARLOTTE_PHONE),
        ("Isla Tomson", ISLA_PHONE),  # two edits in an eight-letter name
        ("Ava Hal", AVA_PHONE),
    ],
)
def test_a_small_misspelling_still_matches(diary: Diary, demo: int, query: str, phone: str) -> None:
    matches = diary.find_patients(demo, name=query)
    assert matches, query
    assert matches[0].patient.id == by_phone(diary, demo, phone)
    assert matches[0].name_distance > 0


@pytest.mark.parametrize(
    ("query", "phone"),
    [
        ("Olivia Jones", OLIVIA_PHONE),  # a different surname
        ("Olyvya Smith", OLIVIA_PHONE),  # two edits in a six-letter name
        ("Olivia Smithers", OLIVIA_PHONE),  # three edits in a longer one
        ("Mya Nguyen", MIA_PHONE),  # names of three letters must match exactly
        ("Eva Hall", AVA_PHONE),
        ("Henry Li", HENRY_PHONE),
        ("Olivia Smith Taylor", OLIVIA_PHONE),  # every word said must match
    ],
)
def test_a_big_difference_does_not_match(diary: Diary, demo: int, query: str, phone: str) -> None:
    assert by_phone(diary, demo, phone) not in ids(diary.find_patients(demo, name=query))


@pytest.mark.parametrize(
    ("query", "expected"),
    [("Olivia Smith", ["Smith", "Smyth"]), ("Olivia Smyth", ["Smyth", "Smith"])],
)
def test_the_exact_match_ranks_first(
    diary: Diary, demo: int, olivia: int, query: str, expected: list[str]
) -> None:
    smyth = diary.create_patient(
        demo, first_name="Olivia", last_name="Smyth", date_of_birth=date(1990, 1, 1)
    )
    matches = diary.find_patients(demo, name=query)
    assert [m.patient.last_name for m in matches] == expected
    assert [m.name_distance for m in matches] == [0, 1]
    assert set(ids(matches)) == {olivia, smyth.id}


def test_the_limit_keeps_the_best(diary: Diary, demo: int, olivia: int) -> None:
    diary.create_patient(demo, first_name="Olivia", last_name="Smyth")
    assert ids(diary.find_patients(demo, name="Olivia Smith", limit=1)) == [olivia]


def test_surname_alone_finds_everyone_with_it(diary: Diary, demo: int, olivia: int) -> None:
    ethan = diary.create_patient(demo, first_name="Ethan", last_name="Smith")
    assert ids(diary.find_patients(demo, name="Smith")) == [olivia, ethan.id]
    assert ids(diary.find_patients(demo, name="GARCIA")) == [by_phone(diary, demo, JOSE_PHONE)]


def test_a_word_of_a_compound_surname_finds_the_patient(diary: Diary, demo: int) -> None:
    dob = date(2000, 1, 1)
    patient = diary.create_patient(
        demo, first_name="Ana", last_name="Smith-Jones", date_of_birth=dob
    )
    # With a date of birth the name comparison finds her by either surname...
    assert ids(diary.find_patients(demo, name="Jones", date_of_birth=dob)) == [patient.id]
    # ...and a name alone must find at least what it finds with the date of birth added.
    assert patient.id in ids(diary.find_patients(demo, name="Jones"))
    assert patient.id in ids(diary.find_patients(demo, name="Ana Jones"))


@pytest.mark.parametrize(
    ("first", "last", "spoken", "first_key"),
    [
        ("Søren", "Kierkegaard", "Soren Kierkegaard", "soren"),
        ("Bjørn", "Larsen", "Bjorn Larsen", "bjorn"),
        ("Łukasz", "Nowak", "Lukasz Nowak", "lukasz"),
    ],
)
def test_letters_with_a_stroke_fold_like_accents(
    diary: Diary, demo: int, first: str, last: str, spoken: str, first_key: str
) -> None:
    patient = diary.create_patient(demo, first_name=first, last_name=last)
    assert patient.first_name_key == first_key
    matches = diary.find_patients(demo, name=spoken)
    assert ids(matches)[:1] == [patient.id]
    assert matches[0].name_distance == 0


# -- date of birth and combinations ------------------------------------------------------


def test_date_of_birth_alone(diary: Diary, demo: int, olivia: int) -> None:
    assert ids(diary.find_patients(demo, date_of_birth=OLIVIA_DOB)) == [olivia]
    assert diary.find_patients(demo, date_of_birth=date(1901, 1, 1)) == []


def test_name_and_date_of_birth_narrow(diary: Diary, demo: int, olivia: int) -> None:
    namesake = diary.create_patient(
        demo, first_name="Olivia", last_name="Smith", date_of_birth=date(2012, 8, 8)
    )
    assert ids(diary.find_patients(demo, name="Olivia Smith")) == [olivia, namesake.id]
    both = diary.find_patients(demo, name="olivia smyth", date_of_birth=OLIVIA_DOB)
    assert ids(both) == [olivia]
    assert ids(diary.find_patients(demo, name="Olivia Smith", date_of_birth=date(2012, 8, 8))) == [
        namesake.id
    ]
    assert diary.find_patients(demo, name="Jack Williams", date_of_birth=OLIVIA_DOB) == []


def test_phone_and_name_combined(diary: Diary, demo: int, olivia: int) -> None:
    assert ids(diary.find_patients(demo, phone="+61412345678", name="Olivia Smith")) == [olivia]
    assert ids(diary.find_patients(demo, phone="+61412345678", name="smyth")) == [olivia]
    assert diary.find_patients(demo, phone="+61412345678", name="Jack Williams") == []
    assert (
        diary.find_patients(
            demo, phone="+61412345678", name="Olivia", date_of_birth=date(2000, 1, 1)
        )
        == []
    )


@pytest.mark.parametrize(
    "criteria", [{}, {"name": ""}, {"name": "   "}, {"name": None, "phone": None}]
)
def test_no_criteria_is_invalid(diary: Diary, demo: int, criteria: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        diary.find_patients(demo, **criteria)


@pytest.mark.parametrize("name", ["-", "?", "...", "—", "!!"])
def test_a_name_with_no_letters_is_no_criterion(diary: Diary, demo: int, name: str) -> None:
    # It must not turn into "no filter at all" and return the first ten patients.
    with pytest.raises(InvalidRequest):
        diary.find_patients(demo, name=name)


def test_find_in_an_unknown_clinic(diary: Diary, demo: int) -> None:
    with pytest.raises(NotFound):
        diary.find_patients(demo + 999, name="Olivia Smith")


# -- create -------------------------------------------------------------------------------


def test_create_folds_keys_and_stores_e164_phones(diary: Diary, demo: int) -> None:
    patient = diary.create_patient(
        demo,
        first_name="  Renée ",
        last_name="García-López",
        date_of_birth=date(1991, 4, 5),
        phones=["0400 111 222", "+61 400 111 222", "(02) 9876 5432"],
        email="renee@example.com",
    )
    assert patient.id is not None
    assert patient.clinic_id == demo
    assert (patient.first_name, patient.last_name) == ("Renée", "García-López")
    assert (patient.first_name_key, patient.last_name_key) == ("renee", "garcia lopez")
    assert [p.e164 for p in patient.phones] == ["+61400111222", "+61298765432"]
    assert patient.email == "renee@example.com"

    stored = diary.patient(demo, patient.id)
    assert (stored.first_name, stored.last_name_key) == ("Renée", "garcia lopez")
    assert stored.date_of_birth == date(1991, 4, 5)
    assert sorted(p.e164 for p in stored.phones) == ["+61298765432", "+61400111222"]
    assert ids(diary.find_patients(demo, phone="02 9876 5432")) == [patient.id]
    assert ids(diary.find_patients(demo, name="renee garcia lopez")) == [patient.id]


def test_create_with_only_the_required_fields(diary: Diary, demo: int) -> None:
    patient = diary.create_patient(demo, first_name="Kai", last_name="Ng", email="")
    stored = diary.patient(demo, patient.id)
    assert stored.date_of_birth is None
    assert stored.phones == []
    assert stored.email is None


@pytest.mark.parametrize(
    ("first", "last", "dob", "existing_phone"),
    [
        ("Olivia", "Smith", OLIVIA_DOB, OLIVIA_PHONE),
        ("OLIVIA", "smith", OLIVIA_DOB, OLIVIA_PHONE),
        ("Olivia", "Smyth", OLIVIA_DOB, OLIVIA_PHONE),
        ("Olivya", "Smith", OLIVIA_DOB, OLIVIA_PHONE),
        ("Jose", "Garcia", JOSE_DOB, JOSE_PHONE),
        ("zoe", "MULLER", ZOE_DOB, ZOE_PHONE),
    ],
)
def test_same_name_and_date_of_birth_is_a_duplicate(
    engine: Engine,
    diary: Diary,
    demo: int,
    first: str,
    last: str,
    dob: date,
    existing_phone: str,
) -> None:
    existing = by_phone(diary, demo, existing_phone)
    before = count_patients(engine)
    with pytest.raises(DuplicatePatient) as raised:
        diary.create_patient(demo, first_name=first, last_name=last, date_of_birth=dob)
    assert raised.value.existing_patient_id == existing
    assert count_patients(engine) == before


def test_a_second_create_of_a_new_patient_is_a_duplicate(
    engine: Engine, diary: Diary, demo: int
) -> None:
    first = diary.create_patient(
        demo, first_name="Renée", last_name="Dubois", date_of_birth=date(1991, 4, 5)
    )
    with pytest.raises(DuplicatePatient) as raised:
        diary.create_patient(
            demo, first_name="renee", last_name="DUBOIS", date_of_birth=date(1991, 4, 5)
        )
    assert raised.value.existing_patient_id == first.id
    assert count_patients(engine, demo) == 21


@pytest.mark.parametrize("phone", ["+61412345678", "0412-345-678"])
def test_same_phone_and_name_without_date_of_birth_is_a_duplicate(
    engine: Engine, diary: Diary, demo: int, olivia: int, phone: str
) -> None:
    before = count_patients(engine)
    with pytest.raises(DuplicatePatient) as raised:
        diary.create_patient(demo, first_name="Olivia", last_name="Smith", phones=[phone])
    assert raised.value.existing_patient_id == olivia
    assert count_patients(engine) == before


def test_same_phone_name_and_date_of_birth_is_a_duplicate(
    diary: Diary, demo: int, olivia: int
) -> None:
    with pytest.raises(DuplicatePatient) as raised:
        diary.create_patient(
            demo,
            first_name="Olivia",
            last_name="Smith",
            date_of_birth=OLIVIA_DOB,
            phones=[OLIVIA_PHONE],
        )
    assert raised.value.existing_patient_id == olivia


def test_allow_duplicate_creates_anyway(
    engine: Engine, diary: Diary, demo: int, olivia: int
) -> None:
    twin = diary.create_patient(
        demo,
        first_name="Olivia",
        last_name="Smith",
        date_of_birth=OLIVIA_DOB,
        phones=[OLIVIA_PHONE],
        allow_duplicate=True,
    )
    assert twin.id != olivia
    assert count_patients(engine, demo) == 21
    assert ids(diary.find_patients(demo, date_of_birth=OLIVIA_DOB)) == [olivia, twin.id]


@pytest.mark.parametrize("phones", [None, [], [OLIVIA_PHONE]])
def test_same_name_with_another_date_of_birth_is_not_a_duplicate(
    engine: Engine, diary: Diary, demo: int, olivia: int, phones: list[str] | None
) -> None:
    daughter = diary.create_patient(
        demo, first_name="Olivia", last_name="Smith", date_of_birth=date(2015, 2, 2), phones=phones
    )
    assert daughter.id != olivia
    assert count_patients(engine, demo) == 21


def test_another_name_on_the_same_phone_is_not_a_duplicate(
    diary: Diary, demo: int, olivia: int
) -> None:
    partner = diary.create_patient(
        demo, first_name="Noah", last_name="Smith", phones=[OLIVIA_PHONE]
    )
    assert partner.id != olivia


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("", "Smith"),
        ("   ", "Smith"),
        ("Olivia", ""),
        ("Olivia", " \t "),
        ("", ""),
        ("-", "Smith"),
        ("Olivia", "..."),
        ("'", "Smith"),
    ],
)
def test_a_patient_with_no_name_is_refused(
    engine: Engine, diary: Diary, demo: int, first: str, last: str
) -> None:
    before = count_patients(engine)
    with pytest.raises(InvalidRequest):
        diary.create_patient(
            demo,
            first_name=first,
            last_name=last,
            date_of_birth=date(2000, 1, 1),
            phones=["0400 000 001"],
        )
    assert count_patients(engine) == before
    assert diary.find_patients(demo, date_of_birth=date(2000, 1, 1)) == []


def test_create_in_an_unknown_clinic(engine: Engine, diary: Diary, demo: int) -> None:
    before = count_patients(engine)
    with pytest.raises(NotFound) as raised:
        diary.create_patient(demo + 999, first_name="Olivia", last_name="Smith")
    assert raised.value.kind == "clinic"
    assert count_patients(engine) == before


@pytest.mark.parametrize("phones", [["hello"], ["12"], ["0400 000 001", "not a number"]])
def test_an_invalid_phone_on_create_writes_nothing(
    engine: Engine, diary: Diary, demo: int, phones: list[str]
) -> None:
    before = count_patients(engine)
    with pytest.raises(InvalidRequest):
        diary.create_patient(
            demo,
            first_name="Ruby",
            last_name="Stone",
            date_of_birth=date(2000, 1, 1),
            phones=phones,
        )
    assert count_patients(engine) == before
    assert diary.find_patients(demo, name="Ruby Stone") == []


def test_errors_are_diary_errors() -> None:
    assert issubclass(DuplicatePatient, DiaryError)
    assert issubclass(InvalidRequest, DiaryError)
    assert issubclass(NotFound, DiaryError)


def test_concurrent_creates_of_one_patient_make_one(
    engine: Engine, diary: Diary, demo: int
) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[Patient | DiaryError] = []
    lock = threading.Lock()

    def register() -> None:
        barrier.wait()
        try:
            outcome: Patient | DiaryError = diary.create_patient(
                demo, first_name="Ruby", last_name="Stone", date_of_birth=date(2000, 1, 1)
            )
        except DiaryError as exc:
            outcome = exc
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    created = [o for o in outcomes if isinstance(o, Patient)]
    refused = [o for o in outcomes if isinstance(o, DuplicatePatient)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert refused[0].existing_patient_id == created[0].id
    assert count_patients(engine, demo) == 21


# -- clinics ------------------------------------------------------------------------------


def test_another_clinics_patients_are_never_returned(
    diary: Diary, demo: int, olivia: int, other_clinic: int
) -> None:
    # The same person registered at another clinic is not a duplicate there...
    elsewhere = diary.create_patient(
        other_clinic,
        first_name="Olivia",
        last_name="Smith",
        date_of_birth=OLIVIA_DOB,
        phones=[OLIVIA_PHONE],
    )
    # ...and each clinic only ever sees its own.
    for clinic, mine in ((demo, olivia), (other_clinic, elsewhere.id)):
        assert ids(diary.find_patients(clinic, phone=OLIVIA_PHONE)) == [mine]
        assert ids(diary.find_patients(clinic, name="Olivia Smith")) == [mine]
        assert ids(diary.find_patients(clinic, name="Smith")) == [mine]
        assert ids(diary.find_patients(clinic, date_of_birth=OLIVIA_DOB)) == [mine]
    assert diary.find_patients(other_clinic, phone=JACK_PHONE) == []
    assert diary.find_patients(other_clinic, name="Jack Williams") == []
    with pytest.raises(NotFound):
        diary.patient(other_clinic, olivia)
    with pytest.raises(NotFound):
        diary.patient(demo, elsewhere.id)


def test_duplicates_are_only_looked_for_in_the_same_clinic(
    diary: Diary, demo: int, other_clinic: int
) -> None:
    here = diary.create_patient(
        other_clinic, first_name="Ruby", last_name="Stone", date_of_birth=date(2000, 1, 1)
    )
    there = diary.create_patient(
        demo, first_name="Ruby", last_name="Stone", date_of_birth=date(2000, 1, 1)
    )
    assert here.id != there.id
    with pytest.raises(DuplicatePatient) as raised:
        diary.create_patient(
            other_clinic, first_name="Ruby", last_name="Stone", date_of_birth=date(2000, 1, 1)
        )
    assert raised.value.existing_patient_id == here.id


def test_phones_default_to_the_clinics_country(engine: Engine, diary: Diary, demo: int) -> None:
    london = add_clinic(engine, country="GB", name="London Physio")
    patient = diary.create_patient(
        london, first_name="Amelia", last_name="Wilson", phones=["07700 900123"]
    )
    assert [p.e164 for p in patient.phones] == ["+447700900123"]
    assert ids(diary.find_patients(london, phone="+44 7700 900123")) == [patient.id]
    assert ids(diary.find_patients(london, phone="07700 900123")) == [patient.id]
    # The same digits in the Sydney clinic are an Australian number, and nobody's.
    assert diary.find_patients(demo, phone="+44 7700 900123") == []


def test_two_swapped_letters_count_as_one_edit(diary: Diary, demo: int) -> None:
    found = diary.find_patients(demo, name="Olivai Smith")
    assert [(m.patient.first_name, m.name_distance) for m in found] == [("Olivia", 1)]
