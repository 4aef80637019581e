"""Issue 15's suite that keeps it so: property-based fuzzing of every Twilio webhook form and
of both call sockets (before and after admission), and schemathesis over the service's own
OpenAPI. One service on a real port serves the whole module (a relay clinic and a Media
Streams clinic on the demo diary, a fake Realtime server behind the second); every example
must leave it answering, with no 5xx, no traceback, and nothing recorded for anyone not let in.

Examples are derandomised (the same every run, so CI is repeatable) and few enough to keep the
module well inside two minutes.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from diary import Diary, FixedClock
from receptionist.app import create_app
from receptionist.settings import Settings
from receptionist.telephony.simulator import sign
from tests.conftest import DEMO_NOW
from tests.fakes.openai_realtime import AfterClientEvent, Audio, FakeRealtimeServer, Script
from tests.fakes.twilio_rest import FakeTwilio
from tests.telephony.conftest import ADMIN, CLINIC_NUMBER, OLIVIA, PUBLIC, serve

RELAY_NUMBER = CLINIC_NUMBER
MEDIA_NUMBER = "+61255507777"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Problems(logging.Handler):
    """Every record at ERROR or above, or carrying a traceback, from the service's loggers."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.found.append(f"{record.name}: {record.getMessage()}")


@dataclass
class Service:
    url: str
    twilio: FakeTwilio
    realtime: FakeRealtimeServer
    problems: Problems

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://")

    def calls(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/api/calls", headers=AUTH, timeout=10)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def post(self, path: str, form: dict[str, str], *, signed: bool = True) -> httpx.Response:
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = sign(self.twilio.auth_token, f"{PUBLIC}{path}", form)
        return httpx.post(f"{self.url}{path}", data=form, headers=headers, timeout=10)

    def answer(self, number: str) -> tuple[str, dict[str, str]]:
        """Ring the service as Twilio does: the call's SID and its socket's parameters."""
        call_sid = "CA" + secrets.token_hex(16)
        form = {
            "CallSid": call_sid,
            "AccountSid": self.twilio.account_sid,
            "From": OLIVIA,
            "To": number,
            "CallStatus": "ringing",
            "Direction": "inbound",
        }
        response = self.post("/twilio/voice", form)
        assert response.status_code == 200, response.text
        return call_sid, dict(re.findall(r'<Parameter name="(\w+)" value="([^"]*)"', response.text))

    def healthy(self) -> None:
        assert httpx.get(f"{self.url}/healthz", timeout=10).status_code == 200
        assert self.problems.found == []


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, sqlite_demo_source: Path
) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("fuzz")
    database = folder / "service.db"
    shutil.copy(sqlite_demo_source, database)
    clinics = folder / "clinics.yaml"
    clinics.write_text(
        f"""clinics:
  - key: harbourside
    numbers: ['{RELAY_NUMBER}']
  - key: voice
    numbers: ['{MEDIA_NUMBER}']
    mode: realtime
""",
        encoding="utf-8",
    )
    greeting = AfterClientEvent("response.create", respond=Audio(ms=100, transcript="Hello"))
    problems = Problems()
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "receptionist")]
    with FakeTwilio() as twilio, FakeRealtimeServer(lambda: Script([greeting]), pace=0) as rt:
        settings_ = Settings(
            environment="test",
            database_url=f"sqlite:///{database}",
            engine="guided",
            public_base_url=PUBLIC,
            twilio_account_sid=twilio.account_sid,
            twilio_auth_token=twilio.auth_token,
            twilio_api_base_url=twilio.base_url,
            admin_token=ADMIN,
            slot_secret="fuzz-tests-slot-secret-0123456789",
            clinics_file=str(clinics),
            openai_api_key="test",
            openai_websocket_base_url=rt.websocket_base_url,
            realtime_vad="server_vad",
        )
        diary = Diary.open(settings_.database_url, FixedClock(DEMO_NOW))
        server, thread, url = serve(create_app(settings_, diary))
        for logger in loggers:
            logger.addHandler(problems)
        try:
            yield Service(url, twilio, rt, problems)
        finally:
            for logger in loggers:
                logger.removeHandler(problems)
            server.should_exit = True
            thread.join(timeout=10)
            diary.close()


# -- webhooks -------------------------------------------------------------------------------------

WEBHOOKS = ["/twilio/voice", "/twilio/status", "/twilio/relay-action", "/twilio/whisper",
            "/twilio/recording"]  # fmt: skip
TWILIO_FIELDS = ["CallSid", "AccountSid", "From", "To", "CallStatus", "CallDuration",
                 "RecordingUrl", "RecordingSid", "RecordingDuration", "HandoffData",
                 "Digits"]  # fmt: skip
text = st.text(max_size=40)
forms = st.dictionaries(st.one_of(st.sampled_from(TWILIO_FIELDS), text), text, max_size=8)


@FUZZ
@given(path=st.sampled_from(WEBHOOKS), form=forms, signed=st.booleans(), account=st.booleans())
def test_webhook_forms_never_break_the_service(
    service: Service, path: str, form: dict[str, str], signed: bool, account: bool
) -> None:
    if account:
        form = {**form, "AccountSid": service.twilio.account_sid}
    before = len(service.calls())
    response = service.post(path, form, signed=signed)
    assert response.status_code < 500, response.text
    if not signed:
        assert response.status_code in (403, 415)  # 415: an empty body, no form at all
        assert len(service.calls()) == before  # a forged webhook leaves nothing behind
    service.healthy()


@FUZZ
@given(
    path=st.sampled_from(WEBHOOKS),
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json",
            "text/plain",
            "",
        ]
    ),  # fmt: skip
)
def test_webhook_bodies_never_break_the_service(
    service: Service, path: str, body: bytes, content_type: str
) -> None:
    before = len(service.calls())
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(f"{service.url}{path}", content=body, headers=headers, timeout=10)
    assert 400 <= response.status_code < 500
    assert len(service.calls()) == before
    service.healthy()


# -- the two call sockets -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)


def messages(kinds: list[str], key: str) -> st.SearchStrategy[str | bytes]:
    """Frames a broken or hostile peer might send: objects of the protocol's kinds with
    fields of any type, other JSON, text that is not JSON, and binary."""
    fields = st.dictionaries(
        st.sampled_from(["voicePrompt", "last", "digit", "utteranceUntilInterrupt", "media",
                         "mark", "dtmf", "start", "streamSid", "description", "payload"]) | text,
        json_values, max_size=4,
    )  # fmt: skip
    objects = st.builds(
        lambda kind, rest: json.dumps({**rest, key: kind}),
        st.sampled_from(kinds) | text | st.integers().map(str),
        fields,
    )
    return st.one_of(
        objects,
        json_values.map(json.dumps),
        text,
        st.binary(max_size=64),
    )


def finish(ws: ClientConnection) -> int | None:
    """Close our side (or see the service close it) and return the close code it gave."""
    try:
        ws.close()
    except ConnectionClosed:
        pass
    return ws.close_code


RELAY_KINDS = ["setup", "prompt", "dtmf", "interrupt", "error", "info"]
MEDIA_KINDS = ["connected", "start", "media", "mark", "dtmf", "stop"]


@FUZZ
@given(frame=messages(RELAY_KINDS, "type"))
def test_a_relay_socket_lets_nobody_in_on_a_frame_that_is_not_a_setup_with_a_token(
    service: Service, frame: str | bytes
) -> None:
    before = len(service.calls())
    with connect(f"{service.ws}/twilio/relay", open_timeout=10) as ws:
        ws.send(frame)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1008
    assert len(service.calls()) == before
    service.healthy()


@FUZZ
@given(frames=st.lists(messages(RELAY_KINDS, "type"), max_size=6))
def test_an_admitted_relay_call_survives_any_frames_with_its_record(
    service: Service, frames: list[str | bytes]
) -> None:
    call_sid, parameters = service.answer(RELAY_NUMBER)
    with connect(f"{service.ws}/twilio/relay", open_timeout=10) as ws:
        setup = {"type": "setup", "callSid": call_sid, "from": OLIVIA, "to": RELAY_NUMBER}
        ws.send(json.dumps({**setup, "customParameters": parameters}))
        try:
            for frame in frames:
                ws.send(frame)
        except ConnectionClosed:
            pass  # the service ended the call on a frame Twilio never sends
        assert finish(ws) in (1000, 1003, 1005, 1008, 1009)
    record = httpx.get(f"{service.url}/api/calls/{call_sid}", headers=AUTH, timeout=10)
    assert record.status_code == 200
    service.healthy()


@FUZZ
@given(frames=st.lists(messages(MEDIA_KINDS, "event"), min_size=1, max_size=4))
def test_a_media_socket_opens_nothing_upstream_without_a_good_start(
    service: Service, frames: list[str | bytes]
) -> None:
    before, sessions = len(service.calls()), len(service.realtime.sessions)
    with connect(f"{service.ws}/twilio/media", open_timeout=10) as ws:
        try:
            for frame in frames:
                ws.send(frame)
            ws.recv(timeout=1)  # the service closes it, or it waits for a start that never comes
        except (ConnectionClosed, TimeoutError):
            pass
        finish(ws)
    assert len(service.realtime.sessions) == sessions  # no OpenAI money spent
    assert len(service.calls()) == before
    service.healthy()


@FUZZ
@given(frames=st.lists(messages(MEDIA_KINDS, "event"), max_size=6))
def test_an_admitted_media_call_survives_any_frames_with_its_record(
    service: Service, frames: list[str | bytes]
) -> None:
    call_sid, parameters = service.answer(MEDIA_NUMBER)
    with connect(f"{service.ws}/twilio/media", open_timeout=10) as ws:
        ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {"streamSid": "MZ" + secrets.token_hex(16), "callSid": call_sid,
                 "customParameters": parameters, "tracks": ["inbound"]}  # fmt: skip
        ws.send(json.dumps({"event": "start", "start": start, "streamSid": start["streamSid"]}))
        try:
            for frame in frames:
                ws.send(frame)
        except ConnectionClosed:
            pass
        finish(ws)
    record = httpx.get(f"{service.url}/api/calls/{call_sid}", headers=AUTH, timeout=10)
    assert record.status_code == 200
    service.healthy()


# -- the service's own API ------------------------------------------------------------------------


def test_the_api_keeps_its_schema_and_its_door(service: Service) -> None:
    """schemathesis over the service's OpenAPI: with the admin token every response is the
    one the schema promises (no 5xx); without it, nothing under /api opens."""
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(op.path.startswith("/api") for op in operations)
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(base_url=service.url, headers=AUTH)
            if case.path.startswith("/api"):
                assert case.call(base_url=service.url).status_code in (401, 403)
            service.healthy()

        check()


def test_each_fuzzed_call_left_the_worker_serving(service: Service) -> None:
    """After everything above, a plain call still goes through start to finish."""
    call_sid, parameters = service.answer(RELAY_NUMBER)
    with connect(f"{service.ws}/twilio/relay", open_timeout=10) as ws:
        setup = {"type": "setup", "callSid": call_sid, "from": OLIVIA, "to": RELAY_NUMBER}
        ws.send(json.dumps({**setup, "customParameters": parameters}))
        ws.send(json.dumps({"type": "prompt", "voicePrompt": "What are your hours?", "last": True}))
        assert json.loads(ws.recv(timeout=10))["type"] == "text"
    assert threading.active_count() < 200
    service.healthy()
