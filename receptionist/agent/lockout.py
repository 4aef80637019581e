"""Failed identifications, counted per call and per number calling, and when they lock out.

A caller who cannot be identified after a few tries (a wrong date of birth, a name that is not
on file) is offered a person or a message instead of more guesses: per call after
`MAX_CALL_FAILURES`, per number after `MAX_NUMBER_FAILURES` within `NUMBER_WINDOW_S`, across
calls. The per-number count is a `FailureCounter` on the clinic: this module's
`LocalFailureCounter` counts in this process; the service hands in one that every worker
shares (the telephony ledger's `count`), without the agent knowing where it is kept.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

MAX_CALL_FAILURES = 3
MAX_NUMBER_FAILURES = 5
NUMBER_WINDOW_S = 24 * 3600.0

FailureCounter = Callable[[str], Awaitable[int]]
"""Add one failed identification for a caller number; return the number's count in its
window (which starts at its first failure and lasts `NUMBER_WINDOW_S`)."""


def counter_key(clinic: str, number: str) -> str:
    """The key a shared counter files a number's failures under (one count per clinic)."""
    return f"identify-failures:{clinic}:{number}"


class LocalFailureCounter:
    """A `FailureCounter` in this process's memory (one worker, or tests).

    Numbers are kept only as digests, and only the most recent `max_numbers` of them.
    """

    def __init__(
        self,
        window_s: float = NUMBER_WINDOW_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_numbers: int = 10_000,
    ) -> None:
        self.window_s = window_s
        self._clock = clock
        self._max = max_numbers
        self._counts: OrderedDict[str, tuple[float, int]] = OrderedDict()

    async def __call__(self, number: str) -> int:
        key = hashlib.sha256(number.encode()).hexdigest()
        now = self._clock()
        started, count = self._counts.pop(key, (now, 0))
        if now - started >= self.window_s:
            started, count = now, 0
        self._counts[key] = (started, count + 1)
        while len(self._counts) > self._max:
            self._counts.popitem(last=False)
        return count + 1
