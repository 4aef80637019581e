"""A fake of the parts of Twilio's REST API the service uses: Messages create, Calls update/fetch.

It runs as a real HTTP server (Starlette under uvicorn, in a daemon thread, on 127.0.0.1 and a free
port), so the official `twilio` library talks to it over sockets exactly as it would to
api.twilio.com: HTTP Basic auth `AccountSid:AuthToken`, form-encoded POST bodies, JSON answers in
Twilio's shapes, and Twilio's JSON error body `{"code", "message", "more_info", "status"}`.

    with FakeTwilio() as fake:
        fake.add_call("CA" + "0" * 32)
        control = TwilioControl(fake.account_sid, fake.auth_token, api_base_url=fake.base_url)
        ...
        assert fake.messages[0]["To"] == "+61412345678"

Behaviour copied from Twilio:
- a missing or wrong credential: 401, code 20003 "Authenticate", with `WWW-Authenticate`;
- an account SID in the path other than the authenticated one, an unknown call or any other
  path: 404, code 20404 "The requested resource /2010-04-01/... was not found";
- a wrong method on a known path: 405, code 20004 "Method not allowed";
- Messages: To is required (21604), Body is required (21602), From or MessagingServiceSid is
  required (21603), To must be E.164 (21211), From must be E.164 or an alphanumeric sender ID
  (21212), a StatusCallback must be an http(s) URL (21609), Body at most 1600 characters
  (21617); 201 with the message, status "queued" ("accepted" via a Messaging Service alone);
- Calls update: Status=completed ends a live call; Status=canceled ends only a queued/ringing
  one (other Status values are not validated); Twiml or Url replaces the running TwiML of an
  in-progress call; any update of a call that has ended is 400, code 21220 "Call is not
  in-progress. Cannot redirect."; 200 with the call. GET of a known call returns it.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
LIVE = {"queued", "ringing", "in-progress"}
ENDED = {"completed", "busy", "failed", "no-answer", "canceled"}
MAX_BODY = 1600

Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]


def rfc2822(moment: datetime) -> str:
    """Twilio's date format: "Tue, 03 Mar 2026 09:15:00 +0000"."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def twilio_error(status: int, code: int, message: str) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


@dataclass
class FakeCall:
    sid: str
    status: str
    to: str
    from_: str
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None


class FakeTwilio:
    """The fake REST API; see the module docstring. Recording is thread-safe."""

    def __init__(
        self, account_sid: str = "AC" + "0123456789abcdef" * 2, auth_token: str = "test-auth-token"
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.base_url = ""
        self._lock = threading.Lock()
        self._messages: list[dict[str, str]] = []
        self._call_updates: list[tuple[str, dict[str, str]]] = []
        self._requests: list[tuple[str, str]] = []
        self._calls: dict[str, FakeCall] = {}
        self._failures: list[tuple[int, int, str]] = []
        self._delays: list[float] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    # -- what tests read ------------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, str]]:
        """Every SMS created: the form fields sent (To, From, Body, StatusCallback...) plus Sid
        and Status. A snapshot."""
        with self._lock:
            return [dict(message) for message in self._messages]

    @property
    def call_updates(self) -> list[tuple[str, dict[str, str]]]:
        """(CallSid, form fields) for every accepted call update, in order. A snapshot."""
        with self._lock:
            return [(sid, dict(params)) for sid, params in self._call_updates]

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request received, including rejected ones."""
        with self._lock:
            return list(self._requests)

    def call_status(self, call_sid: str) -> str | None:
        with self._lock:
            call = self._calls.get(call_sid)
            return call.status if call else None

    # -- what tests arrange ---------------------------------------------------------------------

    def add_call(
        self,
        call_sid: str,
        status: str = "in-progress",
        *,
        to: str = "+61255501234",
        from_: str = "+61412345678",
    ) -> None:
        """A call the fake knows (inbound, to the clinic); updates to any other SID get 404."""
        if status not in LIVE | ENDED:
            raise ValueError(f"not a Twilio call status: {status}")
        with self._lock:
            self._calls[call_sid] = FakeCall(call_sid, status, to, from_)

    def fail_next(self, status: int, code: int, message: str) -> None:
        """The next request (any path, before auth) gets this Twilio error; queued in order."""
        with self._lock:
            self._failures.append((status, code, message))

    def delay_next(self, seconds: float) -> None:
        """The next request is answered only after `seconds` (without blocking the server)."""
        with self._lock:
            self._delays.append(seconds)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("already started")
        config = uvicorn.Config(
            self.app,
            loop="asyncio",
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="fake-twilio", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake Twilio server did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        self._server, self._thread = server, thread
        self.base_url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeTwilio:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the HTTP side --------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        base = f"/{API_VERSION}/Accounts/{{account_sid}}"

        def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
            async def run(request: Request) -> Response:
                return await self._guarded(request, handler)

            return run

        async def not_found(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 404
            with self._lock:
                self._requests.append((request.method, request.url.path))
            if status == 405:
                return twilio_error(405, 20004, "Method not allowed")
            return self._not_found(request)

        routes = [
            Route(f"{base}/Messages.json", endpoint(self._create_message), methods=["POST"]),
            Route(
                f"{base}/Calls/{{call_sid}}.json",
                endpoint(self._call),
                methods=["GET", "POST"],
            ),
        ]
        return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})

    async def _guarded(self, request: Request, handler: Handler) -> Response:
        with self._lock:
            self._requests.append((request.method, request.url.path))
            failure = self._failures.pop(0) if self._failures else None
            delay = self._delays.pop(0) if self._delays else 0.0
        if delay:
            await anyio.sleep(delay)
        if failure is not None:
            return twilio_error(*failure)
        if not self._authorised(request):
            return twilio_error(401, 20003, "Authenticate")
        if request.path_params["account_sid"] != self.account_sid:
            return self._not_found(request)
        params: dict[str, str] = {}
        content_type = request.headers.get("content-type", "")
        if request.method == "POST" and content_type.startswith(
            "application/x-www-form-urlencoded"
        ):
            raw = (await request.body()).decode("utf-8")
            params = dict(parse_qsl(raw, keep_blank_values=True))
        return await handler(request, params)

    def _authorised(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.account_sid) and secrets.compare_digest(
            password, self.auth_token
        )

    @staticmethod
    def _not_found(request: Request) -> Response:
        return twilio_error(404, 20404, f"The requested resource {request.url.path} was not found")

    async def _create_message(self, request: Request, params: dict[str, str]) -> Response:
        to = params.get("To", "")
        sender = params.get("From", "")
        service = params.get("MessagingServiceSid", "")
        body = params.get("Body")
        callback = params.get("StatusCallback")
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if body is None and "MediaUrl" not in params and "ContentSid" not in params:
            return twilio_error(400, 21602, "Message body is required.")
        if not sender and not service:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not E164.match(to):
            return twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if sender and not (E164.match(sender) or ALPHANUMERIC_SENDER.match(sender)):
            return twilio_error(400, 21212, f"Invalid From Number (caller ID): {sender}")
        if callback is not None and not re.match(r"^https?://", callback):
            return twilio_error(400, 21609, "Invalid StatusCallback url")
        if body is not None and len(body) > MAX_BODY:
            return twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        sid = new_sid("SM")
        status = "queued" if sender else "accepted"
        now = rfc2822(datetime.now(UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        with self._lock:
            self._messages.append({**params, "Sid": sid, "Status": status})
        text = body or ""
        payload: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": text,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender or None,
            "messaging_service_sid": service or None,
            "num_media": "0",
            "num_segments": str(1 if len(text) <= 160 else -(-len(text) // 153)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": status,
            "subresource_uris": {
                "media": uri.replace(".json", "/Media.json"),
                "feedback": uri.replace(".json", "/Feedback.json"),
            },
            "to": to,
            "uri": uri,
        }
        return JSONResponse(payload, status_code=201)

    async def _call(self, request: Request, params: dict[str, str]) -> Response:
        call_sid = request.path_params["call_sid"]
        with self._lock:
            call = self._calls.get(call_sid)
            if call is None:
                return self._not_found(request)
            if request.method == "GET":
                return JSONResponse(self._call_payload(call))
            error = self._update_call(call, params)
            if error is not None:
                return error
            self._call_updates.append((call_sid, dict(params)))
            return JSONResponse(self._call_payload(call))

    @staticmethod
    def _update_call(call: FakeCall, params: dict[str, str]) -> Response | None:
        """Apply an update under the lock; an error response if Twilio would refuse it."""
        status = params.get("Status")
        replaces_twiml = "Twiml" in params or "Url" in params
        if call.status in ENDED or (replaces_twiml and call.status != "in-progress"):
            return twilio_error(400, 21220, "Call is not in-progress. Cannot redirect.")
        now = datetime.now(UTC)
        if status == "completed" or (status == "canceled" and call.status != "in-progress"):
            call.status = status
            call.ended = now
        call.updated = now
        return None

    def _call_payload(self, call: FakeCall) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{call.sid}.json"
        duration = str(int((call.ended - call.created).total_seconds())) if call.ended else None
        return {
            "account_sid": self.account_sid,
            "annotation": None,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": rfc2822(call.created),
            "date_updated": rfc2822(call.updated),
            "direction": "inbound",
            "duration": duration,
            "end_time": rfc2822(call.ended) if call.ended else None,
            "forwarded_from": None,
            "from": call.from_,
            "from_formatted": call.from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": new_sid("PN"),
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": call.sid,
            "start_time": rfc2822(call.created),
            "status": call.status,
            "subresource_uris": {
                "notifications": uri.replace(".json", "/Notifications.json"),
                "recordings": uri.replace(".json", "/Recordings.json"),
                "events": uri.replace(".json", "/Events.json"),
            },
            "to": call.to,
            "to_formatted": call.to,
            "trunk_sid": None,
            "uri": uri,
        }
