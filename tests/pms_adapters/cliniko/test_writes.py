"""Writes without idempotency in Cliniko: lost answers, 5xx, races, restarts, moves, cancels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio
import pytest

from pms_adapters.cliniko import ClinikoAdapter
from pms_adapters.errors import PMSError, SlotUnavailable, WriteOutcomeUnknown
from pms_adapters.types import (
    Appointment,
    AppointmentStatus,
    CancellationReason,
    NewPatient,
    PatientQuery,
    Slot,
    SlotQuery,
)
from tests.conftest import DEMO_NOW
from tests.fakes.cliniko import FakeCliniko
from tests.fakes.cliniko.demo import DemoClinic
from tests.pms_adapters.cliniko.conftest import AdapterFactory

pytestmark = pytest.mark.anyio


async def _slots(adapter: ClinikoAdapter, practitioner: str | None = None) -> list[Slot]:
    kinds = {t.name: t.id for t in await adapter.appointment_types()}
    people = {p.name: p.id for p in await adapter.practitioners()}
    query = SlotQuery(
        appointment_type_id=kinds["Initial physiotherapy consultation"],
        starts_after=DEMO_NOW,
        ends_before=DEMO_NOW + timedelta(days=7),
        practitioner_ids=(people[practitioner],) if practitioner else None,
    )
    return await adapter.find_slots(query)


def _pair(slots: list[Slot]) -> tuple[Slot, Slot]:
    """Two slots at the same place, far enough apart not to overlap."""
    old = slots[0]
    new = next(
        s
        for s in slots
        if s.location_id == old.location_id and s.starts_at >= old.ends_at + timedelta(hours=1)
    )
    return old, new


def _live_at(fake: FakeCliniko, slot: Slot) -> list[str]:
    return [
        a.id for a in fake.live_appointments(slot.practitioner_id) if a.starts_at == slot.starts_at
    ]


def _patient(demo: DemoClinic) -> str:
    return next(iter(demo.patients.values()))


async def test_a_lost_response_retried_with_the_same_key_makes_one_appointment(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    fake = demo.fake
    fake.settings.lost_response_hang = 1.0
    adapter = make_adapter(timeout=0.3)
    slot = (await _slots(adapter))[0]
    fake.lose_next_response("POST", "^/individual_appointments$")
    booked = await adapter.book(slot.id, _patient(demo), "key-lost-1")
    again = await adapter.book(slot.id, _patient(demo), "key-lost-1")
    assert booked.id == again.id
    assert _live_at(fake, slot) == [booked.id]
    assert fake.count("POST", "^/individual_appointments$") == 1


async def test_a_5xx_after_the_write_landed_is_found_not_repeated(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    fake = demo.fake
    adapter = make_adapter()
    slot = (await _slots(adapter))[1]
    fake.lose_next_response("POST", "^/individual_appointments$", status=500)
    booked = await adapter.book(slot.id, _patient(demo), "key-500-after")
    assert _live_at(fake, slot) == [booked.id]
    assert fake.count("POST", "^/individual_appointments$") == 1


async def test_a_5xx_before_the_write_is_retried_once(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    fake = demo.fake
    adapter = make_adapter()
    slot = (await _slots(adapter))[2]
    fake.fail_next(503, "POST", "^/individual_appointments$")
    booked = await adapter.book(slot.id, _patient(demo), "key-503-before")
    assert _live_at(fake, slot) == [booked.id]
    assert fake.count("POST", "^/individual_appointments$") == 2


async def test_an_unknowable_outcome_is_write_outcome_unknown_then_resolved(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    fake = demo.fake
    adapter = make_adapter()
    slot = (await _slots(adapter))[3]
    fake.lose_next_response("POST", "^/individual_appointments$", status=502)
    # The look before the write works; the look after it fails (and its one retry).
    fake.fail_next(503, "GET", "^/individual_appointments$", times=2, skip=1)
    with pytest.raises(WriteOutcomeUnknown):
        await adapter.book(slot.id, _patient(demo), "key-unknown")
    booked = await adapter.book(slot.id, _patient(demo), "key-unknown")
    assert _live_at(fake, slot) == [booked.id]


async def test_a_retry_after_a_restart_finds_the_first_booking(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    first = make_adapter()
    slot = (await _slots(first))[0]
    booked = await first.book(slot.id, _patient(demo), "key-restart")
    after_restart = make_adapter()
    again = await after_restart.book(slot.id, _patient(demo), "key-restart")
    assert again.id == booked.id
    assert _live_at(demo.fake, slot) == [booked.id]


async def test_two_workers_racing_for_one_slot_leave_one_appointment(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    """Four workers all see the slot free, all create (Cliniko allows overlaps), and the
    conflict check leaves exactly one appointment: the first created."""
    workers = [make_adapter() for _ in range(4)]
    slot = (await _slots(workers[0]))[0]
    patients = list(demo.patients.values())[:4]
    everyone_checked = anyio.Event()
    checked = 0
    for worker in workers:
        await worker.practitioners()  # warm each worker's reference data
        original = worker.availability.is_offered

        async def in_step(*args: Any, original: Any = original) -> bool:
            nonlocal checked
            free: bool = await original(*args)
            checked += 1
            if checked == len(workers):
                everyone_checked.set()
            await everyone_checked.wait()  # nobody creates before everyone saw it free
            return free

        worker.availability.is_offered = in_step  # type: ignore[method-assign]
    results: list[Appointment | PMSError] = []

    async def attempt(adapter: ClinikoAdapter, patient: str) -> None:
        try:
            results.append(await adapter.book(slot.id, patient, f"race-{patient}"))
        except PMSError as exc:
            results.append(exc)

    async with anyio.create_task_group() as group:
        for adapter, patient in zip(workers, patients, strict=True):
            group.start_soon(attempt, adapter, patient)
    booked = [r for r in results if isinstance(r, Appointment)]
    assert len(booked) == 1, results
    assert all(isinstance(r, SlotUnavailable) for r in results if r not in booked)
    assert _live_at(demo.fake, slot) == [booked[0].id]
    assert demo.fake.count("POST", "^/individual_appointments$") == 4
    created = [
        a
        for a in demo.fake.appointments.values()
        if a.starts_at == slot.starts_at and a.practitioner_id == slot.practitioner_id
    ]
    assert len(created) == 4
    assert booked[0].id == min(created, key=lambda a: int(a.id)).id


async def test_reschedule_in_place_sends_a_null_end(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    adapter = make_adapter()
    old, new = _pair(await _slots(adapter, "Sarah Chen"))
    booked = await adapter.book(old.id, _patient(demo), "key-move-book")
    moved = await adapter.reschedule(booked.id, new.id, "key-move")
    assert moved.id == booked.id
    assert (moved.starts_at, moved.ends_at) == (new.starts_at, new.ends_at)
    stored = demo.fake.appointments[booked.id]
    assert stored.ends_at == new.ends_at


async def test_reschedule_to_another_practitioner_rebooks_and_cancels(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    adapter = make_adapter()
    old = (await _slots(adapter, "Sarah Chen"))[0]
    new = (await _slots(adapter, "James O'Brien"))[0]
    booked = await adapter.book(old.id, _patient(demo), "key-cross-book")
    moved = await adapter.reschedule(booked.id, new.id, "key-cross")
    assert moved.id != booked.id and moved.practitioner_id == new.practitioner_id
    assert demo.fake.appointments[booked.id].cancelled_at is not None
    assert not adapter.capabilities.reschedule_in_place


async def test_a_move_that_overlaps_after_all_is_undone(
    make_adapter: AdapterFactory, demo: DemoClinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = demo.fake
    adapter = make_adapter()
    old, new = _pair(await _slots(adapter, "Sarah Chen"))
    booked = await adapter.book(old.id, _patient(demo), "key-undo-book")
    stored = fake.appointments[booked.id]

    async def free_when_read(*args: object) -> bool:
        # The re-read said free, then someone booked that time before our PATCH landed.
        others = list(demo.patients.values())[1]
        fake.add_appointment(
            others,
            stored.practitioner_id,
            stored.business_id,
            stored.appointment_type_id,
            new.starts_at,
        )
        return True

    monkeypatch.setattr(adapter.availability, "is_offered", free_when_read)
    with pytest.raises(SlotUnavailable):
        await adapter.reschedule(booked.id, new.id, "key-undo")
    assert (stored.starts_at, stored.ends_at) == (old.starts_at, old.ends_at)
    assert stored.cancelled_at is None


async def test_cancel_maps_the_reason_and_is_harmless_twice(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    adapter = make_adapter()
    slot = (await _slots(adapter))[0]
    booked = await adapter.book(slot.id, _patient(demo), "key-cancel")
    cancelled = await adapter.cancel(booked.id, CancellationReason.ILLNESS, "flu")
    assert cancelled.status == AppointmentStatus.CANCELLED
    stored = demo.fake.appointments[booked.id]
    assert stored.cancellation_reason == 30
    assert stored.cancellation_note == "Illness (by phone): flu"
    again = await adapter.cancel(booked.id, CancellationReason.OTHER)
    assert again.status == AppointmentStatus.CANCELLED and stored.cancellation_reason == 30


async def test_a_cancel_whose_answer_is_lost_is_checked_not_failed(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    adapter = make_adapter()
    slot = (await _slots(adapter))[0]
    booked = await adapter.book(slot.id, _patient(demo), "key-cancel-lost")
    demo.fake.lose_next_response("PATCH", "/cancel$", status=504)
    cancelled = await adapter.cancel(booked.id, CancellationReason.PATIENT_REQUEST)
    assert cancelled.status == AppointmentStatus.CANCELLED


async def test_a_lost_patient_registration_makes_one_patient(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    fake = demo.fake
    fake.settings.lost_response_hang = 1.0
    adapter = make_adapter(timeout=0.3)
    new = NewPatient(first_name="Ines", last_name="Lopez", phones=("+61491570006",))
    fake.lose_next_response("POST", "^/patients$")
    created = await adapter.create_patient(new, "key-patient")
    again = await make_adapter().create_patient(new, "key-patient-after-restart")
    assert again.id == created.id
    assert created.phones == ("+61491570006",)
    assert [p.id for p in fake.patients.values() if p.last_name == "Lopez"] == [created.id]
    found = await adapter.find_patients(PatientQuery(phone="0491 570 006"))
    assert [p.id for p in found] == [created.id]
