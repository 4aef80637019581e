"""Idempotent writes over a PMS that has none: a key ledger, and look-before-retry.

Nookal takes no idempotency key and will happily create the same booking twice (spec 8). Two
layers keep one key to one result:

1. `KeyLedger`, in process memory: a key maps to a fingerprint of its request and the id of
   what it produced. The same key and request replay that result; the same key with another
   request is `IdempotencyConflict`. Writes with one key run one at a time.
2. `write_once`: the adapter always looks for the result of an earlier attempt (the booking at
   that time for that patient, the appointment already at its new time, the patient with those
   details) before it writes, and after any write whose outcome is unknown (a timeout, a
   dropped connection, a 5xx) it looks again before it tries once more. If it still cannot
   tell, it raises `WriteOutcomeUnknown`; asking again with the same key looks first.

What survives a restart (or reaches another worker): only layer 2. A retried booking or move
is still found by looking, so it is never made twice; what is lost is the conflict check for a
key reused with a different request, and a replay of a booking that staff have since moved (the
look then finds nothing at the old time, and the retry books it again if it is free).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import TypeVar

import anyio

from pms_adapters.errors import (
    IdempotencyConflict,
    InvalidRequest,
    PMSError,
    PMSUnavailable,
    RateLimited,
    WriteOutcomeUnknown,
)

T = TypeVar("T")

MAX_KEY_LENGTH = 255
REMEMBERED_KEYS = 10_000
RETRY_PAUSE_SECONDS = 0.2


def check_key(key: str) -> None:
    """InvalidRequest unless `key` is 1 to 255 printable characters."""
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidRequest(f"idempotency key must be 1 to {MAX_KEY_LENGTH} printable characters")


class KeyLedger:
    """Idempotency keys this process has seen: key -> (request fingerprint, result id)."""

    def __init__(self, capacity: int = REMEMBERED_KEYS) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, tuple[Hashable, str | None]] = OrderedDict()
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Run writes with one key one at a time (a concurrent retry waits, then replays)."""
        lock, users = self._locks.get(key, (anyio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def result(self, key: str, fingerprint: Hashable) -> str | None:
        """The id this key produced, None if none yet; IdempotencyConflict if the key was used
        for a different request."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        seen, result = entry
        if seen != fingerprint:
            raise IdempotencyConflict("idempotency key was already used for a different request")
        return result

    def record(self, key: str, fingerprint: Hashable, result: str | None) -> None:
        """Remember what a key asked for and (once known) what it produced."""
        self._entries[key] = (fingerprint, result)
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)


async def write_once(
    attempt: Callable[[], Awaitable[T]],
    look: Callable[[], Awaitable[T | None]],
    *,
    what: str,
    attempts: int = 2,
) -> T:
    """Make a write happen at most once: `attempt` it, and after an unknown outcome `look` for
    its result before attempting again.

    `look` must find what an earlier attempt produced (or None). A definite refusal after an
    unknown outcome is looked behind too: the refusal may be our own first attempt in the way.
    """
    uncertain = False
    for number in range(attempts):
        if uncertain:
            found = await _look(look, what)
            if found is not None:
                return found
            await anyio.sleep(RETRY_PAUSE_SECONDS * number)
        try:
            return await attempt()
        except RateLimited:
            if not uncertain:
                raise  # nothing was sent
        except PMSUnavailable:
            uncertain = True
        except PMSError:
            if uncertain:
                found = await _look(look, what)
                if found is not None:
                    return found
            raise
    found = await _look(look, what)
    if found is not None:
        return found
    raise WriteOutcomeUnknown(
        f"{what}: Nookal did not confirm it; ask again with the same idempotency key to find out"
    )


async def _look(look: Callable[[], Awaitable[T | None]], what: str) -> T | None:
    try:
        return await look()
    except PMSUnavailable as exc:
        raise WriteOutcomeUnknown(
            f"{what}: Nookal did not confirm it and could not be asked whether it landed"
        ) from exc
