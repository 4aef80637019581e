"""The service on a real port (uvicorn in a thread) with a fake Twilio REST API beside it."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from diary import Diary, FixedClock
from receptionist.app import create_app
from receptionist.settings import Settings
from receptionist.telephony.direct import DirectWebSocketProtocol
from receptionist.telephony.service import Telephony
from receptionist.telephony.simulator import CallSimulator
from tests.conftest import DEMO_NOW
from tests.fakes.twilio_rest import FakeTwilio

PUBLIC = "https://clinic.example.com"
ADMIN = "admin-test-token"
OLIVIA = "+61412345678"
CLINIC_NUMBER = "+61255501234"
# How `receptionist serve` runs: uvicorn's sans-I/O websockets with the media bridge's direct
# frame path. Tests that pass `ws="websockets-sansio"` check the plain ASGI path.
WS_IMPLEMENTATION: Any = DirectWebSocketProtocol


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def realtime_clinic(tmp_path: Path) -> Path:
    """A clinics file with one clinic on the test number, answering by Media Streams."""
    path = tmp_path / "clinics.yaml"
    path.write_text(
        f"clinics:\n  - key: harbourside\n    numbers: ['{CLINIC_NUMBER}']\n    mode: realtime\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def fake_model() -> Iterator[Any]:
    """A fake OpenAI Chat Completions server (tests.fakes.openai_chat) on a real port."""
    from tests.fakes.openai_chat import FakeOpenAI

    with FakeOpenAI() as fake:
        yield fake


def simulator(server: Server, fake: FakeTwilio, caller: str = OLIVIA) -> CallSimulator:
    """A ConversationRelay call to the service, from `caller` to the clinic's number."""
    return CallSimulator(
        server.url,
        fake.auth_token,
        public_base_url=PUBLIC,
        account_sid=fake.account_sid,
        caller=caller,
        called=CLINIC_NUMBER,
    )


@dataclass
class Server:
    """The running service: where it listens, its app and its diary."""

    url: str
    app: FastAPI
    diary: Diary
    settings: Settings

    @property
    def telephony(self) -> Telephony:
        service: Telephony = self.app.state.telephony
        return service

    def admin(self, path: str) -> Any:
        response = httpx.get(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10
        )
        response.raise_for_status()
        return response.json()


def serve(
    app: FastAPI, ws: Any = WS_IMPLEMENTATION
) -> tuple[uvicorn.Server, threading.Thread, str]:
    service = getattr(app.state, "telephony", None)
    max_size = service.settings.max_frame_bytes if service else Settings().max_frame_bytes
    config = uvicorn.Config(
        app,
        loop="asyncio",
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ws=ws,
        ws_max_size=max_size,  # as `receptionist serve` runs it
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def make_server(tmp_path: Path, sqlite_demo_source: Path, fake_twilio: FakeTwilio) -> Iterator[Any]:
    """Starts the service on a copy of the demo clinic; keyword arguments override settings
    (`ws=` picks uvicorn's websocket implementation)."""
    running: list[tuple[uvicorn.Server, threading.Thread, Diary]] = []

    def start(ws: Any = WS_IMPLEMENTATION, **overrides: Any) -> Server:
        path = tmp_path / f"service-{len(running)}.db"
        shutil.copy(sqlite_demo_source, path)
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": f"sqlite:///{path}",
            "engine": "guided",
            "public_base_url": PUBLIC,
            "twilio_account_sid": fake_twilio.account_sid,
            "twilio_auth_token": fake_twilio.auth_token,
            "twilio_api_base_url": fake_twilio.base_url,
            "admin_token": ADMIN,
            "slot_secret": "telephony-tests-slot-secret",
        }
        values.update(overrides)
        settings = Settings(**values)
        diary = Diary.open(settings.database_url, FixedClock(DEMO_NOW))
        app = create_app(settings, diary)
        server, thread, url = serve(app, ws)
        running.append((server, thread, diary))
        return Server(url, app, diary, settings)

    yield start
    for server, thread, diary in running:
        server.should_exit = True
        thread.join(timeout=10)
        diary.close()
