"""Media Streams bridged to the OpenAI Realtime API: speech to speech, with barge-in.

Per call, two sockets: Twilio's (`/twilio/media`, 8 kHz mu-law frames as JSON) and OpenAI's
Realtime session (opened through the `openai` library as soon as the `start` message's call
token has been admitted, never before, while the clinic and session are made ready). Audio
passes through untouched in both directions: `audio/pcmu` is exactly Twilio's format, so there
is no decode, no resampling and no re-encode. The per-frame path (`_on_twilio`, `_on_openai`)
runs where the websocket libraries read each frame (see `direct.py`): the audio is sliced out
of the frame's bytes without a JSON parse and written straight to the other socket, with no
task switch, no logging and no per-frame allocation beyond the outgoing message. Anything
unusual falls back to a full parse.

Playback is tracked with marks named `{item_id}:{bytes sent so far}`: Twilio echoes a mark once
the audio before it has played, so the bytes played per item are known exactly. When the
caller starts speaking while audio is still queued, we send Twilio `clear` and tell OpenAI to
`conversation.item.truncate` at the milliseconds actually played (never more than were sent).
With nothing queued, nothing is sent.

Tool calls run only after `response.done` with status `completed` (a cancelled response's
calls are dropped), through the same `Toolbox` as the text engines, so the same guardrails
apply; the results go back as `function_call_output` items and then one `response.create`. A
tool run is its own task: a barge-in never cancels a write in flight.

If the Realtime connection fails or drops, the bridge reconnects once and replays the
conversation so far; if that fails too, the call is handed to a person or to voicemail
through the `<Connect>` action, so the caller is never left in silence for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from typing import Any, cast

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from receptionist.agent.runtime import instructions_for
from receptionist.agent.session import CallSession, Outcome, Turn
from receptionist.agent.toolbox import Toolbox, realtime_schemas
from receptionist.agent.tools import TOOLS
from receptionist.telephony import frames, tokens
from receptionist.telephony.clinics import ClinicUnavailable, LiveClinic
from receptionist.telephony.direct import (
    DIRECT_EXTENSION,
    DirectClientConnection,
    DirectWebSocketProtocol,
)
from receptionist.telephony.service import Telephony

logger = logging.getLogger(__name__)

router = APIRouter()

START_TIMEOUT = 10.0
CONNECT_TIMEOUT = 4.0
TRANSCRIPT_WAIT = 1.5
# A mark at least every 100 ms of audio (and at the end of each reply): barge-in precision
# within 100 ms for a fifth of the messages a mark per 20 ms frame costs.
MARK_EVERY_BYTES = 800
GOODBYE_GRACE = 15.0  # seconds the model's last words may take before the stream closes
POLICY_VIOLATION = 1008
ENGINE = "realtime"


# The per-frame path works on the frames' UTF-8 bytes: audio is found by slicing, not parsing.
APPEND = b'{"type":"input_audio_buffer.append","audio":"'
MEDIA_EVENT = b'"event":"media"'
MARK_EVENT = b'"event":"mark"'
PAYLOAD_AT = b'"payload":"'
AUDIO_DELTA = b'"response.output_audio.delta"'
ITEM_AT = b'"item_id":"'
DELTA_AT = b'"delta":"'


def b64_bytes(data: bytes) -> int:
    """Decoded length of base64 text, without decoding it."""
    padding = 2 if data.endswith(b"==") else 1 if data.endswith(b"=") else 0
    return len(data) // 4 * 3 - padding


def _clean(value: bytes) -> bool:
    """Base64, ids and sids are ASCII without quotes or backslashes; anything else is refused
    (it would break the JSON we build around it). `bytes.find` rather than `in`: for `bytes`,
    `in` first tries the operand as an integer, building and dropping a TypeError each time."""
    return value.isascii() and value.find(b'"') < 0 and value.find(b"\\") < 0


def _between(data: bytes, key: bytes, start: int = 0) -> bytes | None:
    """The string value after `key` (which ends with its opening quote), if it has one."""
    at = data.find(key, start)
    if at < 0:
        return None
    at += len(key)
    end = data.find(b'"', at)
    return data[at:end] if end >= 0 else None


_asgi_path_noted = False


def _note_asgi_path() -> None:
    """Tell the operator once per process that the media bridge is on the slower path."""
    global _asgi_path_noted
    if not _asgi_path_noted:
        _asgi_path_noted = True
        logger.info(
            "media bridge on plain ASGI: run `receptionist serve` (or uvicorn with --ws "
            "receptionist.telephony.direct:DirectWebSocketProtocol) for the direct frame path"
        )


async def _close_quietly(connection: Any) -> None:
    with contextlib.suppress(Exception):
        await connection.close()


class RealtimeUnavailable(Exception):
    """The Realtime connection could not be (re)established."""


@router.websocket("/twilio/media")
async def media_socket(websocket: WebSocket) -> None:
    service: Telephony = websocket.app.state.telephony
    await websocket.accept()
    bridge = MediaBridge(service, websocket)
    await bridge.run()


class MediaBridge:
    """One call: Twilio's media stream on one side, an OpenAI Realtime session on the other."""

    def __init__(self, service: Telephony, websocket: WebSocket) -> None:
        self.service = service
        self.twilio = websocket
        self._asgi_receive = websocket._receive  # Starlette's wrapper re-checks state per frame
        # Under `DirectWebSocketProtocol` caller frames reach `_on_twilio` as uvicorn parses
        # them and our frames are written at once; under any other server they go through
        # ASGI, with an outbox (and a task writing it) keeping them in order.
        direct = (websocket.scope.get("extensions") or {}).get(DIRECT_EXTENSION) or {}
        self._direct: DirectWebSocketProtocol | None = direct.get("protocol")
        self._outbox: asyncio.Queue[bytes] | None = None if self._direct else asyncio.Queue()
        if self._direct is None:
            _note_asgi_path()
        self._media_head = b""
        self._sid = b""
        self._item_id, self._item = b"", ""  # the reply whose audio is streaming
        self.stream_sid = ""
        self.call_sid = ""
        self.live: LiveClinic | None = None
        self.session: CallSession | None = None
        self.box: Toolbox | None = None
        self.rt: Any = None  # the openai library's realtime connection
        self._rt_socket: DirectClientConnection | None = None  # its websocket
        self._connecting: asyncio.Task[Any] | None = None
        # Playback: bytes sent and played per assistant item; marks not yet echoed.
        self.sent: dict[str, int] = {}
        self.played: dict[str, int] = {}
        self.outstanding: deque[str] = deque()
        self._marked: dict[str, int] = {}
        self.speaking: str | None = None
        self._agent_text: dict[str, str] = {}
        self._pending_transcripts: set[str] = set()
        self._transcribed = asyncio.Event()
        self._tools: set[asyncio.Task[None]] = set()
        # Ending: "" (not ending), "goodbye" (asked the model for its last words), "said"
        # (they are out; the stream closes once they have played).
        self._ending = ""
        self._reconnected = False
        self._closing = False
        self._odd_logged = False
        self._greeting: Turn | None = None  # the greeting on record, until its transcript

    # -- lifecycle ------------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            if not await self._await_start():
                return
            try:
                await self._open_session()
            except RealtimeUnavailable:
                await self._give_up()
                return
            self.service.live.add(self.call_sid, self.stop)
            if self._direct is not None:
                self._direct.listener = self._on_twilio
            try:
                await self._pump()
            finally:
                self.service.live.remove(self.call_sid, self.stop)
                if self._direct is not None:
                    self._direct.listener = None
        finally:
            await self._shutdown()

    def stop(self) -> None:
        """End the call in order (its provider says it is over): the record is saved and the
        stream closed; both directions then wind down as for any ending."""
        self.service.background(self._finish())

    async def _await_start(self) -> bool:
        """Read Twilio's `connected` and `start`; check the call's token before anything else."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                event = await asyncio.wait_for(
                    self._asgi_receive(), max(0.1, deadline - time.monotonic())
                )
                raw = frames.text_frame(event, self.service.settings.max_frame_bytes)
                if raw is None:
                    return False  # gone before it started
                message = frames.json_object(raw)
            except (TimeoutError, frames.BadFrame, RuntimeError) as exc:
                reason = exc.reason if isinstance(exc, frames.BadFrame) else type(exc).__name__
                logger.warning("media socket refused: no valid start (%s)", reason)
                await self._refuse()
                return False
            if message.get("event") == "connected":
                continue
            if message.get("event") != "start":
                await self._refuse()
                return False
            start = message.get("start")
            if not isinstance(start, dict):
                logger.warning("media socket refused: start without a payload object")
                await self._refuse()
                return False
            params = start.get("customParameters") or {}
            try:
                if not isinstance(params, dict):
                    raise tokens.InvalidToken("no token")
                claims = await self.service.admit(
                    str(params.get("token", "")), str(start.get("callSid", ""))
                )
            except tokens.InvalidToken as exc:
                logger.warning("media socket refused: %s", exc)
                await self._refuse()
                return False
            config = self.service.directory.config_for_key(claims.clinic)
            if config is None:
                await self._refuse()
                return False
            # Only an admitted call spends the clinic's OpenAI money: the Realtime session
            # opens now, while the clinic and the call's session are made ready.
            self._connecting = asyncio.create_task(self._connect())
            self.stream_sid = str(start.get("streamSid") or message.get("streamSid") or "")
            self.call_sid = claims.call_sid
            if not _clean(self.stream_sid.encode()):
                await self._refuse()
                return False
            self._sid = self.stream_sid.encode()
            self._media_head = (
                b'{"event":"media","streamSid":"' + self._sid
                + b'","media":{"payload":"'
            )  # fmt: skip
            try:
                self.live = await self.service.directory.open(config)
            except ClinicUnavailable as exc:
                logger.warning("media socket closed: clinic unavailable (%s)", type(exc).__name__)
                await self._refuse()
                return False
            self.session = await self.service.open_session(
                claims.call_sid, claims.clinic, str(params.get("caller") or ""), "realtime"
            )
            self.box = Toolbox(self.session, self.live.clinic, TOOLS)
            self.session.engines.append(ENGINE)
            return True

    async def _refuse(self) -> None:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await self.twilio.close(code=POLICY_VIOLATION)

    async def _connect(self) -> Any:
        settings = self.service.settings
        # `create_connection` is a `websockets` connection option the openai library passes on.
        options = cast(Any, {"create_connection": DirectClientConnection})
        manager = self.service.realtime_client().realtime.connect(
            model=settings.realtime_model, websocket_connection_options=options
        )
        return await asyncio.wait_for(manager.enter(), CONNECT_TIMEOUT)

    def _attach(self) -> None:
        """Take the new Realtime connection's model audio where `websockets` parses it."""
        socket = self.rt._connection
        if not isinstance(socket, DirectClientConnection):
            raise TypeError("the Realtime connection was not opened with DirectClientConnection")
        socket.listener = self._on_openai
        self._rt_socket = socket

    async def _open_session(self) -> None:
        """Finish connecting (begun at accept), configure the session, let the model greet."""
        assert self._connecting is not None
        try:
            self.rt = await self._connecting
        except Exception as exc:  # refused, timed out, bad handshake
            logger.warning("realtime connection failed: %s", type(exc).__name__)
            if not await self._reconnect(replay=False):
                raise RealtimeUnavailable from exc
            return
        self._attach()
        await self._configure(greet=True)

    async def _configure(self, *, greet: bool, replay: bool = False) -> None:
        assert self.live is not None and self.session is not None
        settings = self.service.settings
        vad: dict[str, Any] = {"type": settings.realtime_vad, "interrupt_response": True}
        if settings.realtime_vad == "semantic_vad":
            vad["eagerness"] = "auto"
        session = {
            "type": "realtime",
            "output_modalities": ["audio"],
            "instructions": instructions_for(self.live.clinic),
            "audio": {
                "input": {
                    "format": {"type": "audio/pcmu"},
                    "transcription": {"model": "gpt-4o-mini-transcribe"},
                    "turn_detection": vad,
                },
                "output": {"format": {"type": "audio/pcmu"}, "voice": settings.realtime_voice},
            },
            "tools": realtime_schemas(TOOLS),
            "tool_choice": "auto",
        }
        await self._rt_send(json.dumps({"type": "session.update", "session": session}))
        if replay:
            for turn in self.session.transcript:
                role = "user" if turn.role == "caller" else "assistant"
                part = "input_text" if role == "user" else "output_text"
                content = [{"type": part, "text": turn.text}]
                item = {"type": "message", "role": role, "content": content}
                await self._rt_send(json.dumps({"type": "conversation.item.create", "item": item}))
            await self._respond("Apologise in a few words for the pause, then carry on.")
        elif greet:
            greeting = self.live.script.greeting
            # On record from the start; the model's own transcript replaces it when it comes.
            self._greeting = self.session.add_turn("agent", greeting, engine=ENGINE)
            await self._respond(f'Greet the caller with exactly: "{greeting}"')

    async def _respond(self, instructions: str | None = None) -> None:
        event: dict[str, Any] = {"type": "response.create"}
        if instructions:
            event["response"] = {"instructions": instructions}
        await self._rt_send(json.dumps(event))

    async def _rt_send(self, text: str) -> None:
        assert self._rt_socket is not None
        await self._rt_socket.send(text)

    def _to_twilio(self, *messages: bytes) -> None:
        """Send Twilio messages, now (direct) or in order through the outbox (ASGI)."""
        if self._direct is not None:
            self._direct.write_text(*messages)  # a closing socket drops them: the call is ending
        elif self._outbox is not None:
            for message in messages:
                self._outbox.put_nowait(message)

    async def _write_outbox(self) -> None:
        assert self._outbox is not None
        while True:
            data = await self._outbox.get()
            try:
                await self.twilio.send_text(data.decode())
            finally:
                self._outbox.task_done()

    # -- the two directions -----------------------------------------------------------------

    async def _pump(self) -> None:
        """Both directions at once; when either side ends, the call's bridge ends."""
        tasks = {asyncio.create_task(self._from_twilio()), asyncio.create_task(self._from_openai())}
        if self._outbox is not None:
            tasks.add(asyncio.create_task(self._write_outbox()))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _on_twilio(self, raw: bytes) -> bool:
        """The per-frame path from Twilio: caller audio straight on to the model, and mark
        echoes. False for anything else (or anything odd), which the full parse handles."""
        if raw.find(MEDIA_EVENT) >= 0:
            payload = _between(raw, PAYLOAD_AT)
            if payload is None or not _clean(payload):
                return False
            assert self._rt_socket is not None
            self._rt_socket.write_text(APPEND + payload + b'"}')  # dropped while reconnecting
            return True
        if raw.find(MARK_EVENT) >= 0:
            name = _between(raw, b'"name":"')
            if name is None or not _clean(name):
                return False
            self._mark_played(name.decode())
            return True
        return False

    def _on_openai(self, data: bytes) -> bool:
        """The per-frame path from the model: its audio straight on to Twilio. False for
        every other event, which `_from_openai` reads in order."""
        if data.find(AUDIO_DELTA, 0, 64) < 0:
            return False
        item_id = _between(data, ITEM_AT)
        delta = _between(data, DELTA_AT)
        if item_id is None or delta is None:
            return False
        self._audio(item_id, delta)
        return True

    async def _from_twilio(self) -> None:
        """Twilio's messages that the per-frame path left (all of them, off uvicorn)."""
        receive = self._asgi_receive
        limit = self.service.settings.max_frame_bytes
        try:
            while True:
                raw = frames.text_frame(await receive(), limit)
                if raw is None:
                    return
                if self._direct is None and self._on_twilio(raw.encode()):
                    continue
                if not await self._twilio_message(frames.json_object(raw)):
                    return
        except frames.BadFrame as exc:
            if self.session is not None:
                self.session.errors.append(f"media: {exc.reason}; call ended")
            logger.warning("media call ended: %s", exc.reason, extra={"call_id": self.call_sid})
            self._closing = True
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await self.twilio.close(code=exc.code)

    async def _twilio_message(self, message: dict[str, Any]) -> bool:
        """One of Twilio's messages, fully parsed; False when it ends the stream."""
        event = message.get("event")
        media, mark, dtmf = message.get("media"), message.get("mark"), message.get("dtmf")
        if event == "media" and isinstance(media, dict):
            payload = media.get("payload")
            if isinstance(payload, str) and _clean(audio := payload.encode()):
                assert self._rt_socket is not None
                self._rt_socket.write_text(APPEND + audio + b'"}')
        elif event == "mark" and isinstance(mark, dict):
            self._mark_played(str(mark.get("name", "")))
        elif event == "dtmf" and isinstance(dtmf, dict):
            await self._dtmf(dtmf.get("digit"))
        elif event == "stop":
            return False
        elif not isinstance(event, str) or event not in ("media", "mark", "dtmf", "connected"):
            raise frames.BadFrame("a message Twilio does not send")
        return True

    async def _from_openai(self) -> None:
        """The model's events other than audio (which `_on_openai` takes as it arrives)."""
        while True:
            try:
                assert self._rt_socket is not None
                data = await self._rt_socket.recv()
            except Exception as exc:  # any failure of the Realtime socket: try once more
                if self._closing:
                    return
                logger.warning("realtime connection dropped: %s", type(exc).__name__)
                if not await self._reconnect(replay=True):
                    await self._give_up()
                    return
                continue
            try:
                event = json.loads(data)
            except ValueError:
                event = None
            kind = event.get("type") if isinstance(event, dict) else None
            if not isinstance(event, dict) or not isinstance(kind, str):
                self._odd_event("not a JSON object with a type")
                continue
            if kind == "response.output_audio.delta":  # one the per-frame path found odd
                item_id, delta = event.get("item_id"), event.get("delta")
                if isinstance(item_id, str) and isinstance(delta, str):
                    self._audio(item_id.encode(), delta.encode())
                continue
            try:
                await self._event(kind, event)
            except (TypeError, AttributeError, ValueError) as exc:  # a field of the wrong shape
                self._odd_event(f"{kind[:60]} ({type(exc).__name__})")

    def _odd_event(self, what: str) -> None:
        """An event from the model server we cannot read: skipped, and logged once a call."""
        if self.session is not None:
            self.session.errors.append(f"realtime: odd event skipped: {what}")
        if not self._odd_logged:
            self._odd_logged = True
            logger.warning("realtime: odd event skipped", extra={"call_id": self.call_sid})

    # -- OpenAI -> Twilio ---------------------------------------------------------------------

    def _audio(self, item_id: bytes, delta: bytes) -> None:
        if item_id != self._item_id:  # a new reply (ids are checked once, not per frame)
            if not _clean(item_id):
                return
            self._item_id, self._item = item_id, item_id.decode()
        if not _clean(delta):
            return
        item = self._item
        total = self.sent.get(item, 0) + b64_bytes(delta)
        self.sent[item] = total
        self.speaking = item
        media = self._media_head + delta + b'"}}'
        mark = None
        if total - self._marked.get(item, 0) >= MARK_EVERY_BYTES:
            mark = self._mark_message(item)
        if mark is None:
            self._to_twilio(media)
        else:
            self._to_twilio(media, mark)  # one write for both

    def _mark(self, item_id: str) -> None:
        """Ask Twilio to tell us when the audio sent so far for this item has played."""
        mark = self._mark_message(item_id)
        if mark is not None:
            self._to_twilio(mark)

    def _mark_message(self, item_id: str) -> bytes | None:
        """The mark for the audio sent so far for this item (None if that is marked already),
        recorded as outstanding until Twilio echoes it."""
        total = self.sent.get(item_id, 0)
        if total <= self._marked.get(item_id, 0):
            return None
        self._marked[item_id] = total
        mark = f"{item_id}:{total}"
        self.outstanding.append(mark)
        name = mark.encode()
        return b'{"event":"mark","streamSid":"' + self._sid + b'","mark":{"name":"' + name + b'"}}'

    def _playing(self) -> str | None:
        """The item whose audio is queued or playing at Twilio, if any."""
        if self.outstanding:
            return self.outstanding[0].rpartition(":")[0]
        item = self.speaking
        if item is not None and self.sent.get(item, 0) > self.played.get(item, 0):
            return item
        return None

    def _mark_played(self, name: str) -> None:
        item_id, _, count = name.rpartition(":")
        if not item_id or not count.isdigit():
            return
        played = int(count)
        if played > self.played.get(item_id, 0):
            self.played[item_id] = played
        if name in self.outstanding:  # an echo of a mark dropped by a `clear` is not ours to pop
            while self.outstanding.popleft() != name:
                pass
        if not self.outstanding and self._ending == "said":
            asyncio.get_running_loop().create_task(self._finish())

    async def _barge_in(self) -> None:
        """The caller spoke over us: drop queued audio, and tell the model what was heard."""
        item_id = self._playing()
        if item_id is None:
            return  # nothing playing: no clear, no truncate
        self.outstanding.clear()
        self.speaking = None
        self._to_twilio(b'{"event":"clear","streamSid":"' + self._sid + b'"}')
        played = min(self.played.get(item_id, 0), self.sent.get(item_id, 0))
        audio_end_ms = played // 8
        truncate = {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": audio_end_ms,
        }
        await self._rt_send(json.dumps(truncate))
        self._trim_transcript(item_id, played)

    def _trim_transcript(self, item_id: str, played: int) -> None:
        """Keep in the call record roughly what the caller heard of an interrupted reply."""
        sent = self.sent.get(item_id, 0)
        text = self._agent_text.get(item_id)
        if self.session is None or not text or not sent:
            return
        heard = text[: int(len(text) * min(1.0, played / sent))].rstrip()
        for turn in reversed(self.session.transcript):
            if turn.role == "agent" and turn.text == text:
                turn.text = heard + " [interrupted]"
                break
        self._agent_text[item_id] = heard

    async def _event(self, kind: str, event: dict[str, Any]) -> None:
        assert self.session is not None
        if kind == "input_audio_buffer.speech_started":
            await self._barge_in()
        elif kind == "response.output_audio.done":
            self._mark(str(event.get("item_id")))  # the end of the reply is always marked
        elif kind == "input_audio_buffer.committed":
            self._pending_transcripts.add(str(event.get("item_id")))
            self._transcribed.clear()
        elif kind in (
            "conversation.item.input_audio_transcription.completed",
            "conversation.item.input_audio_transcription.failed",
        ):
            self._pending_transcripts.discard(str(event.get("item_id")))
            limit = self.service.settings.max_utterance_chars
            transcript = frames.caller_words(self.session, event.get("transcript"), limit, "media")
            if transcript:
                self.session.add_turn("caller", transcript)
            if not self._pending_transcripts:
                self._transcribed.set()
            if transcript:
                await self.service.store.save(self.session)  # a turn on record as it happens
        elif kind == "response.output_audio_transcript.done":
            text = str(event.get("transcript") or "").strip()
            if text:
                self._agent_text[str(event.get("item_id"))] = text
                if self._greeting is not None:
                    self._greeting.text, self._greeting = text, None
                else:
                    self.session.add_turn("agent", text, engine=ENGINE)
                await self.service.store.save(self.session)
        elif kind == "response.done":
            response = event.get("response")
            await self._response_done(response if isinstance(response, dict) else {})
        elif kind == "error":
            error = event.get("error")
            error = error if isinstance(error, dict) else {}
            what = str(error.get("code") or error.get("type"))[:80]
            self.session.errors.append(f"realtime: {what}")
            logger.warning("realtime error event", extra={"call_id": self.call_sid})

    async def _response_done(self, response: dict[str, Any]) -> None:
        output = response.get("output")
        calls = [
            item for item in (output if isinstance(output, list) else ())
            if isinstance(item, dict) and item.get("type") == "function_call"
        ]  # fmt: skip
        if self._ending == "goodbye":
            self._ending = "said"  # the last words are out (or were cut short): close soon
            if not self.outstanding:
                await self._finish()
            return
        if response.get("status") != "completed":
            return  # a cancelled or failed response's tool calls are never run
        if calls:
            task = asyncio.create_task(self._run_tools(calls))
            self._tools.add(task)
            task.add_done_callback(self._tools.discard)
        if self.session is not None:
            await self.service.store.save(self.session)

    async def _run_tools(self, calls: list[dict[str, Any]]) -> None:
        """Run the model's calls (not cancelled by a barge-in), answer each, respond once."""
        assert self.box is not None and self.session is not None
        if self._pending_transcripts:  # a "yes" must be on record before a write checks it
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._transcribed.wait(), TRANSCRIPT_WAIT)
        written = len(self.session.writes)
        for call in calls:
            result = await self.box.call(str(call.get("name", "")), call.get("arguments") or "")
            output = {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": str(call.get("call_id", "")),
                    "output": result.say,
                },
            }
            await self._rt_send(json.dumps(output))
        for outcome, appointment in self.session.writes[written:]:
            assert self.live is not None
            self.service.background(
                self.service.confirm_by_sms(self.live, self.session, outcome, appointment)
            )
        if (
            self.session.end_requested
            or self.session.voicemail_requested
            or (Outcome.TRANSFERRED in self.session.actions)
        ):
            # The model says its last words, they play, then the stream closes and Twilio asks
            # the <Connect> action what comes next. A model that never answers cannot hold
            # the caller: the stream closes after a grace period anyway.
            self._ending = "goodbye"
            loop = asyncio.get_running_loop()
            loop.call_later(GOODBYE_GRACE, lambda: loop.create_task(self._finish()))
        await self._respond()
        await self.service.store.save(self.session)

    async def _dtmf(self, pressed: object) -> None:
        if self.session is None:
            return
        digit = frames.caller_words(self.session, pressed, frames.DTMF_CHARS, "media")
        if not digit:
            return
        self.session.add_turn("caller", digit)
        text = f"(The caller pressed {digit} on the keypad.)"
        content = [{"type": "input_text", "text": text}]
        item = {"type": "message", "role": "user", "content": content}
        await self._rt_send(json.dumps({"type": "conversation.item.create", "item": item}))
        await self._respond()

    # -- ending and failing -------------------------------------------------------------------

    async def _finish(self) -> None:
        """The goodbye has played: close Twilio's stream; its <Connect> action does the rest."""
        if self._closing:
            return
        self._closing = True
        if self.session is not None:
            await self.service.store.save(self.session)
        if self._outbox is not None:  # what is queued goes out before the close
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox.join(), 5)
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await self.twilio.close()

    async def _reconnect(self, *, replay: bool) -> bool:
        """One more try at the Realtime session, replaying the conversation so far."""
        if self._reconnected:
            return False
        self._reconnected = True
        if self.session is not None:
            self.session.errors.append("realtime: connection lost, reconnecting")
        with contextlib.suppress(Exception):
            if self.rt is not None:
                await self.rt.close()
        try:
            self.rt = await self._connect()
        except Exception as exc:  # refused, timed out, bad handshake: all mean "not back"
            logger.warning("realtime reconnect failed: %s", type(exc).__name__)
            return False
        self._attach()
        self.outstanding.clear()
        await self._configure(greet=not replay, replay=replay)
        return True

    async def _give_up(self) -> None:
        """No Realtime session: hand the caller to a person (or voicemail) via the action URL."""
        if self.session is None or self.live is None:
            await self._refuse()
            return
        self.session.errors.append("realtime: unavailable, handed over")
        if self.live.transfer_number and self.live.script.can_transfer(
            self.service.now(), self.live.clinic.zone
        ):
            self.session.transfer_reason = "the voice assistant was unavailable"
            self.session.actions.add(Outcome.TRANSFERRED)
        else:
            self.session.voicemail_requested = True
        await self._finish()

    def _close_unused(self, connecting: asyncio.Task[Any]) -> None:
        if connecting.cancelled() or connecting.exception() is not None:
            return  # it never opened (and its failure is retrieved here)
        self.service.background(_close_quietly(connecting.result()))

    async def _shutdown(self) -> None:
        self._closing = True
        for task in list(self._tools):
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), 10)
        if self._connecting is not None and self.rt is None:
            # Opened for a call that never started: closed as soon as it is open. Not
            # cancelled mid-handshake, where a failing name lookup is left unretrieved.
            self._connecting.add_done_callback(self._close_unused)
        if self.rt is not None:
            with contextlib.suppress(Exception):
                await self.rt.close()
        if self._rt_socket is not None:
            self._rt_socket.listener = None
        if self.session is not None:
            self.session.close()
            await self.service.store.save(self.session)
