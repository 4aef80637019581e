"""A short-lived, in-process cache of free slots, so a caller's repeated question costs nothing.

Entries live for seconds, not minutes: another receptionist can take a slot at any time, and a
booking of a slot that has gone fails cleanly with `SlotUnavailable` anyway. Our own writes
clear the whole cache (`invalidate`). A lookup that started before an invalidation must not
store its now-stale answer afterwards, so `put` takes the `generation` read before the lookup.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pms_adapters.types import Slot, SlotQuery


class AvailabilityCache:
    """Slots by `SlotQuery`, each entry fresh for `ttl_seconds` on a monotonic clock."""

    def __init__(
        self,
        ttl_seconds: float = 10.0,
        *,
        max_entries: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[SlotQuery, tuple[float, tuple[Slot, ...]]] = {}
        self._generation = 0

    @property
    def generation(self) -> int:
        """Bumped by every `invalidate`; read it before a lookup and hand it to `put`."""
        return self._generation

    def get(self, query: SlotQuery) -> list[Slot] | None:
        """The cached slots for `query` if still fresh, else None."""
        entry = self._entries.get(query)
        if entry is None:
            return None
        expires_at, slots = entry
        if self._clock() >= expires_at:
            del self._entries[query]
            return None
        return list(slots)

    def put(self, query: SlotQuery, slots: list[Slot], generation: int) -> None:
        """Remember `slots` for `query`, unless the cache was invalidated since `generation`."""
        if generation != self._generation:
            return
        now = self._clock()
        self._entries.pop(query, None)
        self._evict(now)
        self._entries[query] = (now + self.ttl_seconds, tuple(slots))

    def invalidate(self) -> None:
        """Forget everything (after any write to the diary)."""
        self._entries.clear()
        self._generation += 1

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self, now: float) -> None:
        # One TTL for all, and a re-put moves to the end: insertion order is expiry order.
        while self._entries:
            oldest = next(iter(self._entries))
            if len(self._entries) < self.max_entries and now < self._entries[oldest][0]:
                return
            del self._entries[oldest]
