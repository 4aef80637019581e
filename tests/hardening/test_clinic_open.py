"""Issue 15, item 8: each clinic's PMS opens on its own. A PMS that hangs holds up only its own
clinic's calls (for at most `pms_open_timeout`), concurrent calls share one attempt, and a
failure is remembered (with a growing back-off) instead of being retried on every call."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from diary import Diary, FixedClock
from receptionist.settings import Settings
from receptionist.telephony.clinics import ClinicDirectory, ClinicUnavailable
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.anyio


class HungPMS:
    """A server that accepts connections and never answers: a PMS that has hung."""

    def __init__(self) -> None:
        self.connections = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)

    async def __aenter__(self) -> HungPMS:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        for writer in self._writers:
            writer.close()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def hung() -> AsyncIterator[HungPMS]:
    async with HungPMS() as server:
        yield server


@pytest.fixture
def demo_diary(tmp_path: Path, sqlite_demo_source: Path) -> Iterator[Diary]:
    path = tmp_path / "service.db"
    shutil.copy(sqlite_demo_source, path)
    diary = Diary.open(f"sqlite:///{path}", FixedClock(DEMO_NOW))
    yield diary
    diary.close()


def directory_for(tmp_path: Path, hung: HungPMS, diary: Diary) -> ClinicDirectory:
    path = tmp_path / "clinics.yaml"
    path.write_text(
        f"""clinics:
  - key: stuck
    numbers: ['+61255501234']
    pms:
      adapter: cliniko
      settings: {{api_key: "key-au1", base_url: "{hung.url}", slot_secret: "{"s" * 32}"}}
  - key: fine
    numbers: ['+61255509999']
""",
        encoding="utf-8",
    )
    settings = Settings(
        environment="test",
        clinics_file=str(path),
        pms_open_timeout=0.5,
        pms_open_retry_after=0.4,
        slot_secret="hardening-tests-slot-secret",
        twilio_auth_token="hardening-tests-auth-token",
    )
    return ClinicDirectory(settings, diary, now=diary.clock.now)


async def test_a_hung_pms_holds_up_nobody_elses_calls(
    tmp_path: Path, hung: HungPMS, demo_diary: Diary
) -> None:
    directory = directory_for(tmp_path, hung, demo_diary)
    stuck, fine = directory.configs
    try:
        opening = [asyncio.create_task(directory.open(stuck)) for _ in range(5)]
        await asyncio.sleep(0.05)
        live = await asyncio.wait_for(directory.open(fine), 5)
        assert live.config.key == "fine"
        assert not any(task.done() for task in opening)  # still stuck, and nobody waited on it
        results = await asyncio.gather(*opening, return_exceptions=True)
        assert all(isinstance(r, ClinicUnavailable) for r in results)
        assert hung.connections == 1  # five calls, one attempt
        # Remembered: the next call hears at once, without another attempt.
        with pytest.raises(ClinicUnavailable):
            await asyncio.wait_for(directory.open(stuck), 0.1)
        assert hung.connections == 1
        # After the pause, one more try; it fails again, and the pause before the next doubles.
        await asyncio.sleep(0.45)
        with pytest.raises(ClinicUnavailable):
            await directory.open(stuck)
        assert hung.connections == 2
        await asyncio.sleep(0.45)
        with pytest.raises(ClinicUnavailable):
            await asyncio.wait_for(directory.open(stuck), 0.1)
        assert hung.connections == 2
        await asyncio.sleep(0.4)
        with pytest.raises(ClinicUnavailable):
            await directory.open(stuck)
        assert hung.connections == 3
        assert await directory.open(fine) is live  # opened once, shared by its calls
    finally:
        await directory.aclose()


async def test_a_caller_who_hangs_up_mid_open_does_not_cancel_it_for_the_others(
    tmp_path: Path, hung: HungPMS, demo_diary: Diary
) -> None:
    directory = directory_for(tmp_path, hung, demo_diary)
    stuck, _ = directory.configs
    try:
        first = asyncio.create_task(directory.open(stuck))
        second = asyncio.create_task(directory.open(stuck))
        await asyncio.sleep(0.05)
        first.cancel()
        with pytest.raises(ClinicUnavailable):
            await second  # the shared attempt ran its course (and timed out) for this caller
        assert first.cancelled() and hung.connections == 1
    finally:
        await directory.aclose()


async def test_failed_identifications_are_counted_per_number_across_workers(
    tmp_path: Path, demo_diary: Diary
) -> None:
    """Item 12's per-number count lives in the ledger every worker shares: two directories
    (two workers) on one database count one number's failures together."""
    from receptionist.calls import CallStore
    from receptionist.telephony.ledger import DatabaseLedger

    CallStore(demo_diary.engine).create_tables()
    settings = Settings(environment="test", twilio_auth_token="hardening-tests-auth-token")
    workers = [
        ClinicDirectory(
            settings, demo_diary, now=demo_diary.clock.now, ledger=DatabaseLedger(demo_diary.engine)
        )
        for _ in range(2)
    ]
    try:
        first, second = [await w.open(w.configs[0]) for w in workers]
        assert await first.clinic.count_failures("+61412345678") == 1
        assert await second.clinic.count_failures("+61412345678") == 2
        assert await first.clinic.count_failures("+61412345678") == 3
        assert await second.clinic.count_failures("+61499999999") == 1  # another number
    finally:
        for worker in workers:
            await worker.aclose()
