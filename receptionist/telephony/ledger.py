"""The ledger: small facts every worker must agree on (a call token used, a webhook answered,
a number's failed attempts), kept in Redis when configured, else in the service's database.

Every operation is atomic across workers and expires on its own. Keys are stored only as
sha256 digests, so a call token or a caller's number never sits in the store in clear.

    LedgerUnavailable    the store could not be reached; callers fail closed
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar, runtime_checkable

import anyio
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy import case as sql_case
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from diary.db import writing

T = TypeVar("T")


class LedgerUnavailable(Exception):
    """The shared store could not answer (Redis or the database is down or too slow)."""


@runtime_checkable
class Ledger(Protocol):
    """Atomic, expiring facts shared by every worker."""

    async def claim(self, key: str, ttl_s: float) -> bool:
        """True the first time `key` is claimed within `ttl_s` seconds, False after."""
        ...

    async def put_if_absent(self, key: str, value: str, ttl_s: float) -> str | None:
        """Store `value` unless `key` holds one: None when stored, else the value there."""
        ...

    async def count(self, key: str, window_s: float) -> int:
        """Add one to `key`'s count (which starts when first counted and lasts `window_s`
        seconds) and return the new count."""
        ...

    async def aclose(self) -> None: ...


def digest(key: str) -> str:
    """How a key is stored: its sha256, never the key itself."""
    return hashlib.sha256(key.encode()).hexdigest()


# -- Redis -------------------------------------------------------------------------------------

_PUT_IF_ABSENT = """
local found = redis.call('GET', KEYS[1])
if found then return found end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
"""

_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
"""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisLedger:
    """The ledger in Redis: `SET NX PX` and two small scripts, so each step is one round trip."""

    def __init__(self, client: aioredis.Redis, prefix: str = "receptionist:ledger:") -> None:
        self._redis = client
        self._prefix = prefix
        self._put = client.register_script(_PUT_IF_ABSENT)
        self._count = client.register_script(_COUNT)

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 1.0) -> RedisLedger:
        """A ledger on the Redis at `url`, with timeouts short enough for a ringing phone."""
        client = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        return cls(client)

    def _key(self, key: str) -> str:
        return self._prefix + digest(key)

    async def claim(self, key: str, ttl_s: float) -> bool:
        try:
            return bool(await self._redis.set(self._key(key), b"1", nx=True, px=_ms(ttl_s)))
        except RedisError as exc:
            raise LedgerUnavailable("ledger unreachable (redis)") from exc

    async def put_if_absent(self, key: str, value: str, ttl_s: float) -> str | None:
        try:
            found = await self._put(keys=[self._key(key)], args=[value, _ms(ttl_s)])
        except RedisError as exc:
            raise LedgerUnavailable("ledger unreachable (redis)") from exc
        if found is None:
            return None
        return found.decode() if isinstance(found, bytes) else str(found)

    async def count(self, key: str, window_s: float) -> int:
        try:
            return int(await self._count(keys=[self._key(key)], args=[_ms(window_s)]))
        except RedisError as exc:
            raise LedgerUnavailable("ledger unreachable (redis)") from exc

    async def aclose(self) -> None:
        await self._redis.aclose()


# -- the database ------------------------------------------------------------------------------

metadata = MetaData()

# Made by receptionist/migrations/versions/0002_call_ledger.py.
call_ledger = Table(
    "call_ledger",
    metadata,
    Column("key", String(64), primary_key=True),  # sha256 hex of the key
    Column("value", Text),
    Column("hits", Integer, nullable=False, default=0),
    Column("expires_at", Float, nullable=False, index=True),  # unix seconds
)

PURGE_EVERY_S = 60.0


class DatabaseLedger:
    """The ledger in the service's database (SQLite or PostgreSQL), from a worker thread.

    A new key is an INSERT; the primary key makes a second one fail with IntegrityError, which
    means "already there" (an expired row is taken over by a guarded UPDATE instead). Expired
    rows are purged now and then by whoever writes.
    """

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self._writer = writing(engine)
        self._clock = clock
        self._purged_at = 0.0

    async def claim(self, key: str, ttl_s: float) -> bool:
        return await self._run(self._put, digest(key), "", ttl_s) is None

    async def put_if_absent(self, key: str, value: str, ttl_s: float) -> str | None:
        return await self._run(self._put, digest(key), value, ttl_s)

    async def count(self, key: str, window_s: float) -> int:
        return await self._run(self._count, digest(key), window_s)

    async def aclose(self) -> None:
        return None

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        try:
            return await anyio.to_thread.run_sync(fn, *args)
        except SQLAlchemyError as exc:
            raise LedgerUnavailable("ledger unreachable (database)") from exc

    def _put(self, key: str, value: str, ttl_s: float) -> str | None:
        now = self._clock()
        row = {"key": key, "value": value, "hits": 0, "expires_at": now + ttl_s}
        with self._writer.begin() as db:
            self._purge(db, now)
            if self._insert(db, row):
                return None
            taken = db.execute(
                update(call_ledger)
                .where(call_ledger.c.key == key, call_ledger.c.expires_at <= now)
                .values(value=value, hits=0, expires_at=now + ttl_s)
            )
            if taken.rowcount == 1:  # the old fact had expired: this one replaces it
                return None
            found = db.execute(select(call_ledger.c.value).where(call_ledger.c.key == key))
            return str(found.scalar_one() or "")

    def _count(self, key: str, window_s: float) -> int:
        now = self._clock()
        expired = call_ledger.c.expires_at <= now
        bump = (
            update(call_ledger)
            .where(call_ledger.c.key == key)
            .values(
                hits=sql_case((expired, 1), else_=call_ledger.c.hits + 1),
                expires_at=sql_case((expired, now + window_s), else_=call_ledger.c.expires_at),
            )
        )
        with self._writer.begin() as db:
            self._purge(db, now)
            if db.execute(bump).rowcount == 0:
                row = {"key": key, "value": None, "hits": 1, "expires_at": now + window_s}
                if self._insert(db, row):
                    return 1
                db.execute(bump)  # another worker inserted it first
            hits = db.execute(select(call_ledger.c.hits).where(call_ledger.c.key == key))
            return int(hits.scalar_one())

    @staticmethod
    def _insert(db: Connection, row: Mapping[str, object]) -> bool:
        try:
            with db.begin_nested():
                db.execute(insert(call_ledger).values(**row))
        except IntegrityError:
            return False
        return True

    def _purge(self, db: Connection, now: float) -> None:
        if now - self._purged_at < PURGE_EVERY_S:
            return
        self._purged_at = now
        db.execute(delete(call_ledger).where(call_ledger.c.expires_at < now - PURGE_EVERY_S))
