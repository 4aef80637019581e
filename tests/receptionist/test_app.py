"""The HTTP service: health, the demo view, errors; and `receptionist serve` for real."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from diary import Diary, FixedClock
from receptionist.app import create_app
from receptionist.settings import Settings
from tests.conftest import DEMO_NOW


@pytest.fixture
def client(engine: Engine, clock: FixedClock) -> Iterator[httpx.Client]:
    """The app served by uvicorn on a loopback port, in a thread; real HTTP."""
    app = create_app(
        Settings(environment="test", twilio_auth_token="app-tests-auth-token"), Diary(engine, clock)
    )
    config = uvicorn.Config(app, loop="asyncio", host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        yield http
    server.should_exit = True
    thread.join(timeout=10)


def test_healthz(client: httpx.Client, engine: Engine) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": engine.dialect.name}


def test_demo_slots_are_seeded_on_start_and_in_local_time(client: httpx.Client) -> None:
    body = client.get("/demo/slots", params={"count": 3}).json()
    assert body["clinic"] == "Harbourside Physio"
    assert len(body["appointment_types"]) == 4
    for appt_type in body["appointment_types"]:
        assert len(appt_type["slots"]) == 3
        for slot in appt_type["slots"]:
            starts = datetime.fromisoformat(slot["starts_at"])
            assert starts > DEMO_NOW
            assert starts.utcoffset() is not None and starts.utcoffset().total_seconds() in (
                36000,
                39600,
            )
            assert slot["practitioner"] and slot["location"]


def test_demo_slots_filters_and_errors(client: httpx.Client) -> None:
    one = client.get("/demo/slots", params={"appointment_type_id": 3}).json()
    assert [t["appointment_type"] for t in one["appointment_types"]] == ["Remedial massage"]
    missing = client.get("/demo/slots", params={"appointment_type_id": 999})
    assert missing.status_code == 404
    assert missing.json()["error"] == "NotFound"
    assert client.get("/demo/slots", params={"count": 0}).status_code == 422
    assert client.get("/demo/slots", params={"count": 21}).status_code == 422


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_receptionist_serve_runs_the_embedded_default(tmp_path: Path) -> None:
    """The quick start's command: a SQLite file, the demo seeded on first start, no keys."""
    port = _free_port()
    env = {**os.environ, "RECEPTIONIST_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    env.pop("OPENAI_API_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "receptionist", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"service did not start:\n{output}")
                time.sleep(0.2)
        assert health.json()["database"] == "sqlite"
        slots = httpx.get(f"http://127.0.0.1:{port}/demo/slots", timeout=10).json()
        assert all(len(t["slots"]) == 5 for t in slots["appointment_types"])
        assert (tmp_path / "demo.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
