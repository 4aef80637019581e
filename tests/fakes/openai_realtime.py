"""A fake OpenAI Realtime server (GA protocol over WebSocket), driven by a script.

The real `openai` client connects to it unchanged:

    script = Script([
        OnConnect(respond=Audio(ms=600, transcript="Hello, Harbourside Physio")),
        AfterAudioMs(800, speech_started=True),
        AfterAudioMs(400, speech_stopped=True, transcript="When do you open?",
                     respond=FunctionCall("clinic_info", {"topic": "hours"})),
        AfterFunctionOutput(respond=Audio(ms=400, transcript="We open at 7")),
    ])
    with FakeRealtimeServer(script) as fake:
        client = openai.AsyncOpenAI(api_key="test", websocket_base_url=fake.websocket_base_url)
        async with client.realtime.connect(model="gpt-realtime") as conn:
            ...
        assert fake.sessions[0].truncations == [...]

URL: the SDK connects to `{websocket_base_url}/realtime?model=<model>` (it appends "/realtime"
to the base URL's path and adds `model` to the query) with `Authorization: Bearer <api_key>`.
`websocket_base_url` is "ws://127.0.0.1:PORT/v1", so the path is `/v1/realtime?model=...`.
Any other path is answered 404, a wrong or missing key 401 (the handshake fails, like the real
API), a missing `model` 400.

The script is linear: one step is armed at a time; when its trigger fires, the next step is
armed at once (so a step can interrupt the audio the previous one started) and the fired
step's actions run in order: `delay`, `speech_started` (which cancels an in-flight response
with reason `turn_detected` when the session's `interrupt_response` is on, as server VAD does),
`speech_stopped` (+ `input_audio_buffer.committed` and the user item), caller `transcript`,
`error`, `respond` (one response; several outputs in one response if a list), `drop`.
Triggers:

* `OnConnect(...)`: fires once the client's first event (normally `session.update`) has been
  handled, or `settle` (0.25) seconds after `session.created` if it sends nothing; later in a
  script it fires as soon as it is armed. (The real API never speaks unprompted; this is the
  "model greets first" shortcut. Prompting with `response.create` is
  `AfterClientEvent("response.create", ...)`.)
* `AfterClientEvent("response.create", where=...)`: after the server has accepted such a
  client event (a rejected event, answered with `error`, does not trigger).
* `AfterFunctionOutput(...)`: on the first `response.create` after a `function_call_output`
  item has been created (optionally for a given `call_id`).
* `AfterAudioMs(ms, ...)`: once `ms` of caller audio has been appended since it was armed
  (milliseconds in the session's input format: μ-law is 8 bytes/ms, the GA default
  `audio/pcm` 24 kHz is 48 bytes/ms, so a client that forgets `audio/pcmu` sees it fire late).
* `AfterDelay(seconds, ...)`: wall-clock seconds after it was armed.
* `AfterResponseDone(status=None, ...)`: after the server sends a `response.done`.

`Script(steps, repeat_from=i)` loops back to step i after the last step (for benchmarks).
With no step armed, client events are still handled (and `response.create` produces nothing).
Each connection runs its own cursor over the script; pass a factory instead of a `Script` to
vary it per connection (e.g. drop the first connection only).

Responses emit the GA events in order (section D4): `response.created`, `rate_limits.updated`;
per audio output `response.output_item.added`, `conversation.item.added`,
`response.content_part.added`, `response.output_audio_transcript.delta` /
`response.output_audio.delta` interleaved (audio in `chunk_ms` chunks of base64 μ-law, paced
in real time unless `pace=0`), `response.output_audio_transcript.done`,
`response.output_audio.done`, `response.content_part.done`, `response.output_item.done`,
`conversation.item.done`; per function call `response.output_item.added` (type
`function_call`), `conversation.item.added`, `response.function_call_arguments.delta`...
`.done`, `response.output_item.done`, `conversation.item.done`; then `response.done` with
status `completed`, or `cancelled` (status_details.reason `client_cancelled` /
`turn_detected`) after which no more audio is sent.

Server switches (thread-safe): `refuse_connections` (handshake answered 503),
`handshake_delay` (seconds before the handshake completes), `drop_all("abort"|"close")`,
and a step's `drop=` action. "abort" resets the TCP connection (the client sees close code
1006), "close" sends a close frame 1011 (both count as recoverable for the SDK's reconnect).

In a test, run it in a background thread (`with FakeRealtimeServer(script) as fake:`); for a
benchmark, run it in its own process:

    python -m tests.fakes.openai_realtime --port 0 --script conversation   # prints READY <url>

or call `serve_forever(port, script_factory)`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import copy
import itertools
import json
import secrets
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tests.fakes.twilio_media import mulaw_tone

__all__ = [
    "AfterAudioMs",
    "AfterClientEvent",
    "AfterDelay",
    "AfterFunctionOutput",
    "AfterResponseDone",
    "Audio",
    "FakeRealtimeServer",
    "FunctionCall",
    "OnConnect",
    "RealtimeSession",
    "ResponseRecord",
    "SCRIPTS",
    "Script",
    "ServerError",
    "Step",
    "Truncation",
    "serve_forever",
]

DropMode = Literal["abort", "close"]

# ----------------------------------------------------------------------------- the DSL


@dataclass(frozen=True)
class Audio:
    """An assistant audio output: `ms` of μ-law audio with its transcript."""

    ms: int
    transcript: str = ""
    chunk_ms: int | None = None  # delta size; default: the server's chunk_ms
    pace: float | None = None  # 1.0 real time, 2.0 twice as fast, 0 instant; default: server's


@dataclass(frozen=True)
class FunctionCall:
    """A function_call output. A dict `arguments` is json.dumps'ed; a str is sent verbatim."""

    name: str
    arguments: str | Mapping[str, Any] = "{}"
    call_id: str | None = None  # default: a generated "call_..."

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, separators=(",", ":"))


@dataclass(frozen=True)
class ServerError:
    """An `error` event the script sends (e.g. a server_error mid-call)."""

    message: str
    type: str = "server_error"
    code: str | None = None
    param: str | None = None


Output = Audio | FunctionCall


@dataclass(frozen=True, kw_only=True)
class Step:
    """Actions shared by every trigger; see the module docstring for their order."""

    delay: float = 0.0
    speech_started: bool = False
    speech_stopped: bool = False
    transcript: str | None = None  # caller transcript (input_audio_transcription.completed)
    error: ServerError | None = None
    respond: Output | Sequence[Output] | None = None
    drop: DropMode | None = None

    def outputs(self) -> list[Output]:
        if self.respond is None:
            return []
        if isinstance(self.respond, Audio | FunctionCall):
            return [self.respond]
        return list(self.respond)


@dataclass(frozen=True, kw_only=True)
class OnConnect(Step):
    """Fires once the connection is set up: when the client's first event has been handled
    (normally its `session.update`, so a greeting uses the formats it asked for), or `settle`
    seconds after `session.created` if the client sends nothing. Armed later in a script (the
    connection being set up by then), it fires at once."""

    settle: float = 0.25


@dataclass(frozen=True, kw_only=True)
class AfterClientEvent(Step):
    event_type: str = field(kw_only=False)
    where: Callable[[dict[str, Any]], bool] | None = None


@dataclass(frozen=True, kw_only=True)
class AfterFunctionOutput(Step):
    call_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class AfterAudioMs(Step):
    ms: float = field(kw_only=False)


@dataclass(frozen=True, kw_only=True)
class AfterDelay(Step):
    seconds: float = field(kw_only=False)


@dataclass(frozen=True, kw_only=True)
class AfterResponseDone(Step):
    status: str | None = None  # only a response.done with this status


@dataclass(frozen=True)
class Script:
    steps: Sequence[Step] = ()
    repeat_from: int | None = None  # after the last step, continue from this index


ScriptSource = Script | Callable[[], Script]

# ------------------------------------------------------------------------ records


@dataclass(frozen=True)
class Truncation:
    item_id: str
    content_index: int
    audio_end_ms: int


@dataclass
class ResponseRecord:
    id: str
    status: str = "in_progress"
    reason: str | None = None
    audio_ms: float = 0.0  # assistant audio actually sent
    item_ids: list[str] = field(default_factory=list)
    call_ids: list[str] = field(default_factory=list)
    created_at: float = 0.0  # time.monotonic()
    first_audio_at: float | None = None
    done_at: float | None = None


class RealtimeSession:
    """One connection's state, readable from the test thread."""

    def __init__(self, index: int, path: str, headers: Headers, lock: threading.Lock) -> None:
        self.index = index
        self.path = path
        query = parse_qs(urlsplit(path).query)
        self.model: str | None = query.get("model", [None])[0]
        self.query = {k: v[0] for k, v in query.items()}
        self.headers = {k.lower(): v for k, v in headers.raw_items()}
        self.id = "sess_" + secrets.token_hex(10)
        self.connected_at = time.monotonic()
        self.closed_at: float | None = None
        self.session: dict[str, Any] = _default_session(self.model, self.id)
        self.audio_in_bytes = 0
        self.audio_in_ms = 0.0
        self.appends = 0
        self.truncations: list[Truncation] = []
        self.function_outputs: list[dict[str, Any]] = []
        self.responses: list[ResponseRecord] = []
        self.cancels = 0
        self._events: list[dict[str, Any]] = []
        self._server_events: list[dict[str, Any]] = []
        self._lock = lock

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every client event received, in order (invalid JSON as {"type": None, "raw": ...})."""
        with self._lock:
            return list(self._events)

    @property
    def server_events(self) -> list[dict[str, Any]]:
        """Every server event sent, in order; audio deltas without their `delta` payload."""
        with self._lock:
            return list(self._server_events)

    def event_types(self) -> list[str | None]:
        return [e.get("type") for e in self.events]

    def server_event_types(self) -> list[str]:
        return [str(e.get("type")) for e in self.server_events]

    def errors_sent(self) -> list[dict[str, Any]]:
        return [e["error"] for e in self.server_events if e.get("type") == "error"]

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


# ------------------------------------------------------------------- protocol bits

_BETA_SESSION_KEYS = frozenset(
    {
        "modalities",
        "input_audio_format",
        "output_audio_format",
        "voice",
        "turn_detection",
        "input_audio_transcription",
        "input_audio_noise_reduction",
        "temperature",
        "max_response_output_tokens",
    }
)
_AUDIO_FORMATS = {"audio/pcm": 48, "audio/pcmu": 8, "audio/pcma": 8}  # bytes per ms
_CLIENT_EVENTS = (
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.truncate",
    "conversation.item.delete",
    "conversation.item.retrieve",
    "response.create",
    "response.cancel",
    "output_audio_buffer.clear",
)


def _default_session(model: str | None, session_id: str) -> dict[str, Any]:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "prompt": None,
        "include": None,
        "expires_at": int(time.time()) + 3600,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 200,
                    "idle_timeout_ms": None,
                    "create_response": True,
                    "interrupt_response": True,
                },
            },
            "output": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "voice": "alloy",
                "speed": 1.0,
            },
        },
    }


def _merge(base: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict) and key != "format":
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


class _Reject(Exception):
    """A client event the real API would answer with an `error` event."""

    def __init__(
        self, message: str, code: str | None = "invalid_value", param: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param


def _missing(param: str) -> _Reject:
    return _Reject(f"Missing required parameter: '{param}'.", "missing_required_parameter", param)


def _validate_session_update(update: Any) -> None:
    if not isinstance(update, dict):
        raise _missing("session")
    if "type" not in update:
        raise _missing("session.type")
    if update["type"] != "realtime":
        raise _Reject(
            f"Invalid value: '{update['type']}'. Supported values are: 'realtime' and "
            "'transcription'.",
            param="session.type",
        )
    for key in update:
        if key in _BETA_SESSION_KEYS:
            raise _Reject(
                f"Unknown parameter: 'session.{key}'.", "unknown_parameter", f"session.{key}"
            )
    modalities = update.get("output_modalities")
    if modalities is not None and modalities not in (["audio"], ["text"]):
        raise _Reject(
            "Invalid modalities: output_modalities must be ['audio'] or ['text'].",
            param="session.output_modalities",
        )
    audio = update.get("audio")
    if audio is not None:
        if not isinstance(audio, dict):
            raise _Reject("Invalid type for 'session.audio'.", "invalid_type", "session.audio")
        for direction in ("input", "output"):
            part = audio.get(direction)
            if part is None:
                continue
            if not isinstance(part, dict):
                raise _Reject(
                    f"Invalid type for 'session.audio.{direction}'.",
                    "invalid_type",
                    f"session.audio.{direction}",
                )
            fmt = part.get("format")
            if fmt is not None and (
                not isinstance(fmt, dict) or fmt.get("type") not in _AUDIO_FORMATS
            ):
                raise _Reject(
                    f"Invalid value for 'session.audio.{direction}.format': {fmt!r}. Supported "
                    "types are: 'audio/pcm', 'audio/pcmu' and 'audio/pcma'.",
                    param=f"session.audio.{direction}.format",
                )
            detection = part.get("turn_detection") if direction == "input" else None
            if detection is not None and (
                not isinstance(detection, dict)
                or detection.get("type") not in ("server_vad", "semantic_vad")
            ):
                raise _Reject(
                    "Invalid value for 'session.audio.input.turn_detection.type'.",
                    param="session.audio.input.turn_detection.type",
                )
    tools = update.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise _Reject("Invalid type for 'session.tools'.", "invalid_type", "session.tools")
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or tool.get("type") not in ("function", "mcp"):
                raise _Reject(
                    f"Invalid value for 'session.tools[{i}].type'.",
                    param=f"session.tools[{i}].type",
                )
            if tool["type"] == "function" and not isinstance(tool.get("name"), str):
                # The commonest mistake: Chat Completions' nested {"function": {...}} shape.
                raise _missing(f"session.tools[{i}].name")


def _mulaw_b64(nbytes: int, _cache: dict[int, str] = {}) -> str:  # noqa: B006 - a cache
    text = _cache.get(nbytes)
    if text is None:
        text = _cache[nbytes] = base64.b64encode(mulaw_tone(nbytes)).decode("ascii")
    return text


def _pcm_b64(nbytes: int, _cache: dict[int, str] = {}) -> str:  # noqa: B006 - a cache
    text = _cache.get(nbytes)
    if text is None:
        text = _cache[nbytes] = base64.b64encode(bytes(nbytes)).decode("ascii")
    return text


_DELTA_TEMPLATE = (
    '{"type":"response.output_audio.delta","event_id":"%s","response_id":"%s",'
    '"item_id":"%s","output_index":%d,"content_index":0,"delta":"%s"}'
)

# --------------------------------------------------------------------- connection


class _Response:
    def __init__(self, conn: _Connection, outputs: list[Output], previous: _Response | None):
        self.conn = conn
        self.outputs = outputs
        self.previous = previous
        self.id = "resp_" + secrets.token_hex(10)
        self.record = ResponseRecord(id=self.id, created_at=time.monotonic())
        self.cancel_reason: str | None = None
        self.started = False
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.items: list[dict[str, Any]] = []

    def cancel(self, reason: str) -> None:
        if self.cancel_reason is None and not self.finished.done():
            self.cancel_reason = reason
            if not self._wake.done():
                self._wake.set_result(None)

    async def _sleep_until(self, when: float) -> None:
        delay = when - asyncio.get_running_loop().time()
        if delay > 0 and not self._wake.done():
            await asyncio.wait([self._wake], timeout=delay)

    def _response_object(self, status: str) -> dict[str, Any]:
        sess = self.conn.sess.session
        details: dict[str, Any] | None = None
        if status == "cancelled":
            details = {"type": "cancelled", "reason": self.cancel_reason}
        audio_ms = self.record.audio_ms
        return {
            "object": "realtime.response",
            "id": self.id,
            "status": status,
            "status_details": details,
            "output": self.items if status != "in_progress" else [],
            "conversation_id": self.conn.conversation_id,
            "output_modalities": sess.get("output_modalities", ["audio"]),
            "max_output_tokens": sess.get("max_output_tokens", "inf"),
            "audio": {"output": copy.deepcopy(sess["audio"]["output"])},
            "usage": None
            if status == "in_progress"
            else {
                "total_tokens": 200 + int(audio_ms / 20),
                "input_tokens": 200,
                "output_tokens": int(audio_ms / 20),
                "input_token_details": {"text_tokens": 150, "audio_tokens": 50, "cached_tokens": 0},
                "output_token_details": {"text_tokens": 0, "audio_tokens": int(audio_ms / 20)},
            },
            "metadata": None,
        }

    async def run(self) -> None:
        conn = self.conn
        try:
            if self.previous is not None:
                await asyncio.shield(self.previous.finished)
            self.started = True
            await conn.send(
                {"type": "response.created", "response": self._response_object("in_progress")}
            )
            await conn.send(
                {
                    "type": "rate_limits.updated",
                    "rate_limits": [
                        {
                            "name": "requests",
                            "limit": 5000,
                            "remaining": 4999,
                            "reset_seconds": 0.01,
                        },
                        {
                            "name": "tokens",
                            "limit": 400000,
                            "remaining": 399000,
                            "reset_seconds": 0.2,
                        },
                    ],
                }
            )
            for index, output in enumerate(self.outputs):
                if self.cancel_reason is not None:
                    break
                if isinstance(output, Audio):
                    await self._audio(output, index)
                else:
                    await self._function_call(output, index)
            status = "cancelled" if self.cancel_reason is not None else "completed"
            self.record.status = status
            self.record.reason = self.cancel_reason
            await conn.send({"type": "response.done", "response": self._response_object(status)})
            self.record.done_at = time.monotonic()
            conn.on_response_done(status)
        finally:
            if not self.finished.done():
                self.finished.set_result(None)
            conn.forget_response(self)

    async def _item_added(self, item: dict[str, Any], output_index: int) -> None:
        conn = self.conn
        await conn.send(
            {
                "type": "response.output_item.added",
                "response_id": self.id,
                "output_index": output_index,
                "item": copy.deepcopy(item),
            }
        )
        await conn.send(
            {
                "type": "conversation.item.added",
                "previous_item_id": conn.last_item_id,
                "item": copy.deepcopy(item),
            }
        )
        conn.last_item_id = item["id"]

    async def _item_done(self, item: dict[str, Any], output_index: int) -> None:
        await self.conn.send(
            {
                "type": "response.output_item.done",
                "response_id": self.id,
                "output_index": output_index,
                "item": item,
            }
        )
        await self.conn.send(
            {"type": "conversation.item.done", "previous_item_id": None, "item": item}
        )
        self.items.append(item)

    async def _audio(self, audio: Audio, output_index: int) -> None:
        conn = self.conn
        server = conn.server
        loop = asyncio.get_running_loop()
        item_id = "item_" + secrets.token_hex(10)
        self.record.item_ids.append(item_id)
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        await self._item_added(item, output_index)
        ids = {
            "response_id": self.id,
            "item_id": item_id,
            "output_index": output_index,
            "content_index": 0,
        }
        await conn.send(
            {
                "type": "response.content_part.added",
                **ids,
                "part": {"type": "audio", "transcript": ""},
            }
        )
        out_format = conn.sess.session["audio"]["output"].get("format") or {}
        bytes_per_ms = _AUDIO_FORMATS.get(str(out_format.get("type")), 8)
        encode = _mulaw_b64 if bytes_per_ms == 8 else _pcm_b64
        chunk_ms = max(1, audio.chunk_ms or server.chunk_ms)
        pace = server.pace if audio.pace is None else audio.pace
        n_chunks = max(1, -(-audio.ms // chunk_ms)) if audio.ms > 0 else 0
        words = audio.transcript.split(" ") if audio.transcript else []
        spoken_words = 0
        sent_ms = 0
        conn.audio_items[item_id] = 0
        t0 = loop.time()
        for i in range(n_chunks):
            if self.cancel_reason is not None:
                break
            if pace > 0 and i:
                await self._sleep_until(t0 + sent_ms / 1000 / pace)
                if self.cancel_reason is not None:
                    break
            # Transcript words run slightly ahead of the audio, as the real API's do.
            due_words = -(-len(words) * (i + 1) // n_chunks)
            if due_words > spoken_words:
                piece = " ".join(words[spoken_words:due_words])
                if spoken_words:
                    piece = " " + piece
                spoken_words = due_words
                await conn.send(
                    {"type": "response.output_audio_transcript.delta", **ids, "delta": piece}
                )
            ms = min(chunk_ms, audio.ms - sent_ms)
            await conn.send_audio_delta(
                self.id, item_id, output_index, encode(ms * bytes_per_ms), ms * bytes_per_ms
            )
            if self.record.first_audio_at is None:
                self.record.first_audio_at = time.monotonic()
            sent_ms += ms
            self.record.audio_ms += ms
            conn.audio_items[item_id] = sent_ms
            if pace <= 0:
                await asyncio.sleep(0)
        spoken = " ".join(words[:spoken_words])
        await conn.send(
            {"type": "response.output_audio_transcript.done", **ids, "transcript": spoken}
        )
        await conn.send({"type": "response.output_audio.done", **ids})
        await conn.send(
            {
                "type": "response.content_part.done",
                **ids,
                "part": {"type": "audio", "transcript": spoken},
            }
        )
        item["status"] = "incomplete" if self.cancel_reason is not None else "completed"
        item["content"] = [{"type": "output_audio", "transcript": spoken}]
        await self._item_done(item, output_index)

    async def _function_call(self, call: FunctionCall, output_index: int) -> None:
        conn = self.conn
        item_id = "item_" + secrets.token_hex(10)
        call_id = call.call_id or "call_" + secrets.token_hex(8)
        arguments = call.arguments_json()
        self.record.call_ids.append(call_id)
        conn.function_calls[call_id] = call.name
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "function_call",
            "status": "in_progress",
            "call_id": call_id,
            "name": call.name,
            "arguments": "",
        }
        await self._item_added(item, output_index)
        ids = {
            "response_id": self.id,
            "item_id": item_id,
            "output_index": output_index,
            "call_id": call_id,
        }
        for start in range(0, len(arguments), 16):
            if self.cancel_reason is not None:
                break
            await conn.send(
                {
                    "type": "response.function_call_arguments.delta",
                    **ids,
                    "delta": arguments[start : start + 16],
                }
            )
            await asyncio.sleep(0)
        await conn.send(
            {
                "type": "response.function_call_arguments.done",
                **ids,
                "name": call.name,
                "arguments": arguments,
            }
        )
        item["status"] = "incomplete" if self.cancel_reason is not None else "completed"
        item["arguments"] = arguments
        await self._item_done(item, output_index)


class _Connection:
    """Protocol handling and script cursor for one websocket."""

    def __init__(
        self,
        server: FakeRealtimeServer,
        ws: ServerConnection,
        sess: RealtimeSession,
        script: Script,
    ):
        self.server = server
        self.ws = ws
        self.sess = sess
        self.script = script
        self.conversation_id = "conv_" + secrets.token_hex(10)
        self.last_item_id: str | None = None
        self.audio_items: dict[str, int] = {}  # assistant item id -> ms of audio sent
        self.function_calls: dict[str, str] = {}  # call_id -> name
        self.items: set[str] = set()
        self.responses: list[_Response] = []  # not yet finished, in order
        self.tasks: set[asyncio.Task[None]] = set()
        self.buffer_ms = 0.0  # input audio since the last commit/clear/speech_stopped
        self.user_item_id: str | None = None
        self.bytes_per_ms_in = 48
        self._event_ids = itertools.count(1)
        self._event_prefix = "event_" + secrets.token_hex(4)
        # Script cursor.
        self._steps = list(script.steps)
        self._next = 0
        self._armed: Step | None = None
        self._audio_threshold: float | None = None
        self._function_output_seen = False
        self._timer: asyncio.TimerHandle | None = None
        self.set_up = False  # the client's first event has been handled (or settle expired)

    # -- sending

    def _event_id(self) -> str:
        return f"{self._event_prefix}{next(self._event_ids):x}"

    async def send(self, event: dict[str, Any]) -> None:
        event = {
            "type": event["type"],
            "event_id": self._event_id(),
            **{k: v for k, v in event.items() if k != "type"},
        }
        self.server._record(self.sess._server_events, event)
        await self.ws.send(json.dumps(event))

    async def send_audio_delta(
        self, response_id: str, item_id: str, index: int, b64: str, nbytes: int
    ) -> None:
        event_id = self._event_id()
        if self.server.record_audio:
            self.server._record(
                self.sess._server_events,
                {
                    "type": "response.output_audio.delta",
                    "event_id": event_id,
                    "response_id": response_id,
                    "item_id": item_id,
                    "bytes": nbytes,
                },
            )
        await self.ws.send(_DELTA_TEMPLATE % (event_id, response_id, item_id, index, b64))

    async def send_error(self, reject: _Reject | ServerError, event_id: Any = None) -> None:
        if isinstance(reject, ServerError):
            error = {
                "type": reject.type,
                "code": reject.code,
                "message": reject.message,
                "param": reject.param,
                "event_id": None,
            }
        else:
            error = {
                "type": "invalid_request_error",
                "code": reject.code,
                "message": reject.message,
                "param": reject.param,
                "event_id": event_id if isinstance(event_id, str) else None,
            }
        await self.send({"type": "error", "error": error})

    def spawn(self, coro: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await coro
            except ConnectionClosed:
                pass

        task = asyncio.get_running_loop().create_task(guarded())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- responses

    def active_response(self) -> _Response | None:
        return self.responses[0] if self.responses else None

    def start_response(self, outputs: list[Output]) -> _Response:
        previous = self.responses[-1] if self.responses else None
        response = _Response(self, outputs, previous)
        self.responses.append(response)
        self.server._record(self.sess.responses, response.record)
        return response

    def forget_response(self, response: _Response) -> None:
        if response in self.responses:
            self.responses.remove(response)

    def on_response_done(self, status: str) -> None:
        step = self._armed
        if isinstance(step, AfterResponseDone) and (step.status is None or step.status == status):
            self._fire(step)

    # -- the script

    def arm_next(self) -> None:
        immediate = 0
        while True:
            if self._next >= len(self._steps):
                if self.script.repeat_from is None or not self._steps:
                    self._armed = None
                    return
                self._next = self.script.repeat_from
            step = self._steps[self._next]
            self._next += 1
            self._armed = step
            self._audio_threshold = None
            self._function_output_seen = False
            if isinstance(step, OnConnect):
                if not self.set_up:
                    self._timer = asyncio.get_running_loop().call_later(step.settle, self._set_up)
                    return
                immediate += 1
                if immediate > len(self._steps):
                    raise ValueError("a repeating script needs at least one step that waits")
                self._start_actions(step)
                continue
            if isinstance(step, AfterAudioMs):
                self._audio_threshold = self.sess.audio_in_ms + step.ms
            elif isinstance(step, AfterDelay):
                self._timer = asyncio.get_running_loop().call_later(step.seconds, self._fire, step)
            return

    def _set_up(self) -> None:
        if not self.set_up:
            self.set_up = True
            if isinstance(self._armed, OnConnect):
                self._fire(self._armed)

    def _fire(self, step: Step) -> None:
        if self._armed is not step:
            return
        self._armed = None
        self._audio_threshold = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._start_actions(step)
        self.arm_next()

    def _start_actions(self, step: Step) -> None:
        # The response object exists from the moment the step fires, so a client
        # `response.create` racing it is rejected like the real API does.
        response = self.start_response(step.outputs()) if step.respond is not None else None
        self.spawn(self._actions(step, response))

    async def _actions(self, step: Step, response: _Response | None) -> None:
        try:
            if step.delay > 0:
                await asyncio.sleep(step.delay)
            turn = self.sess.session["audio"]["input"].get("turn_detection") or {}
            if step.speech_started:
                self.user_item_id = "item_" + secrets.token_hex(10)
                padding = float(turn.get("prefix_padding_ms") or 0)
                await self.send(
                    {
                        "type": "input_audio_buffer.speech_started",
                        "audio_start_ms": int(max(0.0, self.sess.audio_in_ms - padding)),
                        "item_id": self.user_item_id,
                    }
                )
                if turn.get("interrupt_response", True):
                    for other in list(self.responses):
                        if other is not response:
                            other.cancel("turn_detected")
            if step.speech_stopped:
                item_id = self.user_item_id or "item_" + secrets.token_hex(10)
                await self.send(
                    {
                        "type": "input_audio_buffer.speech_stopped",
                        "audio_end_ms": int(self.sess.audio_in_ms),
                        "item_id": item_id,
                    }
                )
                await self._commit(item_id)
            if step.transcript is not None:
                item_id = self.user_item_id or self.last_item_id or "item_" + secrets.token_hex(10)
                await self.send(
                    {
                        "type": "conversation.item.input_audio_transcription.completed",
                        "item_id": item_id,
                        "content_index": 0,
                        "transcript": step.transcript,
                        "usage": {
                            "type": "duration",
                            "seconds": round(max(self.sess.audio_in_ms, 1) / 1000, 3),
                        },
                    }
                )
                if not step.speech_started:
                    self.user_item_id = None
            if step.error is not None:
                await self.send_error(step.error)
            if response is not None:
                await response.run()
            if step.drop is not None:
                await self.drop(step.drop)
        finally:
            if response is not None and not response.started:
                self.forget_response(response)
                if not response.finished.done():
                    response.finished.set_result(None)

    async def _commit(self, item_id: str) -> None:
        previous = self.last_item_id
        await self.send(
            {
                "type": "input_audio_buffer.committed",
                "previous_item_id": previous,
                "item_id": item_id,
            }
        )
        item = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        await self.send(
            {"type": "conversation.item.added", "previous_item_id": previous, "item": item}
        )
        await self.send(
            {"type": "conversation.item.done", "previous_item_id": previous, "item": item}
        )
        self.items.add(item_id)
        self.last_item_id = item_id
        self.buffer_ms = 0.0

    async def drop(self, mode: DropMode) -> None:
        if mode == "abort":
            self.ws.transport.abort()
        else:
            await self.ws.close(code=1011, reason="fake realtime server: scripted drop")

    # -- client events

    async def handle(self, message: str | bytes) -> None:
        await self._handle(message)
        if not self.set_up:
            self._set_up()

    async def _handle(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            try:
                message = message.decode("utf-8")
            except UnicodeDecodeError:
                self.server._record(self.sess._events, {"type": None, "raw": repr(message[:200])})
                await self.send_error(_Reject("Invalid JSON: binary frame.", "invalid_json"))
                return
        try:
            event = json.loads(message)
        except ValueError as exc:
            self.server._record(self.sess._events, {"type": None, "raw": message[:200]})
            await self.send_error(_Reject(f"Invalid JSON: {exc}", "invalid_json"))
            return
        if not isinstance(event, dict):
            self.server._record(self.sess._events, {"type": None, "raw": message[:200]})
            await self.send_error(_Reject("Invalid event: expected a JSON object.", "invalid_type"))
            return
        kind = event.get("type")
        if kind == "input_audio_buffer.append":  # the hot path
            if self.server.record_audio:
                self.server._record(self.sess._events, event)
            audio = event.get("audio")
            try:
                if not isinstance(audio, str):
                    raise _missing("audio")
                try:
                    nbytes = len(binascii.a2b_base64(audio, strict_mode=True))
                except (binascii.Error, ValueError):
                    raise _Reject(
                        "Invalid 'audio'. Expected base64-encoded audio.", param="audio"
                    ) from None
            except _Reject as reject:
                await self.send_error(reject, event.get("event_id"))
                return
            sess = self.sess
            sess.appends += 1
            sess.audio_in_bytes += nbytes
            ms = nbytes / self.bytes_per_ms_in
            sess.audio_in_ms += ms
            self.buffer_ms += ms
            if self._audio_threshold is not None and sess.audio_in_ms >= self._audio_threshold:
                assert self._armed is not None
                self._fire(self._armed)
            return
        self.server._record(self.sess._events, event)
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        try:
            if handler is None:
                if not isinstance(kind, str):
                    raise _missing("type")
                supported = ", ".join(f"'{t}'" for t in _CLIENT_EVENTS)
                raise _Reject(
                    f"Invalid value: '{kind}'. Supported values are: {supported}.", param="type"
                )
            await handler(self, event)
        except _Reject as reject:
            await self.send_error(reject, event.get("event_id"))
            return
        self._after_client_event(event)

    def _after_client_event(self, event: dict[str, Any]) -> None:
        step = self._armed
        kind = event["type"]
        if isinstance(step, AfterClientEvent):
            if step.event_type == kind and (step.where is None or step.where(event)):
                self._fire(step)
        elif isinstance(step, AfterFunctionOutput):
            if kind == "conversation.item.create":
                item = event["item"]
                if item.get("type") == "function_call_output" and step.call_id in (
                    None,
                    item.get("call_id"),
                ):
                    self._function_output_seen = True
            elif kind == "response.create" and self._function_output_seen:
                self._fire(step)

    async def _session_update(self, event: dict[str, Any]) -> None:
        update = event.get("session")
        _validate_session_update(update)
        assert isinstance(update, dict)
        _merge(self.sess.session, update)
        fmt = self.sess.session["audio"]["input"].get("format") or {}
        self.bytes_per_ms_in = _AUDIO_FORMATS.get(str(fmt.get("type")), 48)
        await self.send({"type": "session.updated", "session": copy.deepcopy(self.sess.session)})

    async def _buffer_commit(self, event: dict[str, Any]) -> None:
        if self.buffer_ms < 100:
            raise _Reject(
                "Error committing input audio buffer: buffer too small. Expected at least 100ms "
                f"of audio, but buffer only has {self.buffer_ms:.2f}ms of audio.",
                "input_audio_buffer_commit_empty",
            )
        await self._commit(self.user_item_id or "item_" + secrets.token_hex(10))
        self.user_item_id = None

    async def _buffer_clear(self, event: dict[str, Any]) -> None:
        self.buffer_ms = 0.0
        await self.send({"type": "input_audio_buffer.cleared"})

    async def _item_create(self, event: dict[str, Any]) -> None:
        item = event.get("item")
        if not isinstance(item, dict):
            raise _missing("item")
        kind = item.get("type")
        if kind not in ("message", "function_call", "function_call_output"):
            raise _Reject(
                f"Invalid value: '{kind}'. Supported values are: 'message', 'function_call' "
                "and 'function_call_output'.",
                param="item.type",
            )
        if kind == "function_call_output":
            for key in ("call_id", "output"):
                if not isinstance(item.get(key), str):
                    raise _missing(f"item.{key}")
            if item["call_id"] not in self.function_calls:
                raise _Reject(
                    f"Tool call ID '{item['call_id']}' not found in conversation.",
                    param="item.call_id",
                )
            self.server._record(self.sess.function_outputs, item)
        elif kind == "message":
            if item.get("role") not in ("user", "assistant", "system"):
                raise _missing("item.role")
            if not isinstance(item.get("content"), list):
                raise _missing("item.content")
        item = {"object": "realtime.item", "status": "completed", **item}
        item.setdefault("id", "item_" + secrets.token_hex(10))
        previous = event.get("previous_item_id", self.last_item_id)
        await self.send(
            {"type": "conversation.item.added", "previous_item_id": previous, "item": item}
        )
        await self.send(
            {"type": "conversation.item.done", "previous_item_id": previous, "item": item}
        )
        self.items.add(item["id"])
        self.last_item_id = item["id"]

    async def _item_truncate(self, event: dict[str, Any]) -> None:
        item_id = event.get("item_id")
        content_index = event.get("content_index")
        audio_end_ms = event.get("audio_end_ms")
        if not isinstance(item_id, str):
            raise _missing("item_id")
        if not isinstance(content_index, int):
            raise _missing("content_index")
        if not isinstance(audio_end_ms, int) or isinstance(audio_end_ms, bool) or audio_end_ms < 0:
            raise _Reject(
                "Invalid 'audio_end_ms': expected a non-negative integer.", param="audio_end_ms"
            )
        if item_id not in self.audio_items:
            if item_id in self.items:
                raise _Reject(
                    "Only assistant messages with audio can be truncated.", param="item_id"
                )
            raise _Reject(f"Item with item_id '{item_id}' not found.", param="item_id")
        if content_index != 0:
            raise _Reject(f"Invalid content_index: {content_index}.", param="content_index")
        produced = self.audio_items[item_id]
        if audio_end_ms > produced:
            raise _Reject(
                f"Audio content of {produced}ms is already shorter than {audio_end_ms}ms",
                param="audio_end_ms",
            )
        self.audio_items[item_id] = audio_end_ms
        self.server._record(self.sess.truncations, Truncation(item_id, content_index, audio_end_ms))
        await self.send(
            {
                "type": "conversation.item.truncated",
                "item_id": item_id,
                "content_index": content_index,
                "audio_end_ms": audio_end_ms,
            }
        )

    async def _item_delete(self, event: dict[str, Any]) -> None:
        item_id = event.get("item_id")
        if not isinstance(item_id, str):
            raise _missing("item_id")
        if (
            item_id not in self.items
            and item_id not in self.audio_items
            and not any(item_id == i for r in self.sess.responses for i in r.item_ids)
        ):
            raise _Reject(f"Item with item_id '{item_id}' not found.", param="item_id")
        self.items.discard(item_id)
        self.audio_items.pop(item_id, None)
        await self.send({"type": "conversation.item.deleted", "item_id": item_id})

    async def _item_retrieve(self, event: dict[str, Any]) -> None:
        item_id = event.get("item_id")
        if not isinstance(item_id, str):
            raise _missing("item_id")
        raise _Reject(f"Item with item_id '{item_id}' not found.", param="item_id")

    async def _response_create(self, event: dict[str, Any]) -> None:
        active = self.active_response()
        if active is not None:
            raise _Reject(
                f"Conversation already has an active response in progress: {active.id}. Wait "
                "until the response is finished before creating a new one.",
                "conversation_already_has_active_response",
            )
        response = event.get("response")
        if response is not None and not isinstance(response, dict):
            raise _Reject("Invalid type for 'response'.", "invalid_type", "response")

    async def _response_cancel(self, event: dict[str, Any]) -> None:
        active = self.active_response()
        wanted = event.get("response_id")
        if active is None or (isinstance(wanted, str) and wanted != active.id):
            raise _Reject(
                "Cancellation failed: no active response found", "response_cancel_not_active"
            )
        self.sess.cancels += 1
        active.cancel("client_cancelled")

    async def _output_buffer_clear(self, event: dict[str, Any]) -> None:
        raise _Reject(
            "output_audio_buffer.clear is only supported for WebRTC and SIP sessions.",
            "unsupported_event",
            "type",
        )

    _handlers: dict[str, Callable[[_Connection, dict[str, Any]], Awaitable[None]]] = {
        "session.update": _session_update,
        "input_audio_buffer.commit": _buffer_commit,
        "input_audio_buffer.clear": _buffer_clear,
        "conversation.item.create": _item_create,
        "conversation.item.truncate": _item_truncate,
        "conversation.item.delete": _item_delete,
        "conversation.item.retrieve": _item_retrieve,
        "response.create": _response_create,
        "response.cancel": _response_cancel,
        "output_audio_buffer.clear": _output_buffer_clear,
    }

    async def close_tasks(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._armed = None
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# ------------------------------------------------------------------------- server


class FakeRealtimeServer:
    """The fake Realtime API on 127.0.0.1 (a `websockets` server in its own loop and thread).

    Use as a context manager (`with FakeRealtimeServer(script) as fake:`), or `start()`/`stop()`.
    `await fake.serve()` runs it in the current loop instead (what `serve_forever` does).
    """

    def __init__(
        self,
        script: ScriptSource | None = None,
        *,
        api_key: str = "test",
        host: str = "127.0.0.1",
        port: int = 0,
        pace: float = 1.0,
        chunk_ms: int = 100,
        record_audio: bool = True,
        path: str = "/v1/realtime",
    ) -> None:
        self.script: ScriptSource = script if script is not None else Script()
        self.api_key = api_key
        self.host = host
        self.port = port
        self.pace = pace
        self.chunk_ms = chunk_ms
        self.record_audio = record_audio  # False: don't keep append events / audio deltas
        self.path = path
        self.refuse_connections = False
        self.handshake_delay = 0.0
        self.rejected: list[tuple[int, str]] = []  # (HTTP status, path) of refused handshakes
        self._lock = threading.Lock()
        self._sessions: list[RealtimeSession] = []
        self._connections: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._stop: asyncio.Event | None = None

    # -- addresses

    @property
    def websocket_base_url(self) -> str:
        """What to pass as `AsyncOpenAI(websocket_base_url=...)`."""
        return f"ws://{self.host}:{self.port}/v1"

    def url(self, model: str = "gpt-realtime") -> str:
        """The full URL the SDK connects to, for raw websocket clients."""
        return f"ws://{self.host}:{self.port}{self.path}?model={model}"

    # -- records

    def _record(self, target: list[Any], item: Any) -> None:
        with self._lock:
            target.append(item)

    @property
    def sessions(self) -> list[RealtimeSession]:
        with self._lock:
            return list(self._sessions)

    def client_events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Client events of every session, in per-session order, optionally of one type."""
        events = [e for s in self.sessions for e in s.events]
        return events if kind is None else [e for e in events if e.get("type") == kind]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Poll `predicate` (every 5 ms) from any event loop until it is true."""
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("FakeRealtimeServer.wait_for timed out")
            await asyncio.sleep(0.005)

    # -- switches

    def drop_all(self, mode: DropMode = "abort") -> None:
        """Drop every open connection now (callable from any thread)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("server not running")

        def go() -> None:
            for conn in list(self._connections):
                if mode == "abort":
                    conn.ws.transport.abort()
                else:
                    loop.create_task(
                        conn.ws.close(code=1011, reason="fake realtime server: drop_all")
                    )

        if threading.current_thread() is self._thread or self._thread is None:
            go()
        else:
            loop.call_soon_threadsafe(go)

    # -- websocket plumbing

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        if self.handshake_delay > 0:
            await asyncio.sleep(self.handshake_delay)
        if self.refuse_connections:
            return self._reject(
                ws,
                request,
                HTTPStatus.SERVICE_UNAVAILABLE,
                "server_error",
                "Service unavailable (fake: refusing connections).",
            )
        url = urlsplit(request.path)
        if url.path != self.path:
            return self._reject(
                ws,
                request,
                HTTPStatus.NOT_FOUND,
                "invalid_request_error",
                f"Invalid URL (GET {url.path})",
            )
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._reject(
                ws,
                request,
                HTTPStatus.UNAUTHORIZED,
                "invalid_request_error",
                "Incorrect API key provided.",
                "invalid_api_key",
            )
        if not parse_qs(url.query).get("model"):
            return self._reject(
                ws,
                request,
                HTTPStatus.BAD_REQUEST,
                "invalid_request_error",
                "Missing required parameter: 'model'.",
            )
        return None

    def _reject(
        self,
        ws: ServerConnection,
        request: Request,
        status: HTTPStatus,
        kind: str,
        message: str,
        code: str | None = None,
    ) -> Response:
        self._record(self.rejected, (int(status), request.path))
        body = json.dumps(
            {"error": {"message": message, "type": kind, "param": None, "code": code}}
        )
        response = ws.respond(status, body)
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = "application/json"
        return response

    async def _handler(self, ws: ServerConnection) -> None:
        request = ws.request
        assert request is not None
        with self._lock:
            index = len(self._sessions)
        sess = RealtimeSession(index, request.path, request.headers, self._lock)
        self._record(self._sessions, sess)
        source = self.script
        script = source if isinstance(source, Script) else source()
        conn = _Connection(self, ws, sess, script)
        self._connections.add(conn)
        try:
            await conn.send({"type": "session.created", "session": copy.deepcopy(sess.session)})
            conn.arm_next()
            async for message in ws:
                await conn.handle(message)
        except ConnectionClosed:
            pass
        finally:
            self._connections.discard(conn)
            await conn.close_tasks()
            sess.closed_at = time.monotonic()

    @contextlib.asynccontextmanager
    async def _serving(self) -> AsyncIterator[Server]:
        server = await serve(
            self._handler,
            self.host,
            self.port,
            process_request=self._process_request,
            compression=None,
            max_size=16 * 2**20,
            ping_interval=None,
            server_header="fake-openai-realtime",
        )
        self._server = server
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield server
        finally:
            server.close(close_connections=True)
            await server.wait_closed()
            self._server = None

    async def serve(self, ready: Callable[[], None] | None = None) -> None:
        """Serve in the running loop until `stop()` (or cancellation)."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self._serving():
            if ready is not None:
                ready()
            await self._stop.wait()

    # -- background thread

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("already started")
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self.serve(started.set))
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                failure.append(exc)
                started.set()

        self._thread = threading.Thread(target=run, name="FakeRealtimeServer", daemon=True)
        self._thread.start()
        if not started.wait(10) or failure:
            self._thread = None
            raise RuntimeError("FakeRealtimeServer failed to start") from (
                failure[0] if failure else None
            )

    def stop(self) -> None:
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is None or stop is None:
            return
        if thread is not None and thread is not threading.current_thread():
            loop.call_soon_threadsafe(stop.set)
            thread.join(timeout=10)
            self._thread = None
        else:
            stop.set()
        self._loop = None

    def __enter__(self) -> FakeRealtimeServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ------------------------------------------------------------- separate process


def _conversation() -> Script:
    """Greets, then per caller turn: speech 1 s into the caller audio, a reply after 1.5 s."""
    return Script(
        [
            OnConnect(
                respond=Audio(ms=1500, transcript="Hello, Harbourside Physio, how can I help?")
            ),
            AfterAudioMs(1000, speech_started=True),
            AfterAudioMs(
                1500,
                speech_stopped=True,
                transcript="What time do you open tomorrow?",
                respond=Audio(ms=2000, transcript="We open at seven tomorrow morning."),
            ),
        ],
        repeat_from=1,
    )


def _tool() -> Script:
    """Greets, calls clinic_info after the first caller turn, answers after the tool output."""
    return Script(
        [
            OnConnect(respond=Audio(ms=1000, transcript="Hello, Harbourside Physio.")),
            AfterAudioMs(1000, speech_started=True),
            AfterAudioMs(
                1000,
                speech_stopped=True,
                transcript="When do you open?",
                respond=FunctionCall("clinic_info", {"topic": "hours"}),
            ),
            AfterFunctionOutput(respond=Audio(ms=1500, transcript="We open at seven.")),
            AfterAudioMs(1000, speech_started=True),
            AfterAudioMs(
                1000,
                speech_stopped=True,
                transcript="Thanks",
                respond=Audio(ms=800, transcript="Bye."),
            ),
        ],
        repeat_from=4,
    )


def _greet() -> Script:
    return Script([OnConnect(respond=Audio(ms=1500, transcript="Hello, Harbourside Physio."))])


def _silent() -> Script:
    return Script()


SCRIPTS: dict[str, Callable[[], Script]] = {
    "conversation": _conversation,
    "tool": _tool,
    "greet": _greet,
    "silent": _silent,
}


def serve_forever(
    port: int,
    script_factory: ScriptSource,
    *,
    host: str = "127.0.0.1",
    api_key: str = "test",
    pace: float = 1.0,
    chunk_ms: int = 100,
    record_audio: bool = False,
    ready: Callable[[FakeRealtimeServer], None] | None = None,
) -> None:
    """Run the fake in the current thread until SIGINT/SIGTERM (for a benchmark process)."""
    fake = FakeRealtimeServer(
        script_factory,
        api_key=api_key,
        host=host,
        port=port,
        pace=pace,
        chunk_ms=chunk_ms,
        record_audio=record_audio,
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, fake.stop)
        await fake.serve(None if ready is None else lambda: ready(fake))

    asyncio.run(main())


def _main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.openai_realtime", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="conversation")
    parser.add_argument("--api-key", default="test")
    parser.add_argument("--pace", type=float, default=1.0, help="1 = real time, 0 = instant")
    parser.add_argument("--chunk-ms", type=int, default=100)
    parser.add_argument("--record-audio", action="store_true")
    args = parser.parse_args(argv)

    def ready(fake: FakeRealtimeServer) -> None:
        print(f"READY {fake.websocket_base_url}", flush=True)

    serve_forever(
        args.port,
        SCRIPTS[args.script],
        host=args.host,
        api_key=args.api_key,
        pace=args.pace,
        chunk_ms=args.chunk_ms,
        record_audio=args.record_audio,
        ready=ready,
    )


if __name__ == "__main__":
    _main(sys.argv[1:])
