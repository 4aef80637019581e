"""The protocol fakes behave like the real services: the real `openai` client talks to the fake
Realtime server, and the fake Twilio Media Streams client paces, plays and echoes like Twilio."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.resources.realtime.realtime import AsyncRealtimeConnection
from openai.types.realtime import RealtimeServerEvent
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidStatus

from tests.fakes.openai_realtime import (
    AfterAudioMs,
    AfterClientEvent,
    AfterDelay,
    AfterFunctionOutput,
    AfterResponseDone,
    Audio,
    FakeRealtimeServer,
    FunctionCall,
    OnConnect,
    Script,
    Truncation,
)
from tests.fakes.twilio_media import FRAME_BYTES, MediaStreamCall

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
SILENCE_20MS = base64.b64encode(b"\xff" * FRAME_BYTES).decode("ascii")
GA_SESSION: dict[str, Any] = {
    "type": "realtime",
    "model": "gpt-realtime",
    "output_modalities": ["audio"],
    "instructions": "You are the front desk for Harbourside Physio.",
    "audio": {
        "input": {
            "format": {"type": "audio/pcmu"},
            "turn_detection": {"type": "server_vad", "interrupt_response": True},
        },
        "output": {"format": {"type": "audio/pcmu"}, "voice": "marin"},
    },
    "tools": [
        {
            "type": "function",
            "name": "clinic_info",
            "description": "Opening hours, address, parking.",
            "parameters": {"type": "object", "properties": {"topic": {"type": "string"}}},
        }
    ],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def client_for(fake: FakeRealtimeServer, api_key: str = "test") -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key=api_key, websocket_base_url=fake.websocket_base_url)


async def next_of(conn: AsyncRealtimeConnection, kind: str, within: float = 5.0) -> Any:
    """Receive until an event of type `kind` (returned); fail on an unexpected `error`."""
    async with asyncio.timeout(within):
        while True:
            event: RealtimeServerEvent = await conn.recv()
            if event.type == kind:
                return event
            assert event.type != "error", event


async def collect_until(conn: AsyncRealtimeConnection, kind: str, within: float = 5.0) -> list[Any]:
    events: list[Any] = []
    async with asyncio.timeout(within):
        while True:
            event = await conn.recv()
            events.append(event)
            if event.type == kind:
                return events


async def append_ms(conn: AsyncRealtimeConnection, ms: int) -> None:
    for _ in range(ms // 20):
        await conn.input_audio_buffer.append(audio=SILENCE_20MS)


# --------------------------------------------------------------- fake Realtime


async def test_the_openai_client_runs_a_whole_call_against_the_fake() -> None:
    script = Script(
        [
            AfterClientEvent(
                "session.update",
                respond=Audio(ms=300, transcript="Hello, Harbourside Physio", pace=0),
            ),
            AfterAudioMs(
                200,
                speech_started=True,
                speech_stopped=True,
                transcript="When do you open?",
                respond=FunctionCall("clinic_info", {"topic": "hours"}),
            ),
            AfterFunctionOutput(respond=Audio(ms=3000, transcript="We open at 7 on weekdays.")),
        ]
    )
    with FakeRealtimeServer(script) as fake:
        async with client_for(fake).realtime.connect(model="gpt-realtime") as conn:
            created = await next_of(conn, "session.created")
            assert created.session.type == "realtime"
            await conn.session.update(session=GA_SESSION)  # type: ignore[arg-type]
            updated = await next_of(conn, "session.updated")
            assert updated.session.audio.input.format.type == "audio/pcmu"
            assert updated.session.audio.output.format.type == "audio/pcmu"
            assert updated.session.audio.input.turn_detection.type == "server_vad"
            assert updated.session.tools[0].name == "clinic_info"
            assert updated.session.instructions.startswith("You are the front desk")

            # The greeting: the GA events, in order.
            greeting = await collect_until(conn, "response.done")
            kinds = [e.type for e in greeting]
            assert kinds[:3] == [
                "response.created",
                "rate_limits.updated",
                "response.output_item.added",
            ]
            assert kinds[-5:] == [
                "response.output_audio.done",
                "response.content_part.done",
                "response.output_item.done",
                "conversation.item.done",
                "response.done",
            ]
            assert kinds.index("response.content_part.added") < kinds.index(
                "response.output_audio.delta"
            )
            audio = b"".join(
                base64.b64decode(e.delta)
                for e in greeting
                if e.type == "response.output_audio.delta"
            )
            assert len(audio) == 300 * 8  # μ-law, 8 bytes per ms
            transcript = "".join(
                e.delta for e in greeting if e.type == "response.output_audio_transcript.delta"
            )
            assert transcript == "Hello, Harbourside Physio"
            done = greeting[-1]
            assert done.response.status == "completed"
            assert done.response.output[0].content[0].transcript == transcript

            # 200 ms of caller audio: speech events, the caller transcript, then a tool call.
            await append_ms(conn, 200)
            started = await next_of(conn, "input_audio_buffer.speech_started")
            stopped = await next_of(conn, "input_audio_buffer.speech_stopped")
            assert stopped.item_id == started.item_id and stopped.audio_end_ms == 200
            heard = await next_of(conn, "conversation.item.input_audio_transcription.completed")
            assert heard.transcript == "When do you open?"
            call_events = await collect_until(conn, "response.done")
            added = next(e for e in call_events if e.type == "response.output_item.added")
            assert added.item.type == "function_call"
            args_done = next(
                e for e in call_events if e.type == "response.function_call_arguments.done"
            )
            assert json.loads(args_done.arguments) == {"topic": "hours"}
            call = call_events[-1].response.output[0]
            assert call_events[-1].response.status == "completed"
            assert (call.type, call.name, call.arguments) == (
                "function_call",
                "clinic_info",
                '{"topic":"hours"}',
            )
            assert call.call_id == args_done.call_id and call.call_id.startswith("call_")

            # The tool result and one response.create give the follow-up (real-time paced).
            await conn.conversation.item.create(
                item={
                    "type": "function_call_output",
                    "call_id": call.call_id,
                    "output": '{"open":"7am"}',
                }
            )
            await conn.response.create()
            first_delta = await next_of(conn, "response.output_audio.delta")
            await conn.conversation.item.truncate(
                item_id=first_delta.item_id, content_index=0, audio_end_ms=60
            )
            truncated = await next_of(conn, "conversation.item.truncated")
            assert (truncated.item_id, truncated.audio_end_ms) == (first_delta.item_id, 60)
            await conn.response.cancel()
            cancelled = await next_of(conn, "response.done")
            assert cancelled.response.status == "cancelled"
            assert cancelled.response.status_details.reason == "client_cancelled"
            assert cancelled.response.output[0].status == "incomplete"

        session = fake.sessions[0]
        assert session.path == "/v1/realtime?model=gpt-realtime"
        assert session.model == "gpt-realtime"
        assert session.headers["authorization"] == "Bearer test"
        assert session.audio_in_bytes == 200 * 8
        assert session.truncations == [Truncation(first_delta.item_id, 0, 60)]
        assert session.function_outputs[0]["call_id"] == call.call_id
        assert [r.status for r in session.responses] == ["completed", "completed", "cancelled"]
        assert session.responses[2].audio_ms < 1000  # stopped streaming at the cancel
        assert [t for t in session.event_types() if t != "input_audio_buffer.append"] == [
            "session.update",
            "conversation.item.create",
            "response.create",
            "conversation.item.truncate",
            "response.cancel",
        ]
        assert fake.client_events("input_audio_buffer.append")[0]["audio"] == SILENCE_20MS


async def test_audio_deltas_are_paced_in_real_time_unless_instant() -> None:
    script = Script(
        [
            OnConnect(respond=Audio(ms=500, chunk_ms=100)),
            AfterResponseDone(respond=Audio(ms=5000, chunk_ms=100, pace=0)),
        ]
    )
    with FakeRealtimeServer(script) as fake:
        async with client_for(fake).realtime.connect(model="gpt-realtime") as conn:
            stamps: list[float] = []
            async with asyncio.timeout(5):
                while len(stamps) < 5:
                    event = await conn.recv()
                    if event.type == "response.output_audio.delta":
                        stamps.append(time.monotonic())
            assert 0.3 < stamps[-1] - stamps[0] < 0.9
            await next_of(conn, "response.done")
            t0 = time.monotonic()
            instant = await collect_until(conn, "response.done")
            assert time.monotonic() - t0 < 1.0
            assert sum(e.type == "response.output_audio.delta" for e in instant) == 50
        assert [r.audio_ms for r in fake.sessions[0].responses] == [500, 5000]


async def test_speech_started_interrupts_the_response_like_server_vad() -> None:
    script = Script(
        [
            OnConnect(respond=Audio(ms=2000, transcript="Our opening hours are as follows")),
            AfterAudioMs(100, speech_started=True),
            AfterResponseDone(status="cancelled", speech_stopped=True, transcript="Sorry?"),
        ]
    )
    with FakeRealtimeServer(script) as fake:
        async with client_for(fake).realtime.connect(model="gpt-realtime") as conn:
            await conn.session.update(session=GA_SESSION)  # type: ignore[arg-type]
            delta = await next_of(conn, "response.output_audio.delta")
            # OnConnect waited for the session.update, so the greeting is μ-law (8 bytes/ms).
            assert len(base64.b64decode(delta.delta)) == 100 * 8
            await append_ms(conn, 100)
            started = await next_of(conn, "input_audio_buffer.speech_started")
            assert started.audio_start_ms == 0  # 100 ms minus the 300 ms prefix padding
            done = await next_of(conn, "response.done")
            assert done.response.status == "cancelled"
            assert done.response.status_details.reason == "turn_detected"
            assert await next_of(conn, "input_audio_buffer.speech_stopped")
            heard = await next_of(conn, "conversation.item.input_audio_transcription.completed")
            assert heard.item_id == started.item_id
            # The caller heard 100 ms of it; the client truncates the rest.
            await conn.conversation.item.truncate(
                item_id=delta.item_id, content_index=0, audio_end_ms=100
            )
            await next_of(conn, "conversation.item.truncated")
            # Truncating past the audio that was produced is an error, like the real API.
            await conn.conversation.item.truncate(
                item_id=delta.item_id, content_index=0, audio_end_ms=60_000
            )
            error = await next_of(conn, "error")
            assert error.error.code == "invalid_value"
            assert "already shorter than" in error.error.message
        assert fake.sessions[0].responses[0].reason == "turn_detected"


async def test_a_wrong_key_or_refusal_fails_the_handshake() -> None:
    with FakeRealtimeServer(Script()) as fake:
        with pytest.raises(InvalidStatus) as rejected:
            async with client_for(fake, api_key="wrong").realtime.connect(model="gpt-realtime"):
                pass
        assert rejected.value.response.status_code == 401
        assert json.loads(rejected.value.response.body or b"")["error"]["code"] == "invalid_api_key"

        fake.refuse_connections = True
        with pytest.raises(InvalidStatus) as refused:
            async with client_for(fake).realtime.connect(model="gpt-realtime"):
                pass
        assert refused.value.response.status_code == 503

        fake.refuse_connections = False
        async with client_for(fake).realtime.connect(model="gpt-realtime") as conn:
            assert (await next_of(conn, "session.created")).type == "session.created"
        assert [status for status, _path in fake.rejected] == [401, 503]
        assert len(fake.sessions) == 1


async def test_paths_other_than_v1_realtime_are_404() -> None:
    with FakeRealtimeServer(Script()) as fake:
        with pytest.raises(InvalidStatus) as wrong_path:
            async with connect(
                fake.url().replace("/v1/realtime", "/v1/realtime/calls"),
                additional_headers={"Authorization": "Bearer test"},
            ):
                pass
        assert wrong_path.value.response.status_code == 404
        with pytest.raises(InvalidStatus) as no_model:
            async with connect(
                fake.url().split("?")[0], additional_headers={"Authorization": "Bearer test"}
            ):
                pass
        assert no_model.value.response.status_code == 400
        assert [status for status, _path in fake.rejected] == [404, 400]
        assert fake.sessions == []


async def test_scripted_drops_close_the_socket_and_the_sdk_can_reconnect() -> None:
    connections = 0

    def script() -> Script:
        nonlocal connections
        connections += 1
        if connections == 1:  # the first connection dies mid-greeting
            return Script([OnConnect(respond=Audio(ms=2000)), AfterDelay(0.15, drop="abort")])
        return Script([OnConnect(respond=Audio(ms=100, transcript="Welcome back", pace=0))])

    with FakeRealtimeServer(script) as fake:
        # Without a reconnect handler the SDK surfaces the abnormal close (1006).
        async with client_for(fake).realtime.connect(model="gpt-realtime") as conn:
            with pytest.raises(ConnectionClosedError) as dropped:
                async with asyncio.timeout(5):
                    async for _event in conn:
                        pass
            assert dropped.value.rcvd is None  # no close frame: TCP reset
        assert fake.sessions[0].responses[0].audio_ms < 2000

        # With one, the same drop is followed by a fresh session on a new socket.
        connections = 0
        attempts: list[int] = []

        def on_reconnecting(event: Any) -> None:
            attempts.append(event.close_code)

        async with client_for(fake).realtime.connect(
            model="gpt-realtime", on_reconnecting=on_reconnecting, initial_delay=0.01
        ) as conn:
            # (The SDK reconnects inside `async for`, not in `recv()`.)
            created: list[str] = []
            done: Any = None
            async with asyncio.timeout(5):
                async for event in conn:
                    if event.type == "session.created":
                        created.append(event.session.model_dump()["id"])
                    elif event.type == "response.done" and len(created) == 2:
                        done = event
                        break
            assert done.response.output[0].content[0].transcript == "Welcome back"
        assert attempts == [1006]
        assert len(set(created)) == 2 and len(fake.sessions) == 3

        # drop_all() with a close frame (1011) from the test thread.
        async with client_for(fake).realtime.connect(model="gpt-realtime") as conn:
            await next_of(conn, "session.created")
            fake.drop_all("close")
            with pytest.raises(ConnectionClosedError) as closed:
                async with asyncio.timeout(5):
                    async for _event in conn:
                        pass
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011


@asynccontextmanager
async def raw(fake: FakeRealtimeServer) -> AsyncIterator[ClientConnection]:
    """A plain websocket session (for sending what the SDK would not)."""
    async with connect(fake.url(), additional_headers={"Authorization": "Bearer test"}) as ws:
        created = json.loads(await ws.recv())
        assert created["type"] == "session.created"
        yield ws


async def recv_json(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(5):
        event: dict[str, Any] = json.loads(await ws.recv())
        return event


async def test_malformed_events_get_error_events_and_the_session_survives() -> None:
    with FakeRealtimeServer(Script()) as fake:
        async with raw(fake) as ws:
            cases: list[tuple[str, str, str | None]] = [
                ("not json", "invalid_json", None),
                (json.dumps({"type": "bogus", "event_id": "e1"}), "invalid_value", "type"),
                (json.dumps({"type": "response.cancel"}), "response_cancel_not_active", None),
                (
                    json.dumps(
                        {
                            "type": "conversation.item.truncate",
                            "item_id": "item_x",
                            "content_index": 0,
                            "audio_end_ms": 5,
                        }
                    ),
                    "invalid_value",
                    "item_id",
                ),
                (
                    json.dumps(
                        {
                            "type": "session.update",
                            "session": {"type": "realtime", "input_audio_format": "g711_ulaw"},
                        }
                    ),
                    "unknown_parameter",
                    "session.input_audio_format",
                ),
                (
                    json.dumps({"type": "session.update", "session": {"modalities": ["audio"]}}),
                    "missing_required_parameter",
                    "session.type",
                ),
                (
                    json.dumps(
                        {
                            "type": "session.update",
                            "session": {
                                "type": "realtime",
                                "tools": [{"type": "function", "function": {"name": "x"}}],
                            },
                        }
                    ),
                    "missing_required_parameter",
                    "session.tools[0].name",
                ),
                (
                    json.dumps({"type": "input_audio_buffer.append", "audio": "%%%"}),
                    "invalid_value",
                    "audio",
                ),
                (
                    json.dumps(
                        {
                            "type": "conversation.item.create",
                            "item": {
                                "type": "function_call_output",
                                "call_id": "call_nope",
                                "output": "{}",
                            },
                        }
                    ),
                    "invalid_value",
                    "item.call_id",
                ),
                (
                    json.dumps({"type": "input_audio_buffer.commit"}),
                    "input_audio_buffer_commit_empty",
                    None,
                ),
            ]
            for message, code, param in cases:
                await ws.send(message)
                event = await recv_json(ws)
                assert event["type"] == "error", message
                assert event["error"]["type"] == "invalid_request_error"
                assert (event["error"]["code"], event["error"]["param"]) == (code, param), message
            assert fake.sessions[0].errors_sent()[1]["event_id"] == "e1"

            # Still open, and the rejected updates changed nothing.
            await ws.send(json.dumps({"type": "session.update", "session": GA_SESSION}))
            updated = await recv_json(ws)
            assert updated["type"] == "session.updated"
            assert updated["session"]["audio"]["input"]["format"] == {"type": "audio/pcmu"}
            assert (
                updated["session"]["audio"]["input"]["turn_detection"]["prefix_padding_ms"] == 300
            )
        assert len(fake.sessions[0].events) == len(cases) + 1


async def test_response_create_while_one_is_active_is_rejected() -> None:
    script = Script([AfterClientEvent("response.create", respond=Audio(ms=1000))])
    with FakeRealtimeServer(script) as fake:
        async with raw(fake) as ws:
            await ws.send(json.dumps({"type": "response.create"}))
            assert (await recv_json(ws))["type"] == "response.created"
            await ws.send(json.dumps({"type": "response.create", "event_id": "again"}))
            while (event := await recv_json(ws))["type"] != "error":
                pass
            assert event["error"]["code"] == "conversation_already_has_active_response"
            assert event["error"]["event_id"] == "again"
            await ws.send(json.dumps({"type": "response.cancel"}))
            while (event := await recv_json(ws))["type"] != "response.done":
                pass
            assert event["response"]["status"] == "cancelled"
        assert len(fake.sessions[0].responses) == 1


async def test_concurrent_sessions_each_run_their_own_script() -> None:
    script = Script(
        [
            AfterAudioMs(
                400, speech_started=True, speech_stopped=True, respond=Audio(ms=200, pace=0)
            ),
        ],
        repeat_from=0,
    )

    async def one_call(n: int) -> int:
        async with raw(fake) as ws:
            await ws.send(json.dumps({"type": "session.update", "session": GA_SESSION}))
            assert (await recv_json(ws))["type"] == "session.updated"
            append = json.dumps({"type": "input_audio_buffer.append", "audio": SILENCE_20MS})
            for _ in range(20 * (n % 3 + 1)):  # 400, 800 or 1200 ms
                await ws.send(append)
            responses = 0
            while responses < n % 3 + 1:
                if (await recv_json(ws))["type"] == "response.done":
                    responses += 1
            return responses

    with FakeRealtimeServer(script, record_audio=False) as fake:
        results = await asyncio.gather(*(one_call(n) for n in range(30)))
        assert results == [n % 3 + 1 for n in range(30)]
        await fake.wait_for(lambda: all(s.closed for s in fake.sessions))
        sessions = fake.sessions
        assert len(sessions) == 30
        assert sorted(s.audio_in_bytes for s in sessions) == sorted(
            20 * (n % 3 + 1) * FRAME_BYTES for n in range(30)
        )
        assert all(s.events == [s.events[0]] for s in sessions)  # appends not recorded


async def test_the_fake_runs_as_a_separate_process() -> None:
    command = ["-m", "tests.fakes.openai_realtime", "--port", "0", "--script", "greet"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        "--pace",
        "0",
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode()
        assert line.startswith("READY ws://127.0.0.1:")
        client = openai.AsyncOpenAI(api_key="test", websocket_base_url=line.split()[1])
        async with client.realtime.connect(model="gpt-realtime") as conn:
            done = await next_of(conn, "response.done")
            assert done.response.output[0].content[0].transcript.startswith("Hello")
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.stdout.read()
        returncode = await asyncio.wait_for(proc.wait(), 10)
    assert returncode == 0  # SIGTERM is a clean shutdown


# ---------------------------------------------------------- fake Twilio client


class StandIn:
    """A tiny websocket server standing in for our media-stream endpoint."""

    def __init__(self, behaviour: Callable[[StandIn, ServerConnection], Awaitable[None]]) -> None:
        self.behaviour = behaviour
        self.received: list[tuple[float, dict[str, Any]]] = []
        self.headers: dict[str, str] = {}
        self.stream_sid = ""
        self.closed = asyncio.Event()
        self.changed = asyncio.Event()

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.headers = {k.lower(): v for k, v in ws.request.headers.raw_items()}
        reader = asyncio.create_task(self.read(ws))
        try:
            await self.behaviour(self, ws)
            await reader
        finally:
            reader.cancel()
            self.closed.set()

    async def read(self, ws: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        try:
            async for message in ws:
                event = json.loads(message)
                if event["event"] == "start":
                    self.stream_sid = event["streamSid"]
                self.received.append((loop.time(), event))
                self.changed.set()
        except ConnectionClosed:
            pass

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for _t, e in self.received if e["event"] == kind]

    def times(self, kind: str) -> list[float]:
        return [t for t, e in self.received if e["event"] == kind]

    async def wait_for(self, kind: str, count: int = 1) -> None:
        async with asyncio.timeout(5):
            while len(self.events(kind)) < count:
                self.changed.clear()
                await self.changed.wait()

    async def send_media(self, ws: ServerConnection, ms: int) -> None:
        payload = base64.b64encode(b"\x7f" * (ms * 8)).decode("ascii")
        await ws.send(
            json.dumps(
                {"event": "media", "streamSid": self.stream_sid, "media": {"payload": payload}}
            )
        )

    async def send_mark(self, ws: ServerConnection, name: str) -> None:
        await ws.send(
            json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})
        )


@asynccontextmanager
async def stand_in(
    behaviour: Callable[[StandIn, ServerConnection], Awaitable[None]],
) -> AsyncIterator[tuple[StandIn, str]]:
    server_side = StandIn(behaviour)
    async with serve(server_side.handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield server_side, f"ws://127.0.0.1:{port}/media-stream"


async def just_listen(side: StandIn, ws: ServerConnection) -> None:
    return None


async def test_the_media_call_sends_twilio_frames_at_real_time_pace() -> None:
    async with stand_in(just_listen) as (side, url):
        call = MediaStreamCall(
            url,
            custom_parameters={"clinic": "harbourside"},
            headers={"X-Twilio-Signature": "sig"},
        )
        await call.connect()
        await call.send_audio(200)
        await call.send_audio(100, tone=True)
        await call.send_dtmf("5")
        await call.stop()
        await asyncio.wait_for(side.closed.wait(), 5)

    kinds = [e["event"] for _t, e in side.received]
    assert kinds == ["connected", "start"] + ["media"] * 15 + ["dtmf", "stop"]
    connected, start = side.received[0][1], side.received[1][1]
    assert connected == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert start["sequenceNumber"] == "1"
    assert start["streamSid"] == start["start"]["streamSid"] == call.stream_sid
    assert call.stream_sid.startswith("MZ") and call.call_sid.startswith("CA")
    assert start["start"]["callSid"] == call.call_sid
    assert start["start"]["tracks"] == ["inbound"]
    assert start["start"]["customParameters"] == {"clinic": "harbourside"}
    assert start["start"]["mediaFormat"] == {
        "encoding": "audio/x-mulaw",
        "sampleRate": 8000,
        "channels": 1,
    }
    assert side.headers["x-twilio-signature"] == "sig"

    media = side.events("media")
    assert [m["sequenceNumber"] for m in media] == [str(n) for n in range(2, 17)]
    assert [m["media"]["chunk"] for m in media] == [str(n) for n in range(1, 16)]
    assert [int(m["media"]["timestamp"]) for m in media] == list(range(0, 300, 20))
    assert all(
        m["media"]["track"] == "inbound" and m["streamSid"] == call.stream_sid for m in media
    )
    payloads = [base64.b64decode(m["media"]["payload"]) for m in media]
    assert all(len(p) == FRAME_BYTES for p in payloads)
    assert set(payloads[0]) == {0xFF} and len(set(payloads[-1])) > 4  # silence, then a tone
    times = side.times("media")
    assert 0.2 < times[-1] - times[0] < 0.6  # 14 gaps of 20 ms, generous tolerance
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    assert 0.01 < gaps[len(gaps) // 2] < 0.04
    assert side.events("dtmf")[0]["dtmf"] == {"track": "inbound_track", "digit": "5"}
    assert side.events("stop")[0]["stop"] == {
        "accountSid": call.account_sid,
        "callSid": call.call_sid,
    }
    assert call.errors == []


async def test_realtime_false_sends_without_pacing() -> None:
    async with stand_in(just_listen) as (side, url):
        call = MediaStreamCall(url, realtime=False)
        await call.connect()
        t0 = time.monotonic()
        await call.send_audio(2000)
        assert time.monotonic() - t0 < 0.5
        await side.wait_for("media", 100)
        assert side.events("media")[-1]["media"]["timestamp"] == "1980"
        await call.stop()


async def test_marks_come_back_once_the_audio_before_them_has_played() -> None:
    sent_at: dict[str, float] = {}

    async def speak(side: StandIn, ws: ServerConnection) -> None:
        await side.wait_for("start")
        loop = asyncio.get_running_loop()
        sent_at["m1"] = loop.time()
        for _ in range(3):
            await side.send_media(ws, 100)
        await side.send_mark(ws, "m1")
        await side.send_media(ws, 100)
        await side.send_mark(ws, "m2")
        await side.send_mark(ws, "m3")  # nothing between m2 and m3: echoed together, in order

    async with stand_in(speak) as (side, url):
        async with MediaStreamCall(url) as call:
            echoed_m1 = await call.wait_for_mark("m1")
            assert call.pending_marks == ["m2", "m3"]
            await call.wait_for_mark("m3")
            await side.wait_for("mark", 3)
            assert call.played_bytes == 3200
            assert call.queued_ms == 0
        assert [e["mark"]["name"] for e in side.events("mark")] == ["m1", "m2", "m3"]
        assert all(e["streamSid"] == call.stream_sid for e in side.events("mark"))

    assert call.marks_received == ["m1", "m2", "m3"]
    assert call.received_media_bytes == 3200
    assert 0.25 < echoed_m1 - sent_at["m1"] < 0.6  # 300 ms of audio before it
    m2_t = {n: t for t, n in call.marks_echoed}["m2"]
    assert 0.08 < m2_t - echoed_m1 < 0.3
    first, last = call.playback[0], call.playback[-1]
    assert first.start == pytest.approx(first.received_at)
    assert last.end - first.start == pytest.approx(0.4, abs=0.01)
    assert all(f.played_bytes == 800 for f in call.playback)


async def test_clear_drops_unplayed_audio_and_returns_pending_marks() -> None:
    cleared_at: list[float] = []

    async def speak_then_clear(side: StandIn, ws: ServerConnection) -> None:
        await side.wait_for("start")
        for _ in range(10):
            await side.send_media(ws, 100)
        await side.send_mark(ws, "end")
        await asyncio.sleep(0.2)
        cleared_at.append(asyncio.get_running_loop().time())
        await ws.send(json.dumps({"event": "clear", "streamSid": side.stream_sid}))
        await side.wait_for("mark")

    async with stand_in(speak_then_clear) as (side, url):
        async with MediaStreamCall(url) as call:
            echoed = await call.wait_for_mark("end")
            assert call.clears == 1
            assert call.queued_ms == 0
            played = call.played_bytes
            await asyncio.sleep(0.1)
            assert call.played_bytes == played  # nothing left to play
    assert echoed - cleared_at[0] < 0.15  # straight away, not after the 800 ms left
    assert 150 * 8 <= played <= 400 * 8
    assert sum(f.cleared for f in call.playback) >= 8


async def test_malformed_frames_are_recorded_as_31924_not_raised() -> None:
    async def misbehave(side: StandIn, ws: ServerConnection) -> None:
        await side.wait_for("start")
        await ws.send("garbage")
        await ws.send(json.dumps({"event": "bogus", "streamSid": side.stream_sid}))
        await ws.send(
            json.dumps({"event": "media", "streamSid": "MZwrong", "media": {"payload": "//8="}})
        )
        await ws.send(
            json.dumps({"event": "media", "streamSid": side.stream_sid, "media": {"payload": "%%"}})
        )
        await ws.send(b"\x00binary")
        await side.send_mark(ws, "still-alive")

    async with stand_in(misbehave) as (side, url):
        async with MediaStreamCall(url) as call:
            await call.wait_for_mark("still-alive")
    assert len(call.errors) == 5
    assert all(e.startswith("31924: ") for e in call.errors)
    assert call.received_media_bytes == 0


async def test_a_server_hang_up_is_recorded() -> None:
    async def hang_up(side: StandIn, ws: ServerConnection) -> None:
        await side.wait_for("start")
        await ws.close()

    async with stand_in(hang_up) as (_side, url):
        call = MediaStreamCall(url)
        await call.connect()
        await call.wait_closed()
        assert call.closed_by_server and call.close_code == 1000
        await call.stop()
