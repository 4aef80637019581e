"""The fake Cliniko's HTTP face: a Starlette app serving `/v1/...` from a `FakeCliniko`.

Every request goes through the same gate, in this order: Basic auth (401, plain text, for a
key that is not the account's), the User-Agent rule (403 without `(...@...)`), the rate limit
(429 with `X-RateLimit-Reset`, when the account has one), then any injected fault, then the
handler. Unknown routes get an HTML 404 page, unknown records an empty 404, and available
times for something not shown in online bookings a JSON 404, as the real one does at times.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.cliniko import booking_handlers, handlers
from tests.fakes.cliniko.query import ListError
from tests.fakes.cliniko.responses import Call, message
from tests.fakes.cliniko.state import FakeCliniko

_HTML_404 = (
    "<!DOCTYPE html>\n<html><head><title>The page you were looking for doesn't exist (404)"
    "</title></head><body><h1>The page you were looking for doesn't exist.</h1></body></html>"
)
_USER_AGENT = re.compile(r"\([^()]*@[^()]*\)")
_ID = r"(?P<{}>[^/]+)"

Handler = Callable[[FakeCliniko, Call], Response]


@dataclass(frozen=True, slots=True)
class _Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler


def _route(methods: str, path: str, handler: Handler) -> _Route:
    names = re.findall(r"\{(\w+)\}", path)
    regex = path
    for name in names:
        regex = regex.replace("{" + name + "}", _ID.format(name))
    return _Route(frozenset(methods.split()), re.compile(regex + "$"), handler)


_B, _P, _T = "/businesses/{business}", "/practitioners/{practitioner}", "/appointment_types/{kind}"
ROUTES = [
    _route("GET", "/user", handlers.user),
    _route("GET", "/businesses", handlers.list_businesses),
    _route("GET", _B, handlers.get_business),
    _route("GET", _B + "/practitioners", handlers.business_practitioners),
    _route("GET", _B + _P + _T + "/available_times", handlers.available),
    _route("GET", _B + _P + _T + "/next_available_time", handlers.next_available),
    _route("GET", "/practitioners", handlers.list_practitioners),
    _route("GET", _P, handlers.get_practitioner),
    _route("GET", _P + "/appointment_types", handlers.practitioner_types),
    _route("GET", "/appointment_types", handlers.list_types),
    _route("GET", _T, handlers.get_type),
    _route("GET", _T + "/practitioners", handlers.type_practitioners),
    _route("GET", "/patients", booking_handlers.list_patients),
    _route("POST", "/patients", booking_handlers.create_patient),
    _route("GET", "/patients/{id}", booking_handlers.get_patient),
    _route("GET", "/individual_appointments", booking_handlers.list_appointments),
    _route("POST", "/individual_appointments", booking_handlers.create_appointment),
    _route("GET", "/individual_appointments/{id}", booking_handlers.get_appointment),
    _route("PATCH PUT", "/individual_appointments/{id}", booking_handlers.update_appointment),
    _route("DELETE", "/individual_appointments/{id}", booking_handlers.delete_appointment),
    _route("PATCH", "/individual_appointments/{id}/cancel", booking_handlers.cancel_appointment),
    _route("POST", "/individual_appointments/{id}/archive", booking_handlers.archive_appointment),
    _route("GET", "/individual_appointments/{id}/conflicts", booking_handlers.conflicts),
]


def _key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, _password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user or None


def _fault_response(fault_status: int, body: str, content_type: str, reset_in: float) -> Response:
    headers = {}
    if fault_status == 429:
        headers["X-RateLimit-Reset"] = str(math.ceil(time.time() + reset_in))
    return Response(body, fault_status, headers=headers, media_type=content_type)


def create_app(current: Callable[[], FakeCliniko]) -> Starlette:
    """The app; `current()` names the account each request is served from (tests swap it)."""

    async def dispatch(request: Request) -> Response:
        fake = current()
        path = "/" + request.path_params["path"]
        key = _key(request)
        entry = fake.record(
            key if key and fake.accepts_key(key) else None,
            request.method,
            path,
            request.url.query,
        )
        response = await _gate(fake, request, path, key)
        entry.status = response.status_code
        return response

    return Starlette(
        routes=[
            Route(
                "/v1/{path:path}",
                dispatch,
                methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            )
        ]
    )


async def _gate(fake: FakeCliniko, request: Request, path: str, key: str | None) -> Response:
    if key is None or not fake.accepts_key(key):
        return Response(
            "HTTP Basic: Access denied.\n",
            401,
            headers={"WWW-Authenticate": 'Basic realm="Application"'},
            media_type="text/plain",
        )
    if fake.settings.require_user_agent and not _USER_AGENT.search(
        request.headers.get("user-agent", "")
    ):
        return message(403, "Requests need a User-Agent naming the app and an email")
    limit = fake.settings.rate_limit
    if limit is not None and fake.sent_in_window(key) > limit:
        window = fake.settings.rate_window
        reset = math.ceil((int(time.time() // window) + 1) * window)
        return Response("Rate Limit Exceeded", 429, headers={"X-RateLimit-Reset": str(reset)})
    fault = fake.take_fault(request.method, path, after=False)
    if fault is not None:
        await anyio.sleep(fault.delay)
        if fault.status is not None:
            return _fault_response(fault.status, fault.body, fault.content_type, fault.reset_in)
    response = await _handle(fake, request, path)
    fault = fake.take_fault(request.method, path, after=True)
    if fault is not None:
        await anyio.sleep(fault.delay)
        if fault.status is not None:
            return _fault_response(fault.status, fault.body, fault.content_type, fault.reset_in)
    return response


async def _handle(fake: FakeCliniko, request: Request, path: str) -> Response:
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is None or request.method not in route.methods:
            continue
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw.strip() else None
        except ValueError:
            return message(400, "Invalid JSON")
        base = str(request.base_url).rstrip("/") + "/v1"
        call = Call(
            params=request.query_params,
            body=body,
            base=base,
            url=str(request.url),
            ids=found.groupdict(),
        )
        try:
            with fake.lock:
                return route.handler(fake, call)
        except ListError as exc:
            return message(400, str(exc))
    return Response(_HTML_404, 404, media_type="text/html")
