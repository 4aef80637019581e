"""The demo clinic in the fake matches the diary's, and `describe` reports what it sees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from diary import Diary, FixedClock
from diary import models as dm
from diary.db import make_engine, read_session
from pms_adapters.cliniko import ClinikoAdapter, describe
from pms_adapters.diary_adapter import DiaryAdapter
from pms_adapters.types import PatientQuery, SlotQuery
from tests.conftest import DEMO_ANCHOR, DEMO_NOW
from tests.fakes.cliniko.demo import DemoClinic, demo_clinic
from tests.pms_adapters.cliniko.conftest import SLOT_SECRET, AdapterFactory

pytestmark = pytest.mark.anyio


@pytest.fixture
def diary_demo(sqlite_demo_source: Path) -> Iterator[Diary]:
    """The seeded demo diary (read only), its clock at the demo's now."""
    engine = make_engine(f"sqlite:///{sqlite_demo_source}")
    yield Diary(engine, FixedClock(DEMO_NOW))
    engine.dispose()


def test_hours_appointments_and_durations_match_the_diary(
    diary_demo: Diary, demo: DemoClinic
) -> None:
    fake = demo.fake
    with read_session(diary_demo.engine) as session:
        for rule in session.query(dm.WorkingHours):
            pair = (demo.practitioners[rule.practitioner_id], demo.businesses[rule.location_id])
            assert (rule.starts_at, rule.ends_at) in fake.hours[pair][rule.weekday + 1]
        rules = session.query(dm.WorkingHours).count()
        assert rules == sum(len(spans) for d in fake.hours.values() for spans in d.values())
        for kind in session.query(dm.AppointmentType):
            ours = fake.appointment_types[demo.appointment_types[kind.id]]
            assert ours.duration_in_minutes == kind.duration_minutes
            assert ours.show_in_online_bookings == kind.bookable_by_phone
        rows = session.query(dm.Appointment).all()
        assert len(rows) == len(fake.appointments)
        for row in rows:
            copy = fake.appointments[demo.appointments[row.id]]
            assert (copy.starts_at, copy.ends_at) == (row.starts_at, row.ends_at)
            assert copy.practitioner_id == demo.practitioners[row.practitioner_id]
            assert copy.business_id == demo.businesses[row.location_id]
            assert copy.patient_id == demo.patients[row.patient_id]
            assert copy.did_not_arrive == (row.status == "did_not_arrive")


async def test_slots_agree_with_the_diary(
    diary_demo: Diary, demo: DemoClinic, make_adapter: AdapterFactory
) -> None:
    """The fake offers exactly the slots the diary offers over the demo's first fortnight,
    and finds the same patients."""
    clinic = diary_demo.clinics()[0]
    ours = DiaryAdapter(diary_demo, clinic.id, SLOT_SECRET)
    theirs = make_adapter()
    names = {p.id: p.name for p in await ours.practitioners()}
    their_names = {p.id: p.name for p in await theirs.practitioners()}
    kinds = {t.name: t for t in await theirs.appointment_types()}
    for kind in await ours.appointment_types():
        if not kind.bookable_by_phone:
            continue
        window = {"starts_after": DEMO_NOW, "ends_before": DEMO_NOW + timedelta(days=14)}
        diary_slots = await ours.find_slots(SlotQuery(appointment_type_id=kind.id, **window))
        fake_slots = await theirs.find_slots(
            SlotQuery(appointment_type_id=kinds[kind.name].id, **window)
        )
        seen = {(their_names[s.practitioner_id], s.starts_at) for s in fake_slots}
        wanted = {(names[s.practitioner_id], s.starts_at) for s in diary_slots}
        assert wanted == seen, kind.name
    tuesday = DEMO_NOW + timedelta(days=1)
    morning = {"starts_after": tuesday, "ends_before": tuesday + timedelta(hours=4)}
    sarah = {v: k for k, v in their_names.items()}["Sarah Chen"]
    first = await theirs.find_slots(
        SlotQuery(
            appointment_type_id=kinds["Initial physiotherapy consultation"].id,
            practitioner_ids=(sarah,),
            limit=1,
            **morning,
        )
    )
    assert first and first[0].starts_at.astimezone(DEMO_NOW.tzinfo).hour < 12
    found = await theirs.find_patients(PatientQuery(phone="+61412345678"))
    assert [(p.first_name, p.last_name) for p in found] == [("Olivia", "Smith")]
    accented = await theirs.find_patients(PatientQuery(name="Jose Garcia"))
    assert [(p.first_name, p.last_name) for p in accented] == [("José", "García")]
    await ours.aclose()


def test_demo_clinic_builds_without_a_fixture() -> None:
    clinic = demo_clinic(DEMO_ANCHOR, lambda: DEMO_NOW)
    assert len(clinic.businesses) == 2 and len(clinic.patients) == 20
    assert clinic.fake.now() == DEMO_NOW


async def test_describe_reports_what_the_connection_sees(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    adapter: ClinikoAdapter = make_adapter()
    report = await describe(adapter)
    assert [b["name"] for b in report["businesses"]] == ["Surry Hills", "Parramatta"]
    assert {b["timezone"] for b in report["businesses"]} == {"Australia/Sydney"}
    assert len(report["practitioners"]) == 4
    kinds = {t["name"]: t for t in report["appointment_types"]}
    assert kinds["Clinical pilates assessment"]["bookable_by_phone"] is False
    assert kinds["Physiotherapy follow-up"]["new_patients_allowed"] is False
    assert kinds["Initial physiotherapy consultation"]["duration_minutes"] == 45
    by_type: dict[str, set[bool]] = {}
    for row in report["online_bookings"]:
        name = next(
            t["name"] for t in report["appointment_types"] if t["id"] == row["appointment_type_id"]
        )
        by_type.setdefault(name, set()).add(row["enabled"])
    assert by_type["Clinical pilates assessment"] == {False}
    assert by_type["Remedial massage"] == {True}
    # Sarah: 2 places x 3 types; James: 2 types; Priya: 1; Tom: 2 places x 1 type.
    assert len(report["online_bookings"]) == 6 + 2 + 1 + 2
    restricted = make_adapter(business_ids=[demo.businesses[1], "1234567890123456789"])
    narrow = await describe(restricted)
    assert [b["name"] for b in narrow["businesses"]] == ["Surry Hills"]
    assert narrow["missing_business_ids"] == ["1234567890123456789"]
