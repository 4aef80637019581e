"""The fake Nookal as an ASGI app: `/production/v2/<methodName>`, GET with a query string or
form-encoded POST, answering in Nookal's envelope with its quirks (spec 9):

- application failures are `status: failure` with HTTP 200;
- ids, counts and page numbers are strings in places (`currentPage: "1"`, `totalItems: "3"`);
- list methods page with `page`/`page_length` (default 100, at most 200) and `settings.nextPage`,
  null on the last page;
- parameters nobody reads are ignored; an unknown method gets an HTML 404 page;
- the switches in `FakeNookal.misbehave` make calls fail with a 5xx, answer slowly, or do their
  work and lose the answer.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.fakes.nookal.methods import CUSTOM_METHODS, LIST_KEYS, METHODS, Failure
from tests.fakes.nookal.state import FakeNookal, RecordedRequest

MAX_PAGE_LENGTH = 200
LOST_RESPONSE_SECONDS = 30.0
NAP_TICK = 0.05

NOT_FOUND_PAGE = """<!DOCTYPE html>
<html><head><title>404 page not found | Nookal</title></head>
<body><div class="error"><h1>Hold it right there</h1>
<p>404 page not found. The page you are looking for does not exist.</p></div></body></html>
"""


async def nap(fake: FakeNookal, seconds: float) -> None:
    """Sleep up to `seconds`, waking early when the server shuts down."""
    # Polled, not awaited on an event: `closing` is set from another thread.
    for _ in range(max(1, math.ceil(seconds / NAP_TICK))):
        if fake.closing.is_set():
            return
        await anyio.sleep(NAP_TICK)


def failure(error: Failure) -> dict[str, Any]:
    """The failure envelope."""
    return {
        "status": "failure",
        "details": {
            "errorCode": error.code,
            "errorMessage": error.message,
            "alerts": error.alerts,
        },
    }


def _int(value: str | None, default: int) -> int:
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        return default


def success(
    fake: FakeNookal, method: str, api_call: str, results: dict[str, Any], params: dict[str, str]
) -> dict[str, Any]:
    """The success envelope, with the page cut for list methods."""
    key = LIST_KEYS.get(method)
    if key is None:
        return {"status": "success", "data": {"api_call": api_call, "results": results}}
    rows = results[key]
    page = max(1, _int(params.get("page"), 1))
    length = min(MAX_PAGE_LENGTH, max(1, _int(params.get("page_length"), fake.default_page_length)))
    chunk = rows[(page - 1) * length : page * length]
    more = page * length < len(rows)
    return {
        "status": "success",
        "data": {"api_call": api_call, "results": {**results, key: chunk}},
        "details": {"totalItems": str(len(rows)), "currentItems": len(chunk)},
        "settings": {
            "currentPage": str(page),
            "nextPage": page + 1 if more else None,
            "pageLength": length,
        },
    }


def create_app(fake: FakeNookal) -> Starlette:
    """The ASGI app serving `fake`."""

    async def endpoint(request: Request) -> Response:
        method = request.path_params["method"]
        params = dict(request.query_params)
        form_fields: tuple[str, ...] = ()
        if request.method == "POST":
            pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
            params.update(pairs)
            form_fields = tuple(k for k, _ in pairs)
        with fake.lock:
            fake.requests.append(
                RecordedRequest(
                    method=method,
                    http_method=request.method,
                    query_string=request.url.query,
                    form_fields=form_fields,
                    content_type=request.headers.get("content-type", ""),
                )
            )
        handler = METHODS.get(method)
        if handler is None or (method in CUSTOM_METHODS and not fake.custom_methods):
            return HTMLResponse(NOT_FOUND_PAGE, status_code=404)
        behaviour = fake.take_misbehaviour(method)
        if behaviour is not None and behaviour.status is not None:
            page = f"<html><body><h1>{behaviour.status} Server Error</h1></body></html>"
            return HTMLResponse(page, status_code=behaviour.status)
        if behaviour is not None and behaviour.delay:
            await nap(fake, behaviour.delay)
        api_key = params.pop("api_key", "")
        if not api_key:
            missing = Failure("L000_1", "Missing variable: api_key")
            return JSONResponse(failure(missing))
        if api_key not in fake.api_keys:
            return JSONResponse(failure(Failure("L000_2", "Invalid API key")))
        with fake.lock:
            try:
                api_call, results = handler(fake, params, fake.api_keys[api_key])
                body = success(fake, method, api_call, results, params)
            except Failure as error:
                body = failure(error)
        if behaviour is not None and behaviour.lose == "502":
            return HTMLResponse("<html><body>502 Bad Gateway</body></html>", status_code=502)
        if behaviour is not None and behaviour.lose:
            await nap(fake, LOST_RESPONSE_SECONDS)
        return JSONResponse(body)

    return Starlette(routes=[Route("/production/v2/{method}", endpoint, methods=["GET", "POST"])])
