"""Per-credential request budgets: token buckets that keep an adapter under its PMS's limit.

A PMS limits requests per credential (Cliniko: per API key, per minute), not per worker, so the
budget can live in Redis (`RedisTokenBucket`) and be shared by every worker holding the key;
`LocalTokenBucket` is the one-process version.

Both reserve: `acquire` takes a token at once, letting the count go below zero, and sleeps until
that token is due. Waiters therefore queue in order, nobody polls, and a wait longer than
`max_wait` is refused up front with `RateLimited` (no token taken). When the PMS itself says
429, `pause_until` empties the bucket and holds refilling until then, for every worker.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from pms_adapters.errors import PMSUnavailable, RateLimited

Sleep = Callable[[float], Awaitable[object]]


@runtime_checkable
class RequestBudget(Protocol):
    """How many requests may go to a PMS: one token per request."""

    async def acquire(self) -> None:
        """Wait until a request may go.

        Raises `RateLimited` if that would take longer than the budget's max wait, and
        `PMSUnavailable` if the budget itself cannot be reached.
        """
        ...

    async def pause_until(self, unix_ts: float) -> None:
        """The PMS said 429: send nothing more until `unix_ts` (seconds since the epoch)."""
        ...


def budget_key(adapter_name: str, credential: str) -> str:
    """A Redis key for a credential's budget; the credential appears only as a sha256."""
    digest = hashlib.sha256(f"{adapter_name}\0{credential}".encode()).hexdigest()
    return f"pms:budget:{adapter_name}:{digest[:32]}"


def _check(rate_per_minute: float, burst: int | None, max_wait: float) -> tuple[float, int]:
    if rate_per_minute <= 0:
        raise ValueError("rate_per_minute must be positive")
    if burst is None:
        # Ten seconds' worth: enough for the handful of reads a call starts with, without
        # letting any one minute run far over the PMS's limit.
        burst = max(1, math.floor(rate_per_minute / 6))
    if burst < 1:
        raise ValueError("burst must be at least 1")
    if max_wait < 0:
        raise ValueError("max_wait must not be negative")
    return rate_per_minute / 60.0, burst


class LocalTokenBucket:
    """A token bucket for one process: `rate_per_minute` tokens, at most `burst` saved up."""

    def __init__(
        self,
        rate_per_minute: float,
        burst: int | None = None,
        *,
        max_wait: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._rate, self.burst = _check(rate_per_minute, burst, max_wait)
        self.max_wait = max_wait
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        # Refilling counts from here; a pause moves it into the future.
        self._stamp = clock()

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now

    def reserve(self) -> float:
        """Take a token now and return how long until it is due (0: at once), for a caller
        that waits in its own way; `RateLimited` (and nothing taken) past `max_wait`."""
        now = self._clock()
        self._refill(now)
        tokens = self._tokens - 1
        wait = max(0.0, self._stamp - now) + max(0.0, -tokens) / self._rate
        if wait > self.max_wait:
            raise RateLimited("request budget exhausted", retry_after=wait)
        self._tokens = tokens
        return wait

    async def acquire(self) -> None:
        """Take a token, sleeping until it is due; `RateLimited` past `max_wait`."""
        wait = self.reserve()
        if wait <= 0:
            return
        try:
            await self._sleep(wait)
        except asyncio.CancelledError:
            self._tokens += 1  # the reserved request will not go
            raise

    async def pause_until(self, unix_ts: float) -> None:
        """Empty the bucket and refill only from `unix_ts`."""
        now = self._clock()
        self._refill(now)
        resume = now + (unix_ts - self._wall_clock())
        if resume > self._stamp:
            self._stamp = resume
            self._tokens = min(self._tokens, 0.0)


# State: a hash {tokens, stamp}; stamp is Redis TIME from which refilling counts (in the future
# while paused). Refills and pauses are computed on the server's clock (a pause arrives as a
# delay), so workers whose clocks disagree still agree on the budget.
_PRELUDE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1])
local stamp = tonumber(state[2])
if tokens == nil or stamp == nil then
  tokens = burst
  stamp = now
end
if now > stamp then
  tokens = math.min(burst, tokens + (now - stamp) * rate)
  stamp = now
end
local function save()
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
             'stamp', string.format('%.6f', stamp))
  -- Once the bucket would be full again its state is the default one: let it expire.
  local ttl = (burst - tokens) / rate + math.max(0, stamp - now)
  redis.call('PEXPIRE', KEYS[1], math.ceil(ttl * 1000) + 1000)
end
"""

# ARGV[3] = max wait. Returns {1 if taken else 0, seconds to wait}.
_ACQUIRE = (
    _PRELUDE
    + """
tokens = tokens - 1
local wait = math.max(0, stamp - now)
if tokens < 0 then
  wait = wait - tokens / rate
end
if wait > tonumber(ARGV[3]) then
  return {0, string.format('%.6f', wait)}
end
save()
return {1, string.format('%.6f', wait)}
"""
)

# ARGV[3] = seconds from now (the server's now) to pause for.
_PAUSE = (
    _PRELUDE
    + """
local resume = now + tonumber(ARGV[3])
if resume > stamp then
  stamp = resume
  tokens = math.min(tokens, 0)
end
save()
return 1
"""
)


class RedisTokenBucket:
    """A token bucket in Redis, shared by every process using the same `key`.

    The budget sits in the path of every request: give `redis` short timeouts and few retries.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        key: str,
        rate_per_minute: float,
        burst: int | None = None,
        *,
        max_wait: float = 5.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._rate, self.burst = _check(rate_per_minute, burst, max_wait)
        self.max_wait = max_wait
        self.key = key
        self._sleep = sleep
        self._acquire = redis.register_script(_ACQUIRE)
        self._pause = redis.register_script(_PAUSE)

    async def acquire(self) -> None:
        """Take a token, sleeping until it is due; `RateLimited` past `max_wait`.

        A reservation abandoned by cancellation is not given back: the budget errs on the side
        of sending less.
        """
        try:
            taken, wait = await self._acquire(
                keys=[self.key], args=[self._rate, self.burst, self.max_wait]
            )
        except RedisError as exc:
            raise PMSUnavailable("request budget unreachable") from exc
        seconds = float(wait)
        if not int(taken):
            raise RateLimited("request budget exhausted", retry_after=seconds)
        if seconds > 0:
            await self._sleep(seconds)

    async def pause_until(self, unix_ts: float) -> None:
        """Empty the shared bucket and refill only from `unix_ts`, for every worker.

        Sent as a delay and applied to Redis's clock, so a worker whose clock is off does not
        shorten or stretch everyone's pause. Workers already sleeping on a reservation made
        before the pause still send when it falls due.
        """
        seconds = max(0.0, unix_ts - time.time())
        try:
            await self._pause(keys=[self.key], args=[self._rate, self.burst, seconds])
        except RedisError as exc:
            raise PMSUnavailable("request budget unreachable") from exc
