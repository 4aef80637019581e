"""The fake's switches: faults to inject, the request log's entries, account settings."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class Fault:
    """A failure injected into the requests that match `method` and `path` (a regex searched
    in the path after `/v1`), `times` times.

    - `status`: answer with this status (and `body`) instead of the real answer;
    - `delay`: wait this many seconds first (a slow server: the client times out);
    - `after`: handle the request for real first, then apply the delay and status (a write
      that lands but whose response is lost or replaced by a 5xx);
    - `reset_in`: with status 429, `X-RateLimit-Reset` is now plus this many seconds;
    - `skip`: let this many matching requests through untouched first.
    """

    method: str | None = None
    path: str | None = None
    status: int | None = None
    delay: float = 0.0
    after: bool = False
    times: int = 1
    reset_in: float = 1.0
    body: str = ""
    content_type: str = "application/json"
    skip: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None


@dataclass(slots=True)
class LoggedRequest:
    """One request as the fake saw it arrive: when (wall clock), whose key (None when refused),
    what, and the answer's status (0 until it is sent)."""

    at: float
    key: str | None
    method: str
    path: str
    status: int
    query: str = ""


@dataclass
class Settings:
    """Account-wide online-booking settings and the fake's own knobs."""

    slot_step_minutes: int = 15
    min_notice_minutes: int = 0
    max_days_ahead: int = 365
    max_span_days: int = 7  # `to - from` may be at most this many days
    rate_limit: int | None = None  # requests per key per `rate_window`; None = unlimited
    rate_window: float = 60.0
    require_user_agent: bool = True
    lost_response_hang: float = 1.0
