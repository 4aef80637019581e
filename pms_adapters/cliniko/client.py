"""`ClinikoClient`: HTTP to Cliniko: auth, headers, the request budget, 429 waits, pagination
and the mapping of failures onto the contract's errors.

Every request (each page, each retry) takes one token from the request budget first. A 429
empties the budget until `X-RateLimit-Reset` (for every worker sharing it), waits that long and
tries again; only a wait longer than `max_rate_limit_wait` surfaces, as `RateLimited`.

Errors: 401/403 -> AuthFailed, 404 -> NotFound, 400/422 -> InvalidRequest, 5xx, timeouts and
connection failures -> PMSUnavailable. Bodies are read defensively (JSON, empty or HTML).
Messages and logs carry the method, the path (never the query string, which may hold names)
and the status; never the API key, never patient data. A filter on the `httpx` logger drops
query strings from httpx's own request log lines too.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx

from pms_adapters.budget import RequestBudget
from pms_adapters.errors import (
    AuthFailed,
    InvalidRequest,
    NotFound,
    PMSUnavailable,
    RateLimited,
)

logger = logging.getLogger("pms_adapters.cliniko")


class _NoQueryStrings(logging.Filter):
    """Drops query strings from httpx's request log lines: ours carry patients' names."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(
                a.copy_with(query=None) if isinstance(a, httpx.URL) else a for a in record.args
            )
        return True


_HTTPX_LOGGER = logging.getLogger("httpx")
if not any(isinstance(f, _NoQueryStrings) for f in _HTTPX_LOGGER.filters):
    _HTTPX_LOGGER.addFilter(_NoQueryStrings())

Params = list[tuple[str, str]]
Sleep = Callable[[float], Awaitable[object]]
_RETRYABLE_READ = frozenset({502, 503, 504})
_MAX_429_RETRIES = 5


class ClinikoNotFound(NotFound):
    """Cliniko answered 404."""


class ClinikoRefused(InvalidRequest):
    """Cliniko answered 400 or 422; `status` says which, `detail` is its message."""

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class ClinikoFailed(PMSUnavailable):
    """Cliniko failed (5xx) or could not be reached (`status` None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _summary(response: httpx.Response) -> str:
    """What Cliniko said, from a JSON body if there is one; never the raw HTML."""
    if "json" not in response.headers.get("content-type", "") or not response.content.strip():
        return ""
    try:
        data = json.loads(response.content)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    parts = []
    if isinstance(data.get("message"), str):
        parts.append(data["message"])
    errors = data.get("errors")
    if isinstance(errors, dict):
        parts += [
            f"{k} {v if isinstance(v, str) else ', '.join(map(str, v))}" for k, v in errors.items()
        ]
    elif isinstance(data.get("error"), str):
        parts.append(data["error"])
    return "; ".join(parts)[:300]


class ClinikoClient:
    """An `httpx.AsyncClient` for one Cliniko key, with the budget and the error mapping."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        user_agent: str,
        timeout: float,
        budget: RequestBudget,
        max_rate_limit_wait: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self.max_rate_limit_wait = max_rate_limit_wait
        self._sleep = sleep
        origin = urlsplit(self.base_url)
        self._origin = (origin.scheme, origin.netloc)
        self._http = httpx.AsyncClient(
            auth=httpx.BasicAuth(api_key, ""),
            headers={"Accept": "application/json", "User-Agent": user_agent},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ClinikoClient({self.base_url!r})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # -- the verbs ------------------------------------------------------------------------

    async def get(self, path: str, params: Params | None = None) -> Any:
        """GET a path (or an absolute link on the same host); retried once on 502-504 or a
        timeout, since a read changes nothing."""
        try:
            return await self.request("GET", path, params=params)
        except ClinikoFailed as exc:
            if exc.status not in _RETRYABLE_READ and exc.status is not None:
                raise
            await self._sleep(0.2)
            return await self.request("GET", path, params=params)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST a JSON body; never retried here (see the adapter's look-before-retry)."""
        return await self.request("POST", path, body=body)

    async def patch(self, path: str, body: dict[str, Any]) -> Any:
        """PATCH a JSON body; never retried here."""
        return await self.request("PATCH", path, body=body)

    async def pages(
        self, path: str, collection: str, params: Params | None = None, max_pages: int = 50
    ) -> list[dict[str, Any]]:
        """Every item of a list, following `links.next` (at most `max_pages` pages)."""
        items: list[dict[str, Any]] = []
        url: str | None = path
        query: Params | None = [*(params or []), ("per_page", "100")]
        for _ in range(max_pages):
            if url is None:
                break
            data = await self.get(url, query)
            if not isinstance(data, dict):
                raise ClinikoFailed(f"Cliniko sent an unexpected answer for {_path(path)}")
            page = data.get(collection) or []
            items.extend(i for i in page if isinstance(i, dict))
            links = data.get("links") if isinstance(data.get("links"), dict) else {}
            url, query = (links or {}).get("next"), None
        return items

    # -- one request ------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            if (parts.scheme, parts.netloc) != self._origin:
                # Never send the key to another host, whatever a link says.
                raise PMSUnavailable("Cliniko linked to another host; refusing to follow it")
            return path
        return self.base_url + path

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """One call (plus 429 waits): the parsed JSON answer, or None for an empty one."""
        url = self._url(path)
        content = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        for _ in range(_MAX_429_RETRIES + 1):
            await self.budget.acquire()
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=httpx.QueryParams(tuple(params)) if params else None,
                    content=content,
                    headers=headers,
                )
            except httpx.TimeoutException as exc:
                logger.warning(
                    "cliniko request timed out", extra={"method": method, "path": _path(url)}
                )
                raise ClinikoFailed(
                    f"Cliniko did not answer in time ({method} {_path(url)})"
                ) from exc
            except httpx.HTTPError as exc:
                raise ClinikoFailed(
                    f"could not reach Cliniko ({type(exc).__name__}, {method} {_path(url)})"
                ) from exc
            if response.status_code == 429:
                await self._wait_out(response, method, url)
                continue
            return self._answer(response, method, url)
        raise RateLimited("Cliniko kept answering 429", retry_after=self.max_rate_limit_wait)

    async def _wait_out(self, response: httpx.Response, method: str, url: str) -> None:
        """Wait until the rate-limit window resets, pausing the shared budget meanwhile."""
        now = time.time()
        try:
            reset = float(response.headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            reset = now + 5.0
        wait = max(0.0, reset - now)
        logger.warning(
            "cliniko rate limit hit",
            extra={"method": method, "path": _path(url), "wait_seconds": wait},
        )
        if wait > self.max_rate_limit_wait:
            raise RateLimited("Cliniko's rate limit is exhausted", retry_after=wait)
        await self.budget.pause_until(reset)
        await self._sleep(wait)

    def _answer(self, response: httpx.Response, method: str, url: str) -> Any:
        status = response.status_code
        where = f"{method} {_path(url)}"
        if status < 300:
            if status == 204 or not response.content.strip():
                return None
            try:
                return json.loads(response.content)
            except ValueError as exc:
                raise ClinikoFailed(f"Cliniko sent a non-JSON answer ({where})", status) from exc
        said = _summary(response)
        detail = f": {said}" if said else ""
        if status in (401, 403):
            raise AuthFailed(f"Cliniko refused the API key ({status}, {where})")
        if status == 404:
            raise ClinikoNotFound(f"Cliniko has no such record ({where})")
        if status in (400, 422):
            raise ClinikoRefused(
                f"Cliniko refused the request ({status}, {where}){detail}", status, said
            )
        logger.warning(
            "cliniko request failed", extra={"method": method, "path": _path(url), "status": status}
        )
        raise ClinikoFailed(f"Cliniko failed ({status}, {where})", status)


def _path(url: str) -> str:
    """The path of a URL or path, without its query string."""
    return urlsplit(url).path
