"""Shared fixtures for the hardening tests: the real service on a port (from
tests/telephony/conftest.py) and the shared stores (Redis, both databases).

Redis tests use the server named by `PMS_TEST_REDIS_URL` (default: the local one). Under
CI=true they are mandatory: an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from tests.conftest import IN_CI
from tests.telephony.conftest import (
    anyio_backend,
    fake_model,
    fake_twilio,
    make_server,
    realtime_clinic,
)

__all__ = [
    "REDIS_URL",
    "anyio_backend",
    "fake_model",
    "fake_twilio",
    "make_server",
    "realtime_clinic",
    "redis_client",
    "redis_url",
]

REDIS_URL = os.environ.get("PMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis, checked once (sync, so async fixtures may ask for it by name)."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        if IN_CI:
            pytest.fail(f"Redis unreachable at {REDIS_URL} (mandatory under CI=true): {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    finally:
        client.close()
    return REDIS_URL


async def own_redis(url: str) -> tuple[aioredis.Redis, str]:
    """A client on `url` and a key prefix no other test uses."""
    client = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client, f"test:hardening:{uuid.uuid4().hex}:"


async def drop_redis(client: aioredis.Redis, prefix: str) -> None:
    """Delete the keys under `prefix` and close the client."""
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[tuple[aioredis.Redis, str]]:
    """A Redis client and a key prefix of this test's own (its keys are deleted afterwards)."""
    client, prefix = await own_redis(redis_url)
    try:
        yield client, prefix
    finally:
        await drop_redis(client, prefix)
