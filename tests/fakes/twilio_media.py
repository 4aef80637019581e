"""A fake Twilio Media Streams client: what Twilio does towards a `<Connect><Stream>` socket.

    call = MediaStreamCall("ws://127.0.0.1:8000/media-stream", custom_parameters={"clinic": "x"})
    await call.connect()                 # `connected`, then `start`
    await call.send_audio(1000)          # 50 real 20 ms μ-law frames, paced in real time
    await call.send_dtmf("5")
    await call.wait_for_mark("resp_1:3200", within=5)
    await call.stop()                    # `stop`, then close

Frames sent (spec section B1): every frame is a JSON text frame; `sequenceNumber` is a string
counting from "1" (`connected` has none), `media.chunk` counts from "1" and `media.timestamp`
is milliseconds since the stream started. In real-time mode frames leave 20 ms apart on a
drift-corrected schedule, so the timestamp is wall-clock based (exactly +20 per frame while
audio flows continuously, jumping ahead after a pause, as Twilio's does).

Playback model (B2/B4): received `media` is queued and "played" at 8 bytes/ms in real time; a
received `mark` is echoed back once everything queued before it has played; `clear` drops the
unplayed audio (a frame playing at that moment is cut short) and echoes pending marks at once
(Fonoster's documented behaviour; UNCONFIRMED for Twilio itself). Each received frame gets a
`PlayedFrame` with the moments its playback started and finished, for latency measurements.

Malformed frames from the server (not JSON, unknown `event`, wrong `streamSid`, bad base64...)
are recorded in `errors` as Twilio would report error 31924; they never raise.

All times are `loop.time()` of the running asyncio loop (monotonic seconds).
Cost per call is small: the media frame text is one `%`-format of precomputed parts (no
`json.dumps` per frame), and playback is computed arithmetically, not with a timer per frame.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import secrets
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

__all__ = [
    "BYTES_PER_MS",
    "FRAME_BYTES",
    "FRAME_MS",
    "MediaStreamCall",
    "PlayedFrame",
    "mulaw_encode",
    "mulaw_silence",
    "mulaw_tone",
]

BYTES_PER_MS = 8  # μ-law, 8 kHz, 1 byte per sample
FRAME_MS = 20
FRAME_BYTES = FRAME_MS * BYTES_PER_MS  # 160


def mulaw_encode(sample: int) -> int:
    """One signed 16-bit linear sample to a G.711 μ-law byte (0xFF is silence)."""
    sign = 0
    if sample < 0:
        sign = 0x80
        sample = -sample
    sample = min(sample, 32635) + 0x84
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not sample & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def mulaw_silence(nbytes: int) -> bytes:
    return b"\xff" * nbytes


_TONE_PERIOD = bytes(
    mulaw_encode(round(8000 * math.sin(2 * math.pi * i / 20))) for i in range(20)
)  # 400 Hz at 8 kHz: a whole period every 20 samples, so every 20 ms frame is identical


def mulaw_tone(nbytes: int) -> bytes:
    """A 400 Hz tone (about -12 dBFS) of `nbytes` μ-law samples, starting at phase 0."""
    reps = nbytes // len(_TONE_PERIOD) + 1
    return (_TONE_PERIOD * reps)[:nbytes]


_SILENCE_B64 = base64.b64encode(mulaw_silence(FRAME_BYTES)).decode("ascii")
_TONE_B64 = base64.b64encode(mulaw_tone(FRAME_BYTES)).decode("ascii")


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class PlayedFrame:
    """One received media frame in the playback model (times are loop.time() seconds)."""

    received_at: float
    nbytes: int
    start: float  # playback start: max(received_at, end of the audio queued before it)
    end: float  # playback end (cut short to the clear time if a `clear` arrived mid-frame)
    cleared: bool = False  # True if a `clear` dropped some or all of it

    @property
    def played_bytes(self) -> int:
        if self.end <= self.start:
            return 0
        return min(self.nbytes, round((self.end - self.start) * 1000 * BYTES_PER_MS))


class MediaStreamCall:
    """One fake Twilio call streaming to our `<Connect><Stream>` websocket."""

    def __init__(
        self,
        ws_url: str,
        *,
        call_sid: str | None = None,
        stream_sid: str | None = None,
        account_sid: str | None = None,
        custom_parameters: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        realtime: bool = True,
        tracks: tuple[str, ...] = ("inbound",),
    ) -> None:
        self.ws_url = ws_url
        self.call_sid = call_sid or _sid("CA")
        self.stream_sid = stream_sid or _sid("MZ")
        self.account_sid = account_sid or _sid("AC")
        self.custom_parameters = dict(custom_parameters or {})
        self.headers = dict(headers or {})
        self.realtime = realtime
        self.tracks = list(tracks)

        # What we sent.
        self.sent_events: list[str] = []  # event names in order (media included)
        self.sent_media_frames = 0
        self.sent_media_ms = 0
        # What we received, with loop.time() receive stamps.
        self.received_media_bytes = 0
        self.media_frames: list[tuple[float, int]] = []
        self.marks_received: list[str] = []
        self.marks_echoed: list[tuple[float, str]] = []  # (echo time, name)
        self.clears = 0
        self.clear_times: list[float] = []
        self.events: list[dict[str, Any]] = []  # every well-formed JSON object received
        self.errors: list[str] = []  # "31924: ..." for each malformed frame
        self.playback: list[PlayedFrame] = []
        self.connected_at: float | None = None
        self.closed_at: float | None = None
        self.close_code: int | None = None
        self.closed_by_server = False

        self._ws: ClientConnection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reader: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._seq = 0
        self._chunk = 0
        self._stream_t0 = 0.0
        self._next_due = 0.0
        self._last_timestamp = -FRAME_MS
        self._play_cursor = 0.0  # when the queued audio finishes playing
        # Marks waiting for the audio queued before them to play: (due time, name), in order.
        self._pending_marks: deque[tuple[float, str]] = deque()
        self._mark_timer: asyncio.TimerHandle | None = None
        self._done_idx = 0  # playback[:_done_idx] finished playing before the last check
        self._done_bytes = 0
        self._changed: asyncio.Event = asyncio.Event()
        self._stopped = False

    # ------------------------------------------------------------------ sending

    async def connect(self) -> None:
        """Open the socket and send `connected` then `start`."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._ws = await connect(
            self.ws_url,
            additional_headers=self.headers or None,
            user_agent_header="TwilioProxy/1.1",
            compression=None,
            max_size=None,
            open_timeout=10,
        )
        self.connected_at = self._stream_t0 = self._next_due = loop.time()
        self._reader = loop.create_task(self._read_loop(), name="MediaStreamCall.read")
        self._sender = loop.create_task(self._send_loop(), name="MediaStreamCall.send")
        await self._send_text(
            json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}), "connected"
        )
        start = {
            "event": "start",
            "sequenceNumber": self._next_seq(),
            "start": {
                "accountSid": self.account_sid,
                "streamSid": self.stream_sid,
                "callSid": self.call_sid,
                "tracks": self.tracks,
                "customParameters": self.custom_parameters,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
            "streamSid": self.stream_sid,
        }
        await self._send_text(json.dumps(start), "start")

    async def send_audio(self, ms: int, *, tone: bool = False) -> None:
        """Send `ms` of caller audio (rounded up to whole 20 ms frames): silence or a tone."""
        payload = _TONE_B64 if tone else _SILENCE_B64
        for _ in range(-(-ms // FRAME_MS)):
            await self._send_frame(payload)

    async def send_mulaw(self, audio: bytes) -> None:
        """Send arbitrary μ-law audio, cut into 20 ms frames (the last one padded with silence)."""
        for i in range(0, len(audio), FRAME_BYTES):
            frame = audio[i : i + FRAME_BYTES].ljust(FRAME_BYTES, b"\xff")
            await self._send_frame(base64.b64encode(frame).decode("ascii"))

    async def send_dtmf(self, digit: str) -> None:
        event = {
            "event": "dtmf",
            "streamSid": self.stream_sid,
            "sequenceNumber": self._next_seq(),
            "dtmf": {"track": "inbound_track", "digit": digit},
        }
        await self._send_text(json.dumps(event), "dtmf")

    async def stop(self) -> None:
        """Send `stop` (if the socket is still open), close, and stop the background tasks."""
        ws = self._require_ws()
        if not self._stopped:
            self._stopped = True
            event = {
                "event": "stop",
                "sequenceNumber": self._next_seq(),
                "streamSid": self.stream_sid,
                "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
            }
            try:
                await ws.send(json.dumps(event))
                self.sent_events.append("stop")
            except ConnectionClosed:
                pass
        await self.close()

    async def close(self) -> None:
        """Close the socket without `stop` (an abrupt hang-up) and stop the background tasks."""
        self._stopped = True
        if self._mark_timer is not None:
            self._mark_timer.cancel()
        self._pending_marks.clear()
        if self._ws is not None:
            await self._ws.close()
        for task in (self._reader, self._sender):
            if task is not None and not task.done():
                task.cancel()
        for task in (self._reader, self._sender):
            if task is not None:
                try:
                    await task
                except asyncio.CancelledError:
                    pass

    async def __aenter__(self) -> MediaStreamCall:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _require_ws(self) -> ClientConnection:
        if self._ws is None:
            raise RuntimeError("MediaStreamCall.connect() has not been called")
        return self._ws

    def _next_seq(self) -> str:
        self._seq += 1
        return str(self._seq)

    async def _send_text(self, text: str, name: str) -> None:
        await self._require_ws().send(text)
        self.sent_events.append(name)

    async def _send_frame(self, payload_b64: str) -> None:
        ws = self._require_ws()
        loop = self._loop
        assert loop is not None
        if self.realtime:
            now = loop.time()
            if self._next_due < now - 0.1:  # after a pause: restart the schedule (no burst)
                self._next_due = now
            delay = self._next_due - now
            if delay > 0:
                await asyncio.sleep(delay)
            timestamp = max(
                self._last_timestamp + FRAME_MS, round((self._next_due - self._stream_t0) * 1000)
            )
            self._next_due += FRAME_MS / 1000
        else:
            timestamp = self._last_timestamp + FRAME_MS
        self._last_timestamp = timestamp
        self._seq += 1
        self._chunk += 1
        text = _MEDIA_TEMPLATE % (self._seq, self._chunk, timestamp, payload_b64, self.stream_sid)
        await ws.send(text)
        self.sent_media_frames += 1
        self.sent_media_ms += FRAME_MS
        self.sent_events.append("media")

    # ---------------------------------------------------------------- receiving

    def now(self) -> float:
        loop = self._loop or asyncio.get_running_loop()
        return loop.time()

    @property
    def played_bytes(self) -> int:
        """Bytes of received audio that have finished playing or are playing now, up to now."""
        now = self.now()
        frames = self.playback
        # Frames play in order, and a finished frame never changes again (`clear` only cuts
        # frames still playing or queued), so finished frames are summed once.
        while self._done_idx < len(frames) and frames[self._done_idx].end <= now:
            self._done_bytes += frames[self._done_idx].played_bytes
            self._done_idx += 1
        total = self._done_bytes
        for frame in frames[self._done_idx :]:
            if frame.start >= now:
                break
            total += round((now - frame.start) * 1000 * BYTES_PER_MS)
        return total

    @property
    def played_ms(self) -> float:
        return self.played_bytes / BYTES_PER_MS

    @property
    def queued_ms(self) -> float:
        """Milliseconds of received audio not yet played."""
        return max(0.0, self._play_cursor - self.now()) * 1000

    @property
    def pending_marks(self) -> list[str]:
        return [name for _due, name in self._pending_marks]

    def first_playback_start(self) -> float | None:
        return self.playback[0].start if self.playback else None

    def _error(self, reason: str) -> None:
        self.errors.append(f"31924: {reason}")

    async def _read_loop(self) -> None:
        ws = self._require_ws()
        try:
            async for message in ws:
                self._on_message(message)
        except ConnectionClosed:
            pass
        finally:
            loop = self._loop
            self.closed_at = loop.time() if loop is not None else None
            if ws.close_code is not None:
                self.close_code = ws.close_code
            self.closed_by_server = not self._stopped
            self._changed.set()

    def _on_message(self, message: str | bytes) -> None:
        now = self.now()
        if isinstance(message, bytes):
            self._error("binary frame (Twilio accepts JSON text frames only)")
            return
        try:
            event = json.loads(message)
        except ValueError:
            self._error(f"not JSON: {message[:80]!r}")
            return
        if not isinstance(event, dict):
            self._error(f"not a JSON object: {message[:80]!r}")
            return
        self.events.append(event)
        kind = event.get("event")
        if kind not in ("media", "mark", "clear"):
            self._error(f"unknown event {kind!r}")
            return
        if event.get("streamSid") != self.stream_sid:
            self._error(f"{kind}: streamSid {event.get('streamSid')!r} is not {self.stream_sid!r}")
            return
        if kind == "media":
            media = event.get("media")
            payload = media.get("payload") if isinstance(media, dict) else None
            if not isinstance(payload, str) or not payload:
                self._error("media: missing media.payload")
                return
            try:
                nbytes = len(binascii.a2b_base64(payload, strict_mode=True))
            except (binascii.Error, ValueError):
                self._error("media: media.payload is not valid base64")
                return
            self._on_media(now, nbytes)
        elif kind == "mark":
            mark = event.get("mark")
            name = mark.get("name") if isinstance(mark, dict) else None
            if not isinstance(name, str):
                self._error("mark: missing mark.name")
                return
            self._on_mark(now, name)
        else:
            self._on_clear(now)
        self._changed.set()

    def _on_media(self, now: float, nbytes: int) -> None:
        self.received_media_bytes += nbytes
        self.media_frames.append((now, nbytes))
        start = max(now, self._play_cursor)
        end = start + nbytes / (BYTES_PER_MS * 1000)
        self._play_cursor = end
        self.playback.append(PlayedFrame(received_at=now, nbytes=nbytes, start=start, end=end))

    def _on_mark(self, now: float, name: str) -> None:
        self.marks_received.append(name)
        loop = self._loop
        assert loop is not None
        due = max(now, self._play_cursor)
        self._pending_marks.append((due, name))
        if self._mark_timer is None:
            self._mark_timer = loop.call_at(due, self._echo_due_marks)

    def _on_clear(self, now: float) -> None:
        self.clears += 1
        self.clear_times.append(now)
        for frame in reversed(self.playback):
            if frame.end <= now:
                break
            frame.cleared = True
            frame.end = now if frame.start < now else frame.start
        self._play_cursor = now
        if self._mark_timer is not None:
            self._mark_timer.cancel()
            self._mark_timer = None
        while self._pending_marks:
            self._queue_echo(self._pending_marks.popleft()[1])

    def _echo_due_marks(self) -> None:
        # One timer for the oldest pending mark, so marks due together keep their order.
        self._mark_timer = None
        loop = self._loop
        assert loop is not None
        now = loop.time()
        while self._pending_marks and self._pending_marks[0][0] <= now:
            self._queue_echo(self._pending_marks.popleft()[1])
        if self._pending_marks and not self._stopped:
            self._mark_timer = loop.call_at(self._pending_marks[0][0], self._echo_due_marks)

    def _queue_echo(self, name: str) -> None:
        self.marks_echoed.append((self.now(), name))
        self._outbox.put_nowait(
            json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})
        )
        self._changed.set()

    async def _send_loop(self) -> None:
        ws = self._require_ws()
        while True:
            text = await self._outbox.get()
            if self._stopped:
                continue
            self._seq += 1
            # Twilio's mark echoes carry a sequenceNumber like every other frame.
            text = text[:-1] + f',"sequenceNumber":"{self._seq}"}}'
            try:
                await ws.send(text)
            except ConnectionClosed:
                return
            self.sent_events.append("mark")

    # ------------------------------------------------------------------ waiting

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` is true (re-checked on every received frame and every 10 ms)."""
        async with asyncio.timeout(within):
            while not predicate():
                self._changed.clear()
                try:
                    async with asyncio.timeout(0.01):
                        await self._changed.wait()
                except TimeoutError:
                    pass

    async def wait_for_mark(self, name: str, within: float = 5.0) -> float:
        """Wait until mark `name` has been echoed back; return the echo time."""
        await self.wait_until(lambda: any(n == name for _t, n in self.marks_echoed), within)
        return next(t for t, n in self.marks_echoed if n == name)

    async def wait_for_media(self, nbytes: int, within: float = 5.0) -> None:
        await self.wait_until(lambda: self.received_media_bytes >= nbytes, within)

    async def wait_until_played(self, within: float = 5.0) -> None:
        """Wait until all received audio has played out."""
        await self.wait_until(lambda: self.now() >= self._play_cursor, within)

    async def wait_closed(self, within: float = 5.0) -> None:
        await self.wait_until(lambda: self.closed_at is not None, within)

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == kind]

    def summary(self) -> Mapping[str, Any]:
        return {
            "call_sid": self.call_sid,
            "sent_media_ms": self.sent_media_ms,
            "received_media_bytes": self.received_media_bytes,
            "marks": len(self.marks_received),
            "clears": self.clears,
            "errors": list(self.errors),
        }


_MEDIA_TEMPLATE = (
    '{"event":"media","sequenceNumber":"%d","media":{"track":"inbound","chunk":"%d",'
    '"timestamp":"%d","payload":"%s"},"streamSid":"%s"}'
)
