"""find_slots over available_times: 7-day calls, pages, 404s skipped, the budget respected."""

from __future__ import annotations

import time
from datetime import date, timedelta
from urllib.parse import parse_qs

import anyio
import pytest

from pms_adapters.budget import LocalTokenBucket
from pms_adapters.cliniko import ClinikoAdapter
from pms_adapters.errors import NotFound
from pms_adapters.types import SlotQuery
from tests.conftest import DEMO_NOW
from tests.fakes.cliniko import FakeCliniko
from tests.fakes.cliniko.demo import DemoClinic
from tests.pms_adapters.cliniko.conftest import AdapterFactory

pytestmark = pytest.mark.anyio


async def _query(adapter: ClinikoAdapter, kind: str, days: int, **fields: object) -> SlotQuery:
    kinds = {t.name: t.id for t in await adapter.appointment_types()}
    return SlotQuery.model_validate(
        {
            "appointment_type_id": kinds[kind],
            "starts_after": DEMO_NOW,
            "ends_before": DEMO_NOW + timedelta(days=days),
            **fields,
        }
    )


def _time_frames(fake: FakeCliniko) -> list[tuple[date, date]]:
    frames = []
    for request in fake.log:
        if request.path.endswith("/available_times"):
            params = parse_qs(request.query)
            if "page" not in params:
                frames.append(
                    (date.fromisoformat(params["from"][0]), date.fromisoformat(params["to"][0]))
                )
    return frames


async def test_long_windows_are_split_into_seven_day_calls(
    make_adapter: AdapterFactory, fake: FakeCliniko
) -> None:
    fake.settings.max_span_days = 6  # the stricter reading ("6 days or less") must pass too
    adapter = make_adapter()
    slots = await adapter.find_slots(
        await _query(adapter, "Initial physiotherapy consultation", 20)
    )
    assert slots and all(fake.log[i].status != 400 for i in range(len(fake.log)))
    frames = _time_frames(fake)
    assert frames and all(0 <= (last - first).days <= 6 for first, last in frames)
    days = {
        first + timedelta(days=n) for first, last in frames for n in range((last - first).days + 1)
    }
    assert min(days) == date(2026, 3, 2) and max(days) == date(2026, 3, 22)
    assert [s.starts_at for s in slots] == sorted(s.starts_at for s in slots)
    assert slots[-1].starts_at < DEMO_NOW + timedelta(days=20)


async def test_pages_are_followed(make_adapter: AdapterFactory, fake: FakeCliniko) -> None:
    fake.appointments.clear()
    fake.settings.slot_step_minutes = 5  # hundreds of starts a week: several pages
    adapter = make_adapter()
    query = await _query(adapter, "Remedial massage", 7)
    slots = await adapter.find_slots(query)
    pages = [r for r in fake.log if r.path.endswith("/available_times")]
    assert len(slots) > 300
    assert sum("page=" in r.query for r in pages) >= 3


async def test_a_limit_stops_after_the_first_round(
    make_adapter: AdapterFactory, fake: FakeCliniko
) -> None:
    adapter = make_adapter()
    query = await _query(adapter, "Initial physiotherapy consultation", 28, limit=3)
    slots = await adapter.find_slots(query)
    assert len(slots) == 3
    assert {first for first, _ in _time_frames(fake)} == {date(2026, 3, 2)}


async def test_online_bookings_off_is_skipped_not_fatal(
    make_adapter: AdapterFactory, demo: DemoClinic
) -> None:
    fake = demo.fake
    adapter = make_adapter()
    query = await _query(adapter, "Initial physiotherapy consultation", 7)
    everyone = await adapter.find_slots(query)
    sarah = next(p for p in fake.practitioners.values() if p.first_name == "Sarah")
    sarah.show_in_online_bookings = False
    without = await adapter.find_slots(query)
    assert without and {s.practitioner_id for s in without} == {
        s.practitioner_id for s in everyone
    } - {sarah.id}
    assert any(r.status == 404 for r in fake.log if r.path.endswith("/available_times"))
    pilates = await _query(adapter, "Clinical pilates assessment", 7)
    assert await adapter.find_slots(pilates) == []  # not bookable by phone: 404 everywhere


async def test_unknown_types_and_windows_in_the_past(make_adapter: AdapterFactory) -> None:
    adapter = make_adapter()
    query = await _query(adapter, "Remedial massage", 7)
    with pytest.raises(NotFound):
        await adapter.find_slots(query.model_copy(update={"appointment_type_id": "123"}))
    past = query.model_copy(
        update={
            "starts_after": DEMO_NOW - timedelta(days=9),
            "ends_before": DEMO_NOW - timedelta(days=2),
        }
    )
    assert await adapter.find_slots(past) == []


async def test_a_burst_of_searches_stays_under_the_limit_by_waiting(
    make_adapter: AdapterFactory, fake: FakeCliniko
) -> None:
    """The fake allows 30 requests per 1-second window (Cliniko's 200 per minute, compressed);
    a budget of 24 a second with a burst of 4 (at most 28 in any second) must keep a burst of
    searches, more requests than one window allows, under it by waiting, never by a 429."""
    fake.settings.rate_limit = 30
    fake.settings.rate_window = 1.0
    budget = LocalTokenBucket(rate_per_minute=24 * 60, burst=4, max_wait=60)
    adapter = make_adapter(budget=budget, max_concurrency=8)
    await adapter.practitioners()  # reference data first
    query = await _query(adapter, "Initial physiotherapy consultation", 14)
    before = len(fake.log)
    started = time.monotonic()
    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(adapter.find_slots, query)
    elapsed = time.monotonic() - started
    sent = len(fake.log) - before
    assert sent > 30  # more than one window allows: without waiting, some would be refused
    assert all(r.status != 429 for r in fake.log), "the adapter went over the limit"
    assert fake.max_requests_per_window(1.0) <= 30
    assert elapsed >= (sent - 4) / 24 * 0.9  # it waited for tokens rather than bursting
