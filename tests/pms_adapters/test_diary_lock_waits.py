"""A diary write blocked by another writer fails cleanly before the adapter gives up on it.

Issue 15, item 9: SQLite waited 30 s for its write lock while the adapter gave up after 10 s,
so the caller heard silence, was told the booking was unconfirmed, and then it landed. The
database's own wait is now well inside the adapter's timeout: the write fails as
`PMSUnavailable` (it never began, and the caller is told so), nothing lands later, and the same
request afterwards books exactly once. On SQLite and PostgreSQL (the `engine` fixture).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import anyio
import anyio.to_thread
import pytest
from sqlalchemy import func, select

from diary import Diary
from diary.booking import lock_practitioners
from diary.db import LOCK_WAIT_S, POSTGRES_LOCK_TIMEOUT_S, SQLITE_BUSY_TIMEOUT_S, write_session
from diary.models import Appointment as AppointmentRow
from pms_adapters.diary_adapter import DiaryAdapter
from pms_adapters.errors import PMSUnavailable, WriteOutcomeUnknown
from pms_adapters.resilience import ResilientPMS, RetryPolicy
from pms_adapters.types import PatientQuery, SlotQuery
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.anyio

SECRET = b"diary-lock-wait-test-secret"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_database_waits_are_well_inside_the_adapters_timeout() -> None:
    adapter_timeout = RetryPolicy().timeout_seconds
    for wait in (LOCK_WAIT_S, SQLITE_BUSY_TIMEOUT_S, POSTGRES_LOCK_TIMEOUT_S):
        # Room for the rest of the transaction after the wait, and for a slow worker thread.
        assert wait <= adapter_timeout / 2


def _appointments(diary: Diary) -> int:
    with write_session(diary.engine) as session:
        return session.scalar(select(func.count()).select_from(AppointmentRow)) or 0


async def test_a_write_blocked_by_another_writer_fails_in_time_and_never_lands_later(
    diary: Diary, demo: int
) -> None:
    adapter = DiaryAdapter(diary, demo, SECRET)
    pms = ResilientPMS(adapter)  # the default policy: the timeout the service runs with
    patient = (await adapter.find_patients(PatientQuery(phone="0412 345 678")))[0].id
    initial = next(
        t.id
        for t in await adapter.appointment_types()
        if t.name == "Initial physiotherapy consultation"
    )
    query = SlotQuery(
        appointment_type_id=initial,
        starts_after=DEMO_NOW,
        ends_before=DEMO_NOW + timedelta(days=7),
        limit=1,
    )
    slot = (await adapter.find_slots(query))[0]
    before = _appointments(diary)
    locked, release = threading.Event(), threading.Event()

    def another_writer() -> None:
        # BEGIN IMMEDIATE on SQLite (the one write lock), a row lock on PostgreSQL.
        with write_session(diary.engine) as session:
            lock_practitioners(session, demo, [int(slot.practitioner_id)])
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=another_writer)
    holder.start()
    try:
        assert await anyio.to_thread.run_sync(locked.wait, 10)
        started = time.monotonic()
        with anyio.fail_after(RetryPolicy().timeout_seconds + 5):
            with pytest.raises(PMSUnavailable) as raised:
                await pms.book(slot.id, patient, "blocked-book")
        waited = time.monotonic() - started
        # A clean failure, not "it may have landed": the write never began.
        assert not isinstance(raised.value, WriteOutcomeUnknown)
        assert LOCK_WAIT_S * 0.8 <= waited < RetryPolicy().timeout_seconds
    finally:
        release.set()
        await anyio.to_thread.run_sync(holder.join, 10)
    await anyio.sleep(0.2)
    assert _appointments(diary) == before  # nothing landed behind the caller's back
    again = await pms.book(slot.id, patient, "blocked-book")
    assert await pms.book(slot.id, patient, "blocked-book") == again
    assert _appointments(diary) == before + 1
