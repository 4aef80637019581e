"""Checks of patients: registering one (once per key) and finding them again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from pms_adapters.conformance.checked import expect, fail, outcome
from pms_adapters.conformance.kit import Kit
from pms_adapters.conformance.sandbox import unique_token
from pms_adapters.errors import IdempotencyConflict
from pms_adapters.types import NewPatient, Patient, PatientQuery

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _full_name(patient: NewPatient | Patient) -> str:
    return f"{patient.first_name} {patient.last_name}"


async def _registered(kit: Kit) -> tuple[NewPatient, Patient]:
    if not kit.pms.capabilities.create_patients:
        pytest.skip("the adapter does not create patients (capabilities.create_patients)")
    return await kit.register()


async def _expect_found(kit: Kit, query: PatientQuery, patient: Patient, by: str) -> None:
    found = await kit.pms.find_patients(query)
    expect(
        patient.id in [p.id for p in found],
        f"adapter.find_patients() by {by} did not find patient {patient.id}, just created"
        f" with that {by} (it returned {len(found)} patient(s))",
    )


class PatientChecks:
    """Patients are created once per idempotency key and found by phone, name and birth date."""

    @pytest.mark.anyio
    async def test_create_patient_records_what_was_asked(self, kit: Kit) -> None:
        wanted, created = await _registered(kit)
        expect(
            _full_name(created).casefold() == _full_name(wanted).casefold(),
            f"adapter.create_patient() asked for {_full_name(wanted)!r} but recorded"
            f" {_full_name(created)!r}",
        )
        expect(
            created.date_of_birth == wanted.date_of_birth,
            f"adapter.create_patient() asked for birth date {wanted.date_of_birth} but"
            f" recorded {created.date_of_birth}",
        )
        for phone in wanted.phones:
            if _E164.fullmatch(phone):
                expect(
                    phone in created.phones,
                    f"adapter.create_patient() dropped or altered the phone {phone}: phones"
                    f" are kept in E.164 (it recorded {list(created.phones)})",
                )

    @pytest.mark.anyio
    async def test_find_patient_by_phone(self, kit: Kit) -> None:
        wanted, created = await _registered(kit)
        if not wanted.phones:
            pytest.skip("the Sandbox's new_patient gives no phone number")
        await _expect_found(kit, PatientQuery(phone=wanted.phones[0]), created, "phone")

    @pytest.mark.anyio
    async def test_find_patient_by_name(self, kit: Kit) -> None:
        wanted, created = await _registered(kit)
        await _expect_found(kit, PatientQuery(name=_full_name(wanted)), created, "name")

    @pytest.mark.anyio
    async def test_find_patient_by_date_of_birth(self, kit: Kit) -> None:
        wanted, created = await _registered(kit)
        if wanted.date_of_birth is None:
            pytest.skip("the Sandbox's new_patient gives no date of birth")
        query = PatientQuery(date_of_birth=wanted.date_of_birth)
        await _expect_found(kit, query, created, "date of birth")

    @pytest.mark.anyio
    async def test_find_patients_matches_every_criterion(self, kit: Kit) -> None:
        wanted, created = await _registered(kit)
        if wanted.date_of_birth is None:
            pytest.skip("the Sandbox's new_patient gives no date of birth")
        both = PatientQuery(name=_full_name(wanted), date_of_birth=wanted.date_of_birth)
        await _expect_found(kit, both, created, "name and date of birth")
        wrong_birthday = wanted.date_of_birth + timedelta(days=1)
        found = await kit.pms.find_patients(
            PatientQuery(name=_full_name(wanted), date_of_birth=wrong_birthday)
        )
        expect(
            created.id not in [p.id for p in found],
            "adapter.find_patients() by name and date of birth found a patient with that name"
            " but another birth date: every criterion given must match",
        )

    @pytest.mark.anyio
    async def test_retried_create_patient_gives_one_patient(self, kit: Kit) -> None:
        if not kit.pms.capabilities.create_patients:
            pytest.skip("the adapter does not create patients (capabilities.create_patients)")
        wanted = kit.sandbox.new_patient(unique_token())
        key = kit.key("patient")
        first = await kit.pms.create_patient(wanted, key)
        retry = await outcome(kit.pms.create_patient(wanted, key))
        if not isinstance(retry, Patient):
            fail(
                f"retrying adapter.create_patient() with the same idempotency key raised"
                f" {type(retry).__name__} ({retry}) instead of returning patient {first.id}:"
                " a retry after a lost response must return the original patient"
            )
        expect(
            retry.id == first.id,
            f"retrying adapter.create_patient() with the same idempotency key created a"
            f" second patient ({first.id}, then {retry.id}): the adapter ignores idempotency"
            " keys",
        )
        namesakes = await kit.pms.find_patients(PatientQuery(name=_full_name(wanted)))
        same = [p for p in namesakes if _full_name(p).casefold() == _full_name(wanted).casefold()]
        expect(
            len(same) == 1,
            f"adapter.find_patients() lists {len(same)} patients named"
            f" {_full_name(wanted)!r} after one retried registration; there should be one",
        )

    @pytest.mark.anyio
    async def test_reused_key_for_a_different_patient_is_refused(self, kit: Kit) -> None:
        if not kit.pms.capabilities.create_patients:
            pytest.skip("the adapter does not create patients (capabilities.create_patients)")
        key = kit.key("patient")
        first = await kit.pms.create_patient(kit.sandbox.new_patient(unique_token()), key)
        other = kit.sandbox.new_patient(unique_token())
        reused = await outcome(kit.pms.create_patient(other, key))
        if isinstance(reused, Patient):
            fail(
                "adapter.create_patient() with an idempotency key already used for another"
                f" patient ({first.id}) returned patient {reused.id}: a reused key with a"
                " different request must raise IdempotencyConflict"
            )
        expect(
            isinstance(reused, IdempotencyConflict),
            f"adapter.create_patient() with a reused key and different details raised"
            f" {type(reused).__name__} ({reused}); it should raise IdempotencyConflict",
        )
