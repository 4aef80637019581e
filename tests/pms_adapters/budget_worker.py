"""One worker of the two-process budget test: take tokens from a shared Redis budget.

Usage: budget_worker.py REDIS_URL KEY RATE_PER_MINUTE BURST
Prints "ready", reads "START_AT STOP_AT" (unix times) from stdin, waits until START_AT,
acquires tokens until STOP_AT, and prints a JSON list of the unix times at which it got them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import redis.asyncio as aioredis

from pms_adapters.budget import RedisTokenBucket


async def take_tokens(
    url: str, key: str, rate: float, burst: int, start_at: float, stop_at: float
) -> list[float]:
    """Acquire tokens between `start_at` and `stop_at`; when each was granted."""
    client = aioredis.Redis.from_url(url)
    bucket = RedisTokenBucket(client, key, rate, burst, max_wait=stop_at - start_at)
    got: list[float] = []
    try:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        while (left := stop_at - time.time()) > 0:
            try:
                async with asyncio.timeout(left):
                    await bucket.acquire()
            except TimeoutError:
                break
            got.append(time.time())
    finally:
        await client.aclose()
    return got


def main() -> None:
    url, key, rate, burst = sys.argv[1:]
    print("ready", flush=True)
    start_at, stop_at = (float(word) for word in sys.stdin.readline().split())
    got = asyncio.run(take_tokens(url, key, float(rate), int(burst), start_at, stop_at))
    print(json.dumps(got))


if __name__ == "__main__":
    main()
