"""A phone call simulator that behaves as Twilio does towards the running service.

It drives a ConversationRelay call over real HTTP and a real websocket (spec sections A and C):

    sim = CallSimulator("http://127.0.0.1:8000", token, public_base_url="https://clinic.example")
    greeting = await sim.start()         # signed voice webhook -> TwiML -> relay socket -> `setup`
    reply = await sim.say("Hi, I'd like to book")   # `prompt` -> `text` tokens until `last: true`
    reply = await sim.press("1")          # `dtmf`, one message per digit
    await sim.interrupt("Your next opening is")     # `interrupt`
    await sim.hang_up()                   # close the socket, then the signed status callback
    await sim.aclose()

What it does exactly as Twilio would:

- Every webhook (voice, `<Connect action>`, `<Redirect>`, `<Record action>`, status) is a form
  POST signed with `X-Twilio-Signature` = `RequestValidator(auth_token).compute_signature(url,
  params)`, where `url` is the *public* URL (the public base URL plus the path; for URLs taken
  from TwiML, the URL exactly as written there). The request itself goes to where the server
  really listens: the public origin is mapped onto `base_url` (`wss` becomes `ws` when
  `base_url` is plain http).
- The relay websocket handshake carries `X-Twilio-Signature` computed over the `wss://` URL as
  written in the TwiML with no parameters (UNCONFIRMED: Twilio signs the handshake since April
  2025, but which string it signs is not documented; this is our best reading).
- The first socket message is `setup` with the call's fields and the `<Parameter>`s as
  `customParameters`; prompts carry the `<ConversationRelay language>` as `lang`.
- When the server sends `end` (or closes the socket), the session is over: Twilio requests the
  `<Connect action>` URL with the call fields plus `HandoffData` (and `SessionId`,
  `SessionStatus`, `SessionDuration`: UNCONFIRMED names) and runs the TwiML it gets back:
  `<Say>` is recorded in `said`, `<Dial>` in `dialed`, `<Record>` in `recording_action` (see
  `leave_message`), `<Redirect>` is followed, `<Hangup/>` ends it. Without an action URL the
  verbs after `</Connect>` run instead.
- Server messages are checked as Twilio checks them (error 64107): malformed ones (not JSON, an
  unknown `type`, a `text` without a string `token`...) are recorded in `errors` and otherwise
  ignored; the session stays up.

Every wait has a timeout (`timeout` seconds): an unresponsive server fails the call with a
`SimulatorError` saying what it was waiting for, never a hang. Tokens are joined exactly as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

__all__ = [
    "CallSimulator",
    "SimulatorError",
    "Spoken",
    "forged_voice_post",
    "run_interactive",
    "sign",
]

logger = logging.getLogger(__name__)

USER_AGENT = "TwilioProxy/1.1"
API_VERSION = "2010-04-01"
DTMF_DIGITS = frozenset("0123456789*#ABCDw")
SERVER_MESSAGE_TYPES = frozenset({"text", "play", "sendDigits", "language", "end"})
MAX_REDIRECTS = 5


class SimulatorError(Exception):
    """The call could not go on: the server failed, timed out or answered something invalid."""


@dataclass
class Spoken:
    """One complete reply, and when its first token arrived (`time.monotonic()`)."""

    text: str
    at: float


@dataclass
class _Message:
    data: dict[str, Any]
    at: float


@dataclass
class _Closed:
    code: int | None
    reason: str


_Event = _Message | _Closed


def sign(auth_token: str, url: str, params: Mapping[str, str] | None = None) -> str:
    """`X-Twilio-Signature` for a request to `url` (the public URL) with these form fields."""
    signature: str = RequestValidator(auth_token).compute_signature(url, dict(params or {}))
    return signature


async def forged_voice_post(
    base_url: str,
    params: Mapping[str, str],
    *,
    path: str = "/twilio/voice",
    signature: str | None = "Zm9yZ2VkLXNpZ25hdHVyZQ==",
    timeout: float = 15.0,  # noqa: ASYNC109 (the HTTP client's timeout, not a cancel scope)
) -> httpx.Response:
    """A webhook POST with a wrong (or, with `signature=None`, no) `X-Twilio-Signature`."""
    headers = {"User-Agent": USER_AGENT}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    async with httpx.AsyncClient(timeout=timeout, trust_env=False) as http:
        return await http.post(base_url.rstrip("/") + path, data=dict(params), headers=headers)


def _ws_origin(url: str) -> str:
    if url.startswith("https://"):
        return "wss://" + url[len("https://") :]
    if url.startswith("http://"):
        return "ws://" + url[len("http://") :]
    return url


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element) -> str:
    return "".join(element.itertext()).strip()


class CallSimulator:
    """One inbound call, placed by a pretend Twilio against a running service."""

    def __init__(
        self,
        base_url: str,
        auth_token: str,
        *,
        public_base_url: str | None = None,
        account_sid: str = "AC" + "0" * 32,
        caller: str = "+61412345678",
        called: str = "+61255501234",
        voice_path: str = "/twilio/voice",
        status_path: str = "/twilio/status",
        timeout: float = 15.0,
        end_grace: float = 0.15,
        dtmf_wait: float = 1.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.public_base_url = (public_base_url or base_url).rstrip("/")
        self.auth_token = auth_token
        self.account_sid = account_sid
        self.caller = caller
        self.called = called
        self.voice_path = voice_path
        self.status_path = status_path
        self.timeout = timeout
        self.end_grace = end_grace  # how long after a reply's `last: true` an `end` may follow
        self.dtmf_wait = dtmf_wait  # how long a keypress may go unanswered

        self.call_sid = "CA" + secrets.token_hex(16)
        self.session_id = "VX" + secrets.token_hex(16)
        self.greeting: str | None = None
        self.twiml = ""
        self.twimls: list[str] = []  # every TwiML document received, in order
        self.transcript: list[tuple[str, str]] = []
        self.spoken: list[Spoken] = []  # the agent's complete replies over the socket
        self.said: list[str] = []  # what Twilio said from TwiML `<Say>` verbs
        self.ended = False
        self.handoff: dict[str, Any] | None = None
        self.handoff_data: str | None = None  # the raw `handoffData` string
        self.dialed: str | None = None
        self.dial_url: str | None = None  # the `<Number url>` (whisper) of that `<Dial>`
        self.recording_action: str | None = None  # a `<Record action>` waiting for a message
        self.errors: list[str] = []  # malformed or invalid server messages (Twilio's 64107)
        self.events: list[dict[str, Any]] = []  # `play`, `sendDigits`, `language` messages
        self.interrupts: list[dict[str, Any]] = []  # the `interrupt` messages sent
        self.relay_url: str | None = None  # the socket URL as written in the TwiML
        self.action_url: str | None = None  # the `<Connect action>` URL as written
        self.language = "en-US"
        self.relay_attributes: dict[str, str] = {}
        self.parameters: dict[str, str] = {}
        self.close_code: int | None = None  # how the server closed the socket, if it did
        self.last_latency: float | None = None  # seconds from the last prompt to its first token

        self._http: httpx.AsyncClient | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._inbox: asyncio.Queue[_Event] = asyncio.Queue()
        self._held: deque[_Event] = deque()
        self._pending: list[str] = []
        self._pending_at: float | None = None
        self._ready: str | None = None  # a reply completed by receive_token, not yet returned
        self._prompted_at: float | None = None
        self._answered_at: float | None = None
        self._session_started_at: float | None = None
        self._rest: list[ET.Element] = []  # verbs after `</Connect>` in the voice TwiML
        self._connect_method = "POST"
        self._sequence = 0

    # -- context manager ------------------------------------------------------------------

    async def __aenter__(self) -> CallSimulator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- URLs and requests ----------------------------------------------------------------

    @property
    def voice_url(self) -> str:
        """The public URL Twilio requests (and signs) for the incoming call."""
        return self.public_base_url + self.voice_path

    @property
    def status_url(self) -> str:
        return self.public_base_url + self.status_path

    def real_url(self, url: str) -> str:
        """Where a public http(s)/ws(s) URL really is: the public base mapped onto base_url."""
        pairs = (
            (self.public_base_url, self.base_url),
            (_ws_origin(self.public_base_url), _ws_origin(self.base_url)),
            (self.base_url, self.base_url),
            (_ws_origin(self.base_url), _ws_origin(self.base_url)),
        )
        for public, real in pairs:
            if url == public or url.startswith((public + "/", public + "?")):
                return real + url[len(public) :]
        raise SimulatorError(
            f"{url!r} is not under the public base URL {self.public_base_url!r}: "
            "the simulator does not know where that is"
        )

    def call_params(self, status: str = "in-progress") -> dict[str, str]:
        """The fields Twilio sends with every request about this call."""
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": self.call_sid,
            "CallStatus": status,
            "Called": self.called,
            "Caller": self.caller,
            "Direction": "inbound",
            "From": self.caller,
            "To": self.called,
        }

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self.timeout,
                trust_env=False,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
            )
        return self._http

    async def post_webhook(
        self,
        url: str,
        params: Mapping[str, str],
        *,
        method: str = "POST",
        auth_token: str | None = None,
    ) -> httpx.Response:
        """A request as Twilio makes it: `url` is public (signed as is), sent to the real server.

        `auth_token` overrides the token used for signing (to forge a request).
        """
        token = self.auth_token if auth_token is None else auth_token
        headers = {"I-Twilio-Idempotency-Token": str(uuid.uuid4())}
        try:
            if method.upper() == "GET":
                separator = "&" if "?" in url else "?"
                public = f"{url}{separator}{urlencode(dict(params))}" if params else url
                headers["X-Twilio-Signature"] = sign(token, public, {})
                return await self._client().get(self.real_url(public), headers=headers)
            headers["X-Twilio-Signature"] = sign(token, url, params)
            return await self._client().post(self.real_url(url), data=dict(params), headers=headers)
        except httpx.TimeoutException as exc:
            raise SimulatorError(f"{url}: no answer within {self.timeout}s") from exc
        except httpx.HTTPError as exc:
            raise SimulatorError(f"{url}: request failed: {exc!r}") from exc

    async def _fetch_twiml(
        self, url: str, params: Mapping[str, str], method: str = "POST"
    ) -> ET.Element:
        response = await self.post_webhook(url, params, method=method)
        if response.status_code != 200:
            raise SimulatorError(
                f"{url} answered HTTP {response.status_code} (Twilio would say 'an application "
                f"error has occurred' and hang up): {response.text[:300]!r}"
            )
        self.twiml = response.text
        self.twimls.append(response.text)
        try:
            root = ET.fromstring(response.text)
        except ET.ParseError as exc:
            raise SimulatorError(f"{url} answered invalid TwiML: {response.text[:300]!r}") from exc
        if _local(root.tag) != "Response":
            raise SimulatorError(f"{url} answered XML without <Response>: {response.text[:300]!r}")
        return root

    # -- the call -------------------------------------------------------------------------

    async def start(self) -> str:
        """Ring the service: the signed voice webhook, then the relay socket and `setup`.

        Returns the welcome greeting, or for a call the TwiML turns away, what it said (and
        then `ended` is true).
        """
        if self.twimls:
            raise SimulatorError("this call has already started; use a new CallSimulator")
        root = await self._fetch_twiml(self.voice_url, self.call_params("ringing"))
        self._answered_at = time.monotonic()
        verbs = list(root)
        for index, verb in enumerate(verbs):
            if _local(verb.tag) == "Connect":
                if index and await self._run_verbs(verbs[:index], self.voice_url, 0):
                    return " ".join(self.said)
                self._rest = verbs[index + 1 :]
                await self._open_relay(verb)
                return self.greeting or ""
        await self._run_verbs(verbs, self.voice_url, 0)
        self._finish()
        return " ".join(self.said)

    async def _open_relay(self, connect_verb: ET.Element) -> None:
        relay = next((c for c in connect_verb if _local(c.tag) == "ConversationRelay"), None)
        if relay is None:
            kinds = [_local(c.tag) for c in connect_verb]
            raise SimulatorError(
                f"<Connect> holds {kinds}, not <ConversationRelay>: this simulator speaks "
                "ConversationRelay only (tests/fakes/twilio_media.py drives media streams)"
            )
        action = connect_verb.get("action")
        self.action_url = urljoin(self.voice_url, action) if action else None
        self._connect_method = connect_verb.get("method", "POST")
        self.relay_attributes = dict(relay.attrib)
        url = relay.get("url")
        if not url or not url.startswith(("ws://", "wss://")):
            raise SimulatorError(f"<ConversationRelay> needs a ws(s) url, got {url!r}")
        self.relay_url = url
        self.language = relay.get("language") or relay.get("transcriptionLanguage") or "en-US"
        self.greeting = relay.get("welcomeGreeting")
        self.parameters = {
            str(p.get("name")): str(p.get("value", ""))
            for p in relay
            if _local(p.tag) == "Parameter" and p.get("name")
        }
        target = self.real_url(url)
        try:
            self._ws = await connect(
                target,
                additional_headers={"X-Twilio-Signature": sign(self.auth_token, url, {})},
                open_timeout=self.timeout,
                close_timeout=min(self.timeout, 5.0),
                proxy=None,
            )
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise SimulatorError(f"could not open the relay socket {target}: {exc!r}") from exc
        self._session_started_at = time.monotonic()
        self._reader = asyncio.create_task(self._read(self._ws))
        setup = {
            "type": "setup",
            "sessionId": self.session_id,
            "callSid": self.call_sid,
            "parentCallSid": "",
            "from": self.caller,
            "to": self.called,
            "forwardedFrom": "",
            "callerName": "",
            "direction": "inbound",
            "callType": "PSTN",
            "callStatus": "RINGING",
            "accountSid": self.account_sid,
            "customParameters": self.parameters,
        }
        await self._send(setup)
        if self.greeting:
            self.transcript.append(("agent", self.greeting))

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                at = time.monotonic()
                if isinstance(raw, bytes):
                    self._report(f"binary frame of {len(raw)} bytes (Twilio expects JSON text)")
                    continue
                message = self._parse(raw)
                if message is not None:
                    self._inbox.put_nowait(_Message(message, at))
        except ConnectionClosed:
            pass
        finally:
            self._inbox.put_nowait(_Closed(ws.close_code, ws.close_reason or ""))

    def _report(self, problem: str) -> None:
        logger.warning("simulator: invalid message from the server: %s", problem)
        self.errors.append(problem)

    def _parse(self, raw: str) -> dict[str, Any] | None:
        try:
            message = json.loads(raw)
        except json.JSONDecodeError:
            self._report(f"not JSON: {raw[:200]!r}")
            return None
        if not isinstance(message, dict):
            self._report(f"not a JSON object: {raw[:200]!r}")
            return None
        kind = message.get("type")
        if kind not in SERVER_MESSAGE_TYPES:
            self._report(f"unknown type {kind!r}: {raw[:200]!r}")
            return None
        if kind == "text":
            if not isinstance(message.get("token"), str):
                self._report(f"text without a string token: {raw[:200]!r}")
                return None
            if "last" in message and not isinstance(message["last"], bool):
                self._report(f"text with a non-boolean last: {raw[:200]!r}")
                return None
        if kind == "end" and not isinstance(message.get("handoffData", ""), str):
            self._report(f"end with a handoffData that is not a string: {raw[:200]!r}")
            return None
        return message

    async def _send(self, message: dict[str, Any]) -> None:
        if self._ws is None:
            raise SimulatorError("the relay socket is not open")
        try:
            await asyncio.wait_for(self._ws.send(json.dumps(message)), self.timeout)
        except ConnectionClosed as exc:
            raise SimulatorError(f"the server closed the relay socket: {exc}") from exc
        except TimeoutError as exc:
            raise SimulatorError(f"could not send to the relay socket in {self.timeout}s") from exc

    async def _next(self, wait: float) -> _Event | None:
        if self._held:
            return self._held.popleft()
        try:
            return await asyncio.wait_for(self._inbox.get(), wait)
        except TimeoutError:
            return None

    def _ensure_live(self) -> None:
        if self.ended or self._ws is None:
            raise SimulatorError("the call has ended" if self.ended else "the call has not started")

    async def _absorb(self) -> None:
        """Take in what arrived since the last turn, as Twilio would have: late tokens are
        spoken (a reply they complete is recorded), an `end` or a close ends the session."""
        self._ready = None
        while not self._inbox.empty():
            self._held.append(self._inbox.get_nowait())
        while self._held:
            event = self._held.popleft()
            if isinstance(event, _Closed):
                await self._session_over(None, closed=event)
            elif event.data["type"] == "end":
                await self._session_over(event.data)
            elif event.data["type"] == "text":
                self._take_token(event)
                if event.data.get("last") is True:
                    self._finish_reply()
            else:
                self.events.append(event.data)

    # -- caller actions -------------------------------------------------------------------

    async def prompt(self, text: str, *, partial: bool = False) -> None:
        """Send what the caller said (`prompt`, `last: true`) without waiting for the reply.

        With `partial`, a couple of growing `last: false` transcripts go first, as Twilio sends
        with `partialPrompts` on.
        """
        await self._absorb()
        self._ensure_live()
        self._discard_pending()
        if partial:
            words = text.split()
            for cut in sorted({len(words) // 2, (3 * len(words)) // 4}):
                if 0 < cut < len(words):
                    await self._send(self._prompt(" ".join(words[:cut]), last=False))
        self.transcript.append(("caller", text))
        self._prompted_at = time.monotonic()
        await self._send(self._prompt(text, last=True))

    def _prompt(self, text: str, *, last: bool) -> dict[str, Any]:
        return {"type": "prompt", "voicePrompt": text, "lang": self.language, "last": last}

    async def say(self, text: str, *, partial: bool = False) -> str:
        """The caller says `text`; returns the agent's reply (tokens joined exactly as sent).

        If the server then (or instead) sends `end`, the hand-off is followed: the signed
        `<Connect action>` request, and its TwiML recorded in `said`/`dialed`/`handoff`.
        """
        await self.prompt(text, partial=partial)
        reply = await self._reply(self.timeout, f"the reply to {text!r}")
        return reply or ""

    async def reply(self) -> str:
        """Wait for the next complete reply (after `prompt`)."""
        return await self._reply(self.timeout, "a reply") or ""

    async def receive_token(self) -> str:
        """Wait for the next `text` token of the reply being streamed, and return it.

        A reply completed this way is still returned by the next `reply()`.
        """
        while True:
            event = await self._next(self.timeout)
            if event is None:
                raise SimulatorError(f"no token within {self.timeout}s{self._error_hint()}")
            if isinstance(event, _Message) and event.data["type"] == "text":
                self._take_token(event)
                if event.data.get("last") is True:
                    self._ready = self._finish_reply()
                return str(event.data["token"])
            self._held.appendleft(event)
            await self._settle_held()
            if self.ended:
                raise SimulatorError("the call ended while waiting for a token")

    async def press(self, digits: str) -> str:
        """Keypad presses: one `dtmf` message per digit; returns the reply, if one comes soon."""
        bad = [d for d in digits if d not in DTMF_DIGITS]
        if not digits or bad:
            raise ValueError(f"not keypad digits: {digits!r}")
        await self._absorb()
        self._ensure_live()
        self._discard_pending()
        self._prompted_at = time.monotonic()
        for digit in digits:
            self.transcript.append(("caller", digit))
            await self._send({"type": "dtmf", "digit": digit})
        return (
            await self._reply(self.dtmf_wait, f"the reply to keypad {digits!r}", quiet=True) or ""
        )

    async def interrupt(self, heard: str, duration_ms: int = 500) -> None:
        """The caller talks over the agent, who had said `heard` so far."""
        await self._absorb()
        self._ensure_live()
        message = {
            "type": "interrupt",
            "utteranceUntilInterrupt": heard,
            "durationUntilInterruptMs": duration_ms,
        }
        self.interrupts.append(message)
        if self._pending:  # the caller heard only this much of the reply being streamed
            self._pending, self._pending_at = [], None
            if heard:
                self.transcript.append(("agent", heard))
        await self._send(message)

    async def hang_up(self, status: str = "completed") -> int:
        """The caller hangs up: close the socket (if open), then the status callback."""
        await self._close_socket()
        self.ended = True
        return await self.post_status(status)

    async def post_status(self, status: str = "completed") -> int:
        """The signed status callback alone (also for replaying it); returns its HTTP status."""
        started = self._answered_at
        duration = round(time.monotonic() - started) if started and status == "completed" else 0
        self._sequence += 1
        params = {
            **self.call_params(status),
            "CallDuration": str(duration),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(self._sequence - 1),
            "Timestamp": format_datetime(datetime.now(UTC)),
        }
        response = await self.post_webhook(self.status_url, params)
        return response.status_code

    async def leave_message(self, duration: int = 12) -> str:
        """After a `<Record>`: the caller leaves a message; Twilio posts the `<Record action>`.

        Returns what the TwiML then says.
        """
        if self.recording_action is None:
            raise SimulatorError("no <Record> is waiting for a message")
        url, self.recording_action = self.recording_action, None
        sid = "RE" + secrets.token_hex(16)
        params = {
            **self.call_params("in-progress"),
            "RecordingSid": sid,
            "RecordingUrl": f"https://api.twilio.com/{API_VERSION}/Accounts/{self.account_sid}"
            f"/Recordings/{sid}",
            "RecordingDuration": str(duration),
            "Digits": "hangup",
        }
        before = len(self.said)
        await self._run_verbs(list(await self._fetch_twiml(url, params)), url, 0)
        self._finish()
        return " ".join(self.said[before:])

    async def aclose(self) -> None:
        """Release the socket and the HTTP client (no status callback; see `hang_up`)."""
        await self._close_socket()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- the agent's side -----------------------------------------------------------------

    def _take_token(self, event: _Message) -> None:
        if not self._pending and self._pending_at is None:
            self._pending_at = event.at
            if self._prompted_at is not None:
                self.last_latency = event.at - self._prompted_at
                self._prompted_at = None
        self._pending.append(str(event.data["token"]))

    def _finish_reply(self) -> str:
        text = "".join(self._pending)
        at = self._pending_at if self._pending_at is not None else time.monotonic()
        self._pending, self._pending_at = [], None
        self.spoken.append(Spoken(text, at))
        if text:
            self.transcript.append(("agent", text))
        return text

    def _discard_pending(self) -> None:
        if self._pending:
            logger.info("simulator: unfinished reply dropped: %r", "".join(self._pending))
        self._pending, self._pending_at = [], None

    def _error_hint(self) -> str:
        return f" (invalid server messages: {self.errors[-3:]})" if self.errors else ""

    async def _reply(self, first_wait: float, what: str, *, quiet: bool = False) -> str | None:
        """Collect tokens until `last: true`; follow an `end` or a close if one comes."""
        if self._ready is not None:
            text, self._ready = self._ready, None
            await self._after_reply()
            return text
        wait = first_wait
        while True:
            event = await self._next(wait)
            if event is None:
                if quiet and not self._pending:
                    return None
                raise SimulatorError(
                    f"no {'more ' if self._pending else ''}tokens of {what} within {wait}s"
                    f"{self._error_hint()}"
                )
            if isinstance(event, _Closed):
                cut_short = self._finish_reply() if self._pending else None
                await self._session_over(None, closed=event)
                return cut_short
            kind = event.data["type"]
            if kind == "text":
                self._take_token(event)
                wait = self.timeout
                if event.data.get("last") is True:
                    text = self._finish_reply()
                    await self._after_reply()
                    return text
            elif kind == "end":
                cut_short = self._finish_reply() if self._pending else None
                await self._session_over(event.data)
                return cut_short
            else:
                self.events.append(event.data)

    async def _after_reply(self) -> None:
        """An `end` (or a close) may follow a reply straight away: give it `end_grace`."""
        event = await self._next(self.end_grace)
        if event is None:
            return
        self._held.appendleft(event)
        await self._settle_held()

    async def _settle_held(self) -> None:
        """Act on an `end`/close waiting at the head of the inbox; keep anything else there."""
        while self._held:
            event = self._held[0]
            if isinstance(event, _Message) and event.data["type"] == "text":
                return
            self._held.popleft()
            if isinstance(event, _Closed):
                await self._session_over(None, closed=event)
            elif event.data["type"] == "end":
                await self._session_over(event.data)
            else:
                self.events.append(event.data)

    async def _session_over(
        self, end: dict[str, Any] | None, *, closed: _Closed | None = None
    ) -> None:
        """The session ended (the server sent `end`, or closed the socket): as Twilio, close
        the socket and ask the `<Connect action>` URL (or run the verbs after `</Connect>`)."""
        if self.ended:
            return
        if closed is not None:
            self.close_code = closed.code
        self.ended = True
        session_ms = (
            round((time.monotonic() - self._session_started_at) * 1000)
            if self._session_started_at
            else 0
        )
        await self._close_socket()
        params = {
            **self.call_params("in-progress"),
            "SessionId": self.session_id,
            "SessionStatus": "ended" if end is not None else "completed",
            "SessionDuration": str(max(session_ms // 1000, 0)),
        }
        if end is not None:
            raw = end.get("handoffData")
            if isinstance(raw, str):
                self.handoff_data = raw
                params["HandoffData"] = raw
                try:
                    parsed = json.loads(raw)
                except json.JSONDecodeError:
                    parsed = None
                if isinstance(parsed, dict):
                    self.handoff = parsed
                else:
                    self._report(f"handoffData is not a JSON object: {raw[:200]!r}")
        if self.action_url is not None:
            root = await self._fetch_twiml(self.action_url, params, self._connect_method)
            await self._run_verbs(list(root), self.action_url, 0)
        else:
            await self._run_verbs(self._rest, self.voice_url, 0)
        self._finish()

    async def _run_verbs(self, verbs: list[ET.Element], document_url: str, depth: int) -> bool:
        """Run TwiML as Twilio would, recording what the caller would experience.

        Returns True when a verb ended the call here (`<Dial>`, `<Record>`, `<Hangup/>`...).
        """
        for verb in verbs:
            name = _local(verb.tag)
            if name == "Say":
                text = _text(verb)
                if text:
                    self.said.append(text)
            elif name == "Dial":
                numbers = [c for c in verb if _local(c.tag) in ("Number", "Client", "Sip")]
                self.dialed = _text(numbers[0]) if numbers else _text(verb)
                url = numbers[0].get("url") if numbers else None
                self.dial_url = urljoin(document_url, url) if url else None
                break  # the caller is now talking to a person
            elif name == "Record":
                action = verb.get("action")
                self.recording_action = urljoin(document_url, action) if action else document_url
                break
            elif name in ("Hangup", "Reject"):
                break
            elif name == "Redirect":
                if depth >= MAX_REDIRECTS:
                    raise SimulatorError("too many <Redirect>s")
                url = urljoin(document_url, _text(verb))
                root = await self._fetch_twiml(url, self.call_params(), verb.get("method", "POST"))
                await self._run_verbs(list(root), url, depth + 1)
                break  # the end of the redirected document hangs up
            elif name == "Connect":
                raise SimulatorError("a second <Connect> is not supported by the simulator")
            elif name not in ("Pause", "Play"):
                raise SimulatorError(f"TwiML verb <{name}> is not supported by the simulator")
        else:
            return False
        self._finish()
        return True

    def _finish(self) -> None:
        self.ended = True

    async def _close_socket(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), min(self.timeout, 5.0))
        reader, self._reader = self._reader, None
        if reader is not None:
            if not reader.done():
                reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader


async def run_interactive(
    sim: CallSimulator,
    read: Callable[[str], Awaitable[str | None]],
    write: Callable[[str], None],
) -> None:
    """A call typed at the terminal: `receptionist call`.

    Prints the greeting, then reads the caller's lines: an empty line or None hangs up, "#1"
    presses 1 on the keypad. Prints each reply and what happens when the call is handed off,
    and finally posts the status callback.
    """
    said = 0
    errors = 0

    def show_twilio() -> None:
        nonlocal said, errors
        for text in sim.said[said:]:
            write(f"[Twilio says] {text}")
        said = len(sim.said)
        for problem in sim.errors[errors:]:
            write(f"[invalid message from the server] {problem}")
        errors = len(sim.errors)

    try:
        greeting = await sim.start()
    except SimulatorError as exc:
        write(f"[the call failed] {exc}")
        return
    if sim.greeting is not None:
        write(f"Receptionist: {greeting}")
    try:
        while not sim.ended:
            show_twilio()
            line = await read("You: ")
            if line is None or not line.strip():
                break
            line = line.strip()
            reply = await (sim.press(line[1:]) if line.startswith("#") else sim.say(line))
            if reply:
                write(f"Receptionist: {reply}")
    except (SimulatorError, ValueError) as exc:
        write(f"[error] {exc}")
    show_twilio()
    if sim.dialed:
        write(f"[Twilio dials {sim.dialed}]")
    if sim.recording_action:
        write("[Twilio records a voicemail]")
    try:
        status = await sim.hang_up()
    except SimulatorError as exc:
        write(f"[the status callback failed] {exc}")
        return
    write(f"[call ended; the status callback answered HTTP {status}]")
