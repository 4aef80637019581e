"""The diary behind the adapter contract, on SQLite and PostgreSQL (the `engine` fixture).

Covers the mapping of ids, types and errors, the write round trip, idempotency of bookings
(native) and patients (the adapter's own), and that diary work never runs on the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
from pydantic import ValidationError
from sqlalchemy import event

from diary import Diary, FixedClock
from diary.booking import lock_practitioners
from diary.db import make_engine, write_session
from pms_adapters.contract import PMSAdapter
from pms_adapters.diary_adapter import DiaryAdapter
from pms_adapters.errors import (
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    PMSUnavailable,
    SlotUnavailable,
    WriteOutcomeUnknown,
)
from pms_adapters.resilience import ResilientPMS, RetryPolicy
from pms_adapters.slot_ids import SlotCodec, SlotKey
from pms_adapters.types import (
    AppointmentStatus,
    CancellationReason,
    NewPatient,
    PatientQuery,
    Slot,
    SlotQuery,
    Window,
)
from tests.conftest import DEMO_NOW

SECRET = b"diary-adapter-test-secret"
INITIAL = "Initial physiotherapy consultation"
OLIVIA_PHONE = "0412 345 678"

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def adapter(diary: Diary, demo: int) -> DiaryAdapter:
    return DiaryAdapter(diary, demo, SECRET)


async def _type_id(adapter: DiaryAdapter, name: str) -> str:
    return next(t.id for t in await adapter.appointment_types() if t.name == name)


async def _slots(adapter: DiaryAdapter, limit: int = 10, **narrow: Any) -> list[Slot]:
    query = SlotQuery(
        appointment_type_id=await _type_id(adapter, INITIAL),
        starts_after=DEMO_NOW,
        ends_before=DEMO_NOW + timedelta(days=7),
        limit=limit,
        **narrow,
    )
    return await adapter.find_slots(query)


async def _olivia(adapter: DiaryAdapter) -> str:
    return (await adapter.find_patients(PatientQuery(phone=OLIVIA_PHONE)))[0].id


async def test_it_is_a_pms_adapter(adapter: DiaryAdapter) -> None:
    assert isinstance(adapter, PMSAdapter)
    assert adapter.name == "diary"
    assert adapter.capabilities.native_idempotency
    assert adapter.capabilities.holds


async def test_reference_data_maps_ids_to_strings_and_carries_zones(
    adapter: DiaryAdapter, diary: Diary, demo: int
) -> None:
    locations = await adapter.locations()
    practitioners = await adapter.practitioners()
    types = await adapter.appointment_types()

    assert [loc.name for loc in locations] == ["Surry Hills", "Parramatta"]
    assert {loc.timezone for loc in locations} == {"Australia/Sydney"}
    assert [loc.id for loc in locations] == [str(r.id) for r in diary.locations(demo)]
    by_name = {p.name: p for p in practitioners}
    assert set(by_name) == {"Sarah Chen", "James O'Brien", "Priya Patel", "Tom Nguyen"}
    assert set(by_name["Sarah Chen"].location_ids) == {loc.id for loc in locations}
    assert len(by_name["Priya Patel"].location_ids) == 1
    initial = next(t for t in types if t.name == INITIAL)
    assert initial.duration_minutes == 45
    assert all(t.id.isdigit() for t in types)


async def test_slots_are_the_diarys_in_utc_with_decodable_ids(
    adapter: DiaryAdapter, diary: Diary, demo: int
) -> None:
    slots = await _slots(adapter, limit=12)

    type_id = int(await _type_id(adapter, INITIAL))
    expected = diary.find_slots(demo, type_id, DEMO_NOW, DEMO_NOW + timedelta(days=7))[:12]
    assert [(s.starts_at, s.practitioner_id) for s in slots] == [
        (e.starts_at, str(e.practitioner_id)) for e in expected
    ]
    assert all(s.starts_at.tzinfo is UTC and s.ends_at.tzinfo is UTC for s in slots)
    assert slots == sorted(slots, key=lambda s: s.starts_at)
    codec = SlotCodec(SECRET)
    for slot in slots:
        key = codec.decode(slot.id)
        assert key == SlotKey(
            slot.practitioner_id, slot.location_id, slot.appointment_type_id, slot.starts_at
        )
        assert slot.ends_at - slot.starts_at == timedelta(minutes=45)


async def test_slot_searches_can_be_narrowed(adapter: DiaryAdapter) -> None:
    everyone = await _slots(adapter, limit=200)
    one = everyone[0].practitioner_id
    location = everyone[0].location_id

    mine = await _slots(adapter, limit=200, practitioner_ids=(one,))
    here = await _slots(adapter, limit=200, location_id=location)

    assert mine and {s.practitioner_id for s in mine} == {one}
    assert here and {s.location_id for s in here} == {location}
    with pytest.raises(ValidationError):  # "nobody" or "everybody"? Refused as ambiguous.
        await _slots(adapter, practitioner_ids=())
    assert len(await _slots(adapter, limit=3)) == 3


async def test_book_move_cancel_round_trip(adapter: DiaryAdapter) -> None:
    patient = await _olivia(adapter)
    first, later = (await _slots(adapter))[0], (await _slots(adapter))[-1]
    week = Window.next_days(DEMO_NOW, 7)
    before = {a.id for a in await adapter.appointments(patient, week)}

    booked = await adapter.book(first.id, patient, "book-1", notes="left knee")
    assert (booked.starts_at, booked.practitioner_id) == (first.starts_at, first.practitioner_id)
    assert booked.status is AppointmentStatus.BOOKED
    assert booked.notes == "left knee"
    assert booked.id.isdigit()
    assert await adapter.book(first.id, patient, "book-1", notes="left knee") == booked
    assert first.id not in {s.id for s in await _slots(adapter, limit=200)}

    moved = await adapter.reschedule(booked.id, later.id, "move-1")
    assert (moved.id, moved.starts_at) == (booked.id, later.starts_at)
    assert await adapter.reschedule(booked.id, later.id, "move-1") == moved
    assert first.id in {s.id for s in await _slots(adapter, limit=200)}
    mine = {a.id: a for a in await adapter.appointments(patient, week)}
    assert mine[booked.id].starts_at == later.starts_at

    cancelled = await adapter.cancel(booked.id, CancellationReason.ILLNESS, "flu")
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert await adapter.cancel(booked.id, CancellationReason.OTHER) == cancelled
    assert {a.id for a in await adapter.appointments(patient, week)} == before


async def test_a_taken_slot_and_a_reused_key_are_refused(adapter: DiaryAdapter) -> None:
    patient = await _olivia(adapter)
    first, second = (await _slots(adapter))[:2]
    await adapter.book(first.id, patient, "book-1")

    with pytest.raises(SlotUnavailable):
        await adapter.book(first.id, patient, "book-2")
    with pytest.raises(IdempotencyConflict):
        await adapter.book(second.id, patient, "book-1")
    with pytest.raises(InvalidRequest, match="idempotency key"):
        await adapter.book(second.id, patient, "")


async def test_a_race_for_one_slot_books_it_once(adapter: DiaryAdapter) -> None:
    patient = await _olivia(adapter)
    slot = (await _slots(adapter))[0]
    results: dict[str, object] = {}

    async def attempt(key: str) -> None:
        try:
            results[key] = (await adapter.book(slot.id, patient, key)).id
        except SlotUnavailable as exc:
            results[key] = exc

    async with anyio.create_task_group() as tasks:
        for key in ("race-1", "race-2", "race-3", "race-1"):
            tasks.start_soon(attempt, key)

    winners = [r for r in results.values() if isinstance(r, str)]
    assert len(winners) == 1, results


async def test_forged_and_stale_slot_ids_are_slot_unavailable(
    adapter: DiaryAdapter, clock: FixedClock
) -> None:
    patient = await _olivia(adapter)
    slot = (await _slots(adapter))[0]
    forged = slot.id[:-3] + ("AAA" if not slot.id.endswith("AAA") else "BBB")
    codec = SlotCodec(SECRET)
    off_grid = codec.encode(
        SlotKey(
            slot.practitioner_id,
            slot.location_id,
            slot.appointment_type_id,
            slot.starts_at + timedelta(minutes=7),
        )
    )
    retired = codec.encode(SlotKey("987654", slot.location_id, "1", slot.starts_at))
    not_ours = codec.encode(SlotKey("prac-1", "loc-1", "type-1", slot.starts_at))

    for bad in (forged, "not-a-slot", off_grid, retired, not_ours):
        with pytest.raises(SlotUnavailable):
            await adapter.book(bad, patient, f"book-{bad}")
    clock.set(slot.starts_at + timedelta(hours=1))
    with pytest.raises(SlotUnavailable):
        await adapter.book(slot.id, patient, "book-late")


async def test_unknown_ids_are_not_found(adapter: DiaryAdapter) -> None:
    slot = (await _slots(adapter))[0]
    week = Window.next_days(DEMO_NOW, 7)
    for unknown in ("999999", "abc", "007", "99999999999999999999"):
        with pytest.raises(NotFound):
            await adapter.book(slot.id, unknown, f"book-{unknown}")
        with pytest.raises(NotFound):
            await adapter.reschedule(unknown, slot.id, f"move-{unknown}")
        with pytest.raises(NotFound):
            await adapter.cancel(unknown, CancellationReason.OTHER)
        with pytest.raises(NotFound):
            await adapter.appointments(unknown, week)
    with pytest.raises(NotFound):
        await adapter.find_slots(
            SlotQuery(appointment_type_id="424242", starts_after=DEMO_NOW, ends_before=week.ends_at)
        )


async def test_a_cancelled_appointment_cannot_be_moved(adapter: DiaryAdapter) -> None:
    patient = await _olivia(adapter)
    first, later = (await _slots(adapter))[0], (await _slots(adapter))[-1]
    booked = await adapter.book(first.id, patient, "book-1")
    await adapter.cancel(booked.id, CancellationReason.PATIENT_REQUEST)

    with pytest.raises(InvalidRequest, match="only a booked appointment") as raised:
        await adapter.reschedule(booked.id, later.id, "move-1")
    assert not isinstance(raised.value, SlotUnavailable)


async def test_bad_requests_are_invalid(adapter: DiaryAdapter) -> None:
    type_id = await _type_id(adapter, INITIAL)
    with pytest.raises(InvalidRequest, match="longer than"):
        await adapter.find_slots(
            SlotQuery(
                appointment_type_id=type_id,
                starts_after=DEMO_NOW,
                ends_before=DEMO_NOW + timedelta(days=60),
            )
        )
    with pytest.raises(InvalidRequest):
        await adapter.find_patients(PatientQuery(phone="not a number"))
    with pytest.raises(ValidationError):
        SlotQuery(
            appointment_type_id=type_id,
            starts_after=datetime(2026, 3, 2, 9),
            ends_before=datetime(2026, 3, 3, 9),
        )


async def test_patients_are_found_by_phone_name_and_birth_date(adapter: DiaryAdapter) -> None:
    by_phone = await adapter.find_patients(PatientQuery(phone="+61 412 345 678"))
    by_name = await adapter.find_patients(PatientQuery(name="olivia smith"))
    by_birth = await adapter.find_patients(PatientQuery(date_of_birth=date(1988, 3, 14)))

    assert [p.first_name for p in by_phone] == ["Olivia"]
    assert by_phone[0].phones == ("+61412345678",)
    assert by_phone[0].id in {p.id for p in by_name}
    assert by_phone[0].id in {p.id for p in by_birth}


async def test_create_patient_is_idempotent(diary: Diary, demo: int) -> None:
    jane = NewPatient(
        first_name="Jane",
        last_name="Citizen",
        date_of_birth=date(1990, 1, 1),
        phones=("0400 111 222",),
    )
    adapter = DiaryAdapter(diary, demo, SECRET)

    created = await adapter.create_patient(jane, "patient-1")
    assert created.phones == ("+61400111222",)
    assert await adapter.create_patient(jane, "patient-1") == created
    with pytest.raises(IdempotencyConflict):
        await adapter.create_patient(jane.model_copy(update={"first_name": "Janet"}), "patient-1")

    # After a restart the key is forgotten; the identical record is found instead.
    restarted = DiaryAdapter(diary, demo, SECRET)
    assert await restarted.create_patient(jane, "patient-1") == created
    assert len(await restarted.find_patients(PatientQuery(phone="0400 111 222"))) == 1


async def test_a_near_match_is_not_registered_again_nor_returned(adapter: DiaryAdapter) -> None:
    olivia = (await adapter.find_patients(PatientQuery(phone=OLIVIA_PHONE)))[0]
    same = NewPatient(
        first_name="OLIVIA",
        last_name="Smith",
        date_of_birth=date(1988, 3, 14),
        phones=(OLIVIA_PHONE,),
    )
    near = same.model_copy(update={"first_name": "Olivai", "phones": ()})

    assert (await adapter.create_patient(same, "patient-same")).id == olivia.id
    with pytest.raises(InvalidRequest, match="search for the caller"):
        await adapter.create_patient(near, "patient-near")
    assert len(await adapter.find_patients(PatientQuery(date_of_birth=date(1988, 3, 14)))) == 1


async def test_an_unreachable_database_is_pms_unavailable(tmp_path: Path) -> None:
    missing = make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    adapter = DiaryAdapter(Diary(missing), 1, SECRET)
    try:
        with pytest.raises(PMSUnavailable, match="unavailable"):
            await adapter.locations()
    finally:
        missing.dispose()


@pytest.fixture
def sql_threads(diary: Diary) -> Iterator[set[int]]:
    """The ids of the threads that ran SQL on the diary's engine during the test."""
    seen: set[int] = set()

    def record(*_: object) -> None:
        seen.add(threading.get_ident())

    event.listen(diary.engine, "before_cursor_execute", record)
    yield seen
    event.remove(diary.engine, "before_cursor_execute", record)


async def test_no_sql_runs_on_the_event_loop(adapter: DiaryAdapter, sql_threads: set[int]) -> None:
    loop_thread = threading.get_ident()
    patient = await _olivia(adapter)
    await adapter.locations()
    await adapter.practitioners()
    first, later = (await _slots(adapter))[0], (await _slots(adapter))[-1]
    booked = await adapter.book(first.id, patient, "book-1")
    await adapter.reschedule(booked.id, later.id, "move-1")
    await adapter.appointments(patient, Window.next_days(DEMO_NOW, 7))
    await adapter.cancel(booked.id, CancellationReason.OTHER)
    await adapter.create_patient(NewPatient(first_name="Ann", last_name="Lee"), "patient-1")

    assert sql_threads
    assert loop_thread not in sql_threads


async def test_the_loop_keeps_running_while_a_booking_waits_for_a_lock(
    adapter: DiaryAdapter, diary: Diary, demo: int
) -> None:
    patient = await _olivia(adapter)
    slot = (await _slots(adapter))[0]
    locked, release = threading.Event(), threading.Event()

    def hold_the_practitioner() -> None:
        # BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL: the booking must wait.
        with write_session(diary.engine) as session:
            lock_practitioners(session, demo, [int(slot.practitioner_id)])
            locked.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_practitioner)
    holder.start()
    try:
        assert await anyio.to_thread.run_sync(locked.wait, 10)
        ticks = 0
        booked: list[str] = []
        done = anyio.Event()

        async def tick() -> None:
            nonlocal ticks
            while True:
                await anyio.sleep(0.01)
                ticks += 1

        async def book() -> None:
            booked.append((await adapter.book(slot.id, patient, "book-1")).id)
            done.set()

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(tick)
                tasks.start_soon(book)
                await anyio.sleep(0.3)
                assert not booked, "the booking should be waiting for the lock"
                ticks_while_waiting = ticks
                release.set()
                await done.wait()
                tasks.cancel_scope.cancel()
        assert ticks_while_waiting >= 3  # it kept ticking (not a timing target)
        assert booked
    finally:
        release.set()
        holder.join(10)


async def test_a_timed_out_booking_is_outcome_unknown_and_a_retry_finds_it(
    adapter: DiaryAdapter, diary: Diary, demo: int
) -> None:
    """Never a phantom outcome: the write is awaited to its end, the retry replays it."""
    resilient = ResilientPMS(adapter, policy=RetryPolicy(timeout_seconds=0.2))
    patient = await _olivia(adapter)
    slot = (await _slots(adapter))[0]
    locked, release = threading.Event(), threading.Event()

    def hold_the_practitioner() -> None:
        with write_session(diary.engine) as session:
            lock_practitioners(session, demo, [int(slot.practitioner_id)])
            locked.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_practitioner)
    holder.start()
    try:
        assert await anyio.to_thread.run_sync(locked.wait, 10)

        async def release_later() -> None:
            await anyio.sleep(0.5)  # well after the 0.2 s timeout
            release.set()

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(release_later)
                with pytest.raises(WriteOutcomeUnknown):
                    await resilient.book(slot.id, patient, "timed-out-book")
                # the timed-out write was seen to its end, not left running in a thread
                assert release.is_set()
        again = await resilient.book(slot.id, patient, "timed-out-book")
        mine = await adapter.appointments(patient, Window.next_days(DEMO_NOW, 30))
        assert [a.id for a in mine].count(again.id) == 1
        assert slot.id not in {s.id for s in await _slots(adapter)}
    finally:
        release.set()
        holder.join(10)
