"""`NookalClient`: Nookal's v2 RPC-over-HTTP, its envelope and its errors, nothing more.

Every method is a form-encoded POST to `<base>/<methodName>` with `api_key` in the body (spec
2), so the key never appears in a URL, a log line or an error message. One `httpx.AsyncClient`
is reused for every call (connection reuse) with the configured timeout, and every request first
takes a token from the request budget.

Errors, mapped onto the contract's tree (`pms_adapters.errors`)::

    timeout, connection failure, HTTP 5xx, a body that is not the envelope  -> PMSUnavailable
    HTTP 429                                 -> RateLimited (and the budget pauses)
    HTTP 401/403, a failure about the key    -> AuthFailed
    Nookal's HTML 404 page (unknown method)  -> UnknownMethod, an InvalidRequest naming it
    `status: failure` with HTTP 200          -> NookalFailure, an InvalidRequest with the code

Whether a failed write landed is the adapter's question, not the client's: see `adapter`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from pms_adapters.errors import AuthFailed, InvalidRequest, PMSUnavailable, RateLimited
from pms_adapters.nookal import assumptions
from pms_adapters.nookal.config import NookalConfig
from pms_adapters.nookal.values import as_int, as_map, as_rows, as_text

logger = logging.getLogger(__name__)

_METHOD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"
MAX_PAGE_LENGTH = 200  # spec 4
MAX_PAGES = 500


class UnknownMethod(InvalidRequest):
    """Nookal answered with its HTML "page not found" page: it has no method of that name (or
    this key may not call it, as with the "custom" methods)."""

    def __init__(self, method: str) -> None:
        super().__init__(
            f"Nookal has no API method {method!r} (it answered with its HTML 404 page)"
        )
        self.method = method


class NookalFailure(InvalidRequest):
    """Nookal answered `status: failure` (usually with HTTP 200)."""

    def __init__(self, method: str, code: str, message: str) -> None:
        text = f"Nookal refused {method}" + (f" ({code})" if code else "")
        super().__init__(f"{text}: {message}" if message else text)
        self.method = method
        self.code = code
        self.nookal_message = message


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list method: its results and the next page's number (None at the end)."""

    results: Mapping[str, Any]
    next_page: int | None


def _failure_texts(details: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    code = as_text(details.get("errorCode"))
    message = as_text(details.get("errorMessage"))
    alerts = details.get("alerts")
    texts = [as_text(a) for a in alerts] if isinstance(alerts, list) else [as_text(alerts)]
    texts = [t for t in texts if t]
    return code, message or "; ".join(texts), [message, *texts]


def _looks_like_html(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return "html" in kind or response.text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


class NookalClient:
    """Calls v2 methods and returns their `data.results`, or raises a `PMSError`."""

    def __init__(self, config: NookalConfig) -> None:
        self._config = config
        self._owns_http = config.http_client is None
        self._http = config.http_client or httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout),
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=5),
            headers={"Accept": "application/json"},
        )

    @property
    def base_url(self) -> str:
        """Where the methods live."""
        return self._config.base_url

    async def call(self, method: str, params: Mapping[str, object] | None = None) -> dict[str, Any]:
        """Call `method` with `params`; its `data.results` object."""
        body = await self._envelope(method, params or {})
        return dict(as_map(as_map(body.get("data")).get("results")))

    async def page(
        self, method: str, params: Mapping[str, object], page: int, page_length: int
    ) -> Page:
        """One page of a list method."""
        fields = {**params, "page": page, "page_length": min(page_length, MAX_PAGE_LENGTH)}
        body = await self._envelope(method, fields)
        results = as_map(as_map(body.get("data")).get("results"))
        next_page = as_int(as_map(body.get("settings")).get("nextPage"))
        return Page(results, next_page if next_page and next_page > page else None)

    async def fetch_all(
        self,
        method: str,
        key: str,
        params: Mapping[str, object] | None = None,
        page_length: int = MAX_PAGE_LENGTH,
    ) -> list[Mapping[str, Any]]:
        """Every row of a list method under `data.results[key]`, following `settings.nextPage`
        until it is null (or a page comes back empty)."""
        rows: list[Mapping[str, Any]] = []
        number: int | None = 1
        for _ in range(MAX_PAGES):
            if number is None:
                return rows
            page = await self.page(method, params or {}, number, page_length)
            found = as_rows(page.results.get(key))
            rows.extend(found)
            number = page.next_page if found else None
        raise PMSUnavailable(f"Nookal's {method} did not stop paging after {MAX_PAGES} pages")

    async def _envelope(self, method: str, params: Mapping[str, object]) -> Mapping[str, Any]:
        if not _METHOD_NAME.fullmatch(method):
            raise InvalidRequest("not a Nookal method name")
        await self._config.budget.acquire()
        fields = {"api_key": self._config.api_key}
        fields.update({k: str(v) for k, v in params.items() if v is not None})
        started = time.monotonic()
        try:
            response = await self._http.post(
                f"{self._config.base_url}/{method}",
                content=urlencode(fields).encode(),
                headers={"Content-Type": FORM_CONTENT_TYPE, "Accept": "application/json"},
            )
        except httpx.TimeoutException as exc:
            raise PMSUnavailable(
                f"Nookal did not answer {method} within {self._config.timeout:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise PMSUnavailable(
                f"could not reach Nookal for {method} ({type(exc).__name__})"
            ) from exc
        logger.debug(
            "nookal call",
            extra={
                "nookal_method": method,
                "http_status": response.status_code,
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        return await self._read(method, response)

    async def _read(self, method: str, response: httpx.Response) -> Mapping[str, Any]:
        status = response.status_code
        if status == 429:
            retry_after = as_int(response.headers.get("retry-after")) or 1
            await self._config.budget.pause_until(time.time() + retry_after)
            raise RateLimited(f"Nookal rate-limited {method}", retry_after=float(retry_after))
        if status in (401, 403):
            raise AuthFailed(f"Nookal refused the API key (HTTP {status} on {method})")
        if status >= 500:
            raise PMSUnavailable(f"Nookal answered {method} with HTTP {status}")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, Mapping):
            if assumptions.is_missing_method_page(
                status, _looks_like_html(response), response.text
            ):
                raise UnknownMethod(method)
            if status >= 400:
                raise InvalidRequest(f"Nookal answered {method} with HTTP {status}")
            raise PMSUnavailable(f"Nookal answered {method} with something other than JSON")
        outcome = as_text(body.get("status")).casefold()
        if outcome == "success":
            return body
        if outcome == "failure":
            code, message, texts = _failure_texts(as_map(body.get("details")))
            if assumptions.is_auth_failure(code, texts):
                raise AuthFailed(
                    f"Nookal refused the API key on {method}" + (f" ({code})" if code else "")
                )
            raise NookalFailure(method, code, message)
        raise PMSUnavailable(f"Nookal answered {method} with an unknown status")

    async def aclose(self) -> None:
        """Close the HTTP connections (unless the client was handed in)."""
        if self._owns_http:
            await self._http.aclose()
