"""Request budgets: the local token bucket on a fake clock, the Redis one on the local Redis.

Redis tests use the server named by `PMS_TEST_REDIS_URL` (default: the local one). Under
CI=true they are mandatory: an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from pms_adapters.budget import (
    LocalTokenBucket,
    RedisTokenBucket,
    RequestBudget,
    budget_key,
)
from pms_adapters.errors import PMSUnavailable, RateLimited

REDIS_URL = os.environ.get("PMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"
WORKER = Path(__file__).with_name("budget_worker.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeTime:
    """A monotonic clock, a wall clock and a sleep that moves both forward, for one process."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wall_offset = 1_700_000_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self.wall_offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def local_bucket(
    fake: FakeTime, rate_per_minute: float, burst: int | None = None, max_wait: float = 60.0
) -> LocalTokenBucket:
    return LocalTokenBucket(
        rate_per_minute,
        burst,
        max_wait=max_wait,
        clock=fake.monotonic,
        wall_clock=fake.wall,
        sleep=fake.sleep,
    )


def test_budget_key_hides_the_credential() -> None:
    key = budget_key("cliniko", "MS0xLXNlY3JldC1hcGkta2V5-au1")
    assert key.startswith("pms:budget:cliniko:")
    assert "MS0x" not in key and "secret" not in key
    assert key == budget_key("cliniko", "MS0xLXNlY3JldC1hcGkta2V5-au1")
    assert key != budget_key("cliniko", "another-key")
    assert key != budget_key("nookal", "MS0xLXNlY3JldC1hcGkta2V5-au1")


def test_both_buckets_are_request_budgets() -> None:
    assert isinstance(LocalTokenBucket(60), RequestBudget)
    client = aioredis.Redis.from_url(REDIS_URL)  # no connection is made until a command
    assert isinstance(RedisTokenBucket(client, "k", 60), RequestBudget)


@pytest.mark.parametrize(
    ("rate", "burst", "max_wait"), [(0.0, None, 1.0), (60.0, 0, 1.0), (60.0, None, -1.0)]
)
def test_buckets_refuse_nonsense(rate: float, burst: int | None, max_wait: float) -> None:
    with pytest.raises(ValueError):
        LocalTokenBucket(rate, burst, max_wait=max_wait)


def test_default_burst_is_ten_seconds_worth() -> None:
    assert LocalTokenBucket(200).burst == 33
    assert LocalTokenBucket(3).burst == 1


@pytest.mark.anyio
async def test_local_bucket_spends_its_burst_then_paces_requests() -> None:
    fake = FakeTime()
    bucket = local_bucket(fake, rate_per_minute=60, burst=3)
    for _ in range(3):
        await bucket.acquire()
    assert fake.sleeps == []
    for _ in range(3):
        await bucket.acquire()
    assert fake.sleeps == pytest.approx([1.0, 1.0, 1.0])


@pytest.mark.anyio
async def test_local_bucket_refills_with_time_up_to_its_burst() -> None:
    fake = FakeTime()
    bucket = local_bucket(fake, rate_per_minute=60, burst=3)
    for _ in range(3):
        await bucket.acquire()
    fake.now += 2.0
    await bucket.acquire()
    await bucket.acquire()
    assert fake.sleeps == []
    fake.now += 3600.0  # an idle hour saves up no more than the burst
    for _ in range(3):
        await bucket.acquire()
    assert fake.sleeps == []
    await bucket.acquire()
    assert fake.sleeps == pytest.approx([1.0])


@pytest.mark.anyio
async def test_local_waiters_queue_in_order_without_polling() -> None:
    fake = FakeTime()
    sleeps: list[float] = []
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await gate.wait()

    bucket = LocalTokenBucket(60, 1, max_wait=60, clock=fake.monotonic, sleep=sleep)
    waiters = [asyncio.create_task(bucket.acquire()) for _ in range(4)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*waiters)
    # One sleep per waiter, each for exactly its place in the queue.
    assert sleeps == pytest.approx([1.0, 2.0, 3.0])


@pytest.mark.anyio
async def test_local_bucket_refuses_a_wait_past_max_wait_without_taking_a_token() -> None:
    fake = FakeTime()
    bucket = local_bucket(fake, rate_per_minute=60, burst=1, max_wait=0.5)
    await bucket.acquire()
    for _ in range(2):
        with pytest.raises(RateLimited) as raised:
            await bucket.acquire()
        assert raised.value.retry_after == pytest.approx(1.0)
    fake.now += 1.0
    await bucket.acquire()
    assert fake.sleeps == []


@pytest.mark.anyio
async def test_a_cancelled_local_waiter_gives_its_token_back() -> None:
    fake = FakeTime()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 1:
            await asyncio.Event().wait()  # the first waiter hangs until cancelled

    bucket = LocalTokenBucket(60, 1, clock=fake.monotonic, sleep=sleep)
    await bucket.acquire()
    waiter = asyncio.create_task(bucket.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await bucket.acquire()
    assert sleeps == [1.0, 1.0]  # not 2.0: the abandoned place in the queue was given back


@pytest.mark.anyio
async def test_local_pause_until_empties_the_bucket_until_then() -> None:
    fake = FakeTime()
    bucket = local_bucket(fake, rate_per_minute=60, burst=5)
    await bucket.pause_until(fake.wall() + 10.0)
    await bucket.acquire()
    assert fake.sleeps == pytest.approx([11.0])  # the pause, then one token's refill
    await bucket.pause_until(fake.wall() - 5.0)  # a pause in the past changes nothing
    await bucket.acquire()
    assert fake.sleeps == pytest.approx([11.0, 1.0])


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis server's URL, once it answers a PING."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis unreachable at {REDIS_URL}"
        if IN_CI:
            pytest.fail(f"{reason} (mandatory under CI=true): {exc}")
        pytest.skip(reason)
    finally:
        client.close()
    yield REDIS_URL


@pytest.fixture
def key(redis_url: str) -> Iterator[str]:
    """A budget key of this test's own, deleted afterwards."""
    name = budget_key("test", uuid.uuid4().hex)
    yield name
    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(name)
    finally:
        client.close()


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    connection = aioredis.Redis.from_url(redis_url)
    yield connection
    await connection.aclose()


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.mark.anyio
async def test_redis_bucket_spends_its_burst_then_paces_requests(
    client: aioredis.Redis, key: str
) -> None:
    sleep = RecordingSleep()
    # Six a minute: a token takes ten seconds to refill, so the real time the test takes
    # (even on a loaded machine) barely moves the figures.
    bucket = RedisTokenBucket(client, key, rate_per_minute=6, burst=3, max_wait=60, sleep=sleep)
    for _ in range(3):
        await bucket.acquire()
    assert sleep.delays == []
    await bucket.acquire()
    await bucket.acquire()
    # Reservations queue: the 4th is due about ten seconds after the bucket ran dry, the 5th
    # ten seconds after that.
    assert len(sleep.delays) == 2
    assert 8 < sleep.delays[0] <= 10
    assert 18 < sleep.delays[1] <= 20


@pytest.mark.anyio
async def test_redis_bucket_refuses_a_wait_past_max_wait_without_taking_a_token(
    client: aioredis.Redis, key: str
) -> None:
    bucket = RedisTokenBucket(client, key, rate_per_minute=6, burst=1, max_wait=0.5)
    await bucket.acquire()
    for _ in range(2):
        with pytest.raises(RateLimited) as raised:
            await bucket.acquire()
        assert 8 < raised.value.retry_after <= 10


@pytest.mark.anyio
async def test_redis_state_expires_once_the_bucket_would_be_full_again(
    client: aioredis.Redis, key: str
) -> None:
    bucket = RedisTokenBucket(client, key, rate_per_minute=60, burst=10)
    await bucket.acquire()
    # One token short: full again in a second; the TTL adds a second of slack.
    assert 1000 < await client.pttl(key) <= 2000
    assert set(await client.hkeys(key)) == {b"tokens", b"stamp"}


@pytest.mark.anyio
async def test_redis_pause_until_holds_back_every_worker(redis_url: str, key: str) -> None:
    first = aioredis.Redis.from_url(redis_url)
    second = aioredis.Redis.from_url(redis_url)
    try:
        pausing = RedisTokenBucket(first, key, rate_per_minute=600, burst=10)
        other = RedisTokenBucket(second, key, rate_per_minute=600, burst=10, max_wait=1.0)
        await pausing.pause_until(time.time() + 30.0)
        with pytest.raises(RateLimited) as raised:
            await other.acquire()
        # The pause plus one token's refill (a tenth of a second), give or take clock skew.
        assert 29.5 < raised.value.retry_after < 30.5
        assert await first.pttl(key) > 30_000
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.anyio
async def test_an_unreachable_redis_makes_the_budget_unavailable() -> None:
    nowhere = aioredis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    bucket = RedisTokenBucket(nowhere, "k", rate_per_minute=60)
    try:
        with pytest.raises(PMSUnavailable, match="budget unreachable"):
            await bucket.acquire()
        with pytest.raises(PMSUnavailable, match="budget unreachable"):
            await bucket.pause_until(time.time() + 1.0)
    finally:
        await nowhere.aclose()


def test_two_processes_sharing_a_redis_budget_stay_within_it_together(
    redis_url: str, key: str
) -> None:
    # Five a second after a burst of five: once the burst is spent each worker holds one
    # reservation at a time, so they take turns and both get tokens.
    rate_per_minute, burst = 300, 5
    # The worker imports pms_adapters from this checkout, installed or not.
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    argv = [sys.executable, str(WORKER), redis_url, key, str(rate_per_minute), str(burst)]
    workers = [
        subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline() == "ready\n"
        # Both are up and imported: start them together, shortly.
        start_at = time.time() + 0.2
        stop_at = start_at + 2.0
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(f"{start_at!r} {stop_at!r}\n")
            worker.stdin.flush()
        results: list[list[float]] = []
        for worker in workers:
            out, err = worker.communicate(timeout=20)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    assert all(results), f"each worker should get tokens: {[len(r) for r in results]}"
    stamps = sorted(results[0] + results[1])
    assert start_at - 0.05 <= stamps[0] and stamps[-1] <= stop_at + 0.1
    allowed = burst + rate_per_minute / 60 * (stamps[-1] - stamps[0])
    counts = [len(r) for r in results]
    assert len(stamps) <= allowed + 1, (counts, allowed)
    # And the budget is not stingy either: together they got nearly all it had to give.
    assert len(stamps) >= allowed - 2, (counts, allowed)
