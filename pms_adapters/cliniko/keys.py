"""`KeyMemory`: this process's record of idempotency keys, for a PMS that has none.

Each key maps to the request it came with and the id of what it produced (None while the
outcome is unknown). The same key with the same request returns that id; with a different
request it is an `IdempotencyConflict`. Calls with one key run one at a time (a lock per key).

What survives a restart: nothing here. A retry after a restart is caught by the adapter's
look-before-write instead (it finds the appointment or patient an earlier attempt made);
what a restart loses is only the `IdempotencyConflict` check for reused keys.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

import anyio

from pms_adapters.errors import IdempotencyConflict, InvalidRequest

MAX_KEY_LENGTH = 255
_REMEMBERED = 10_000


class KeyMemory:
    """Keys seen by this process: request fingerprint and result id, most recent kept."""

    def __init__(self, size: int = _REMEMBERED) -> None:
        self._size = size
        self._seen: OrderedDict[str, tuple[Hashable, str | None]] = OrderedDict()
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}

    @staticmethod
    def check_key(key: str) -> None:
        """InvalidRequest unless the key is 1 to 255 printable characters."""
        if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            raise InvalidRequest(
                f"idempotency key must be 1 to {MAX_KEY_LENGTH} printable characters"
            )

    def lock(self, key: str) -> _KeyLock:
        """An async context manager holding `key` for one call at a time."""
        return _KeyLock(self, key)

    def check(self, key: str, request: Hashable) -> str | None:
        """The id this key produced for this request, None if none yet; IdempotencyConflict
        if the key came with a different request."""
        seen = self._seen.get(key)
        if seen is None:
            return None
        if seen[0] != request:
            raise IdempotencyConflict("idempotency key was already used for a different request")
        return seen[1]

    def remember(self, key: str, request: Hashable, result_id: str | None) -> None:
        """Record what the key produced (None: the outcome is not known yet)."""
        self._seen[key] = (request, result_id)
        self._seen.move_to_end(key)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)


class _KeyLock:
    def __init__(self, memory: KeyMemory, key: str) -> None:
        self._memory = memory
        self._key = key

    async def __aenter__(self) -> None:
        locks = self._memory._locks
        lock, users = locks.get(self._key) or (anyio.Lock(), 0)
        locks[self._key] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._leave()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._memory._locks[self._key][0].release()
        self._leave()

    def _leave(self) -> None:
        locks = self._memory._locks
        lock, users = locks[self._key]
        if users <= 1:
            del locks[self._key]
        else:
            locks[self._key] = (lock, users - 1)
