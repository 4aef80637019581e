"""The demo clinic in the fake Nookal matches the diary's: hours, appointments, durations, and
the slots a caller would be offered."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from diary import Diary, FixedClock
from diary.db import make_engine
from pms_adapters.diary_adapter import DiaryAdapter
from pms_adapters.nookal import NookalAdapter
from pms_adapters.types import AppointmentStatus, SlotQuery, Window
from tests.conftest import DEMO_NOW
from tests.fakes.nookal import DemoClinic, FakeNookal
from tests.pms_adapters.nookal.conftest import SLOT_SECRET, adapter_for

pytestmark = pytest.mark.anyio


@pytest.fixture
async def diary_adapter(sqlite_demo_source: Path, tmp_path: Path) -> AsyncIterator[DiaryAdapter]:
    """The same demo clinic in the built-in diary, its clock at DEMO_NOW."""
    path = tmp_path / "demo.db"
    shutil.copy(sqlite_demo_source, path)
    diary = Diary(make_engine(f"sqlite:///{path}"), FixedClock(DEMO_NOW))
    adapter = DiaryAdapter(diary, diary.clinics()[0].id, SLOT_SECRET)
    yield adapter
    diary.close()


async def test_reference_data_matches_the_diary(
    adapter: NookalAdapter, diary_adapter: DiaryAdapter
) -> None:
    assert await adapter.locations() == await diary_adapter.locations()
    assert await adapter.practitioners() == await diary_adapter.practitioners()
    assert await adapter.appointment_types() == await diary_adapter.appointment_types()


async def test_every_patient_and_their_appointments_match_the_diary(
    adapter: NookalAdapter, diary_adapter: DiaryAdapter, fake: FakeNookal
) -> None:
    window = Window(starts_at=DEMO_NOW - timedelta(days=14), ends_at=DEMO_NOW + timedelta(days=30))
    assert len(fake.patients) == 20
    for patient_id in sorted(fake.patients, key=int):
        ours = await adapter.appointments(patient_id, window)
        theirs = await diary_adapter.appointments(patient_id, window)
        assert ours == theirs
    statuses = {a.status for p in fake.patients for a in await adapter.appointments(p, window)}
    assert AppointmentStatus.DID_NOT_ARRIVE in statuses


@pytest.mark.parametrize(
    ("practitioner", "kind", "days"),
    [
        ("Sarah Chen", "Initial physiotherapy consultation", 1),  # Tuesday, Parramatta
        ("James O'Brien", "Physiotherapy follow-up", 1),
        ("Priya Patel", "Remedial massage", 10),  # includes her day of annual leave
        ("Sarah Chen", "Physiotherapy follow-up", 3),  # Thursday afternoon off
    ],
)
async def test_the_diary_s_slots_are_offered_by_nookal_too(
    nookal_demo: DemoClinic,
    nookal_url: str,
    diary_adapter: DiaryAdapter,
    practitioner: str,
    kind: str,
    days: int,
) -> None:
    """With starts every 15 minutes (as the diary's grid), Nookal offers every slot the diary
    does; it may offer a few more right after appointments (it has no buffers)."""
    adapter = adapter_for(nookal_demo, nookal_url, slot_step_minutes=15)
    try:
        start = DEMO_NOW + timedelta(days=days)
        query = SlotQuery(
            appointment_type_id=nookal_demo.type_ids[kind],
            starts_after=start,
            ends_before=start + timedelta(days=1),
            practitioner_ids=(nookal_demo.practitioner_ids[practitioner],),
        )
        ours = {(s.starts_at, s.location_id) for s in await adapter.find_slots(query)}
        theirs = {(s.starts_at, s.location_id) for s in await diary_adapter.find_slots(query)}
    finally:
        await adapter.aclose()
    assert theirs <= ours
    assert bool(theirs) == bool(ours)  # a day off (annual leave) is off in both
