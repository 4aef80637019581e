"""Issue 15, items 2-5 and the voice half of 10: single-use call tokens in a shared ledger,
webhook bodies refused before they are parsed, voice webhooks answered once per call, no
constant signing secret, and a call recorded (and the caller looked after) when the clinic
cannot be opened at the first ring."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import websockets
from pydantic import ValidationError
from sqlalchemy import Engine, select
from twilio.request_validator import RequestValidator
from typer.testing import CliRunner

from receptionist import migrate
from receptionist.app import announce_development_token
from receptionist.cli import app as cli
from receptionist.settings import Settings
from receptionist.telephony import tokens
from receptionist.telephony.ledger import (
    DatabaseLedger,
    Ledger,
    LedgerUnavailable,
    RedisLedger,
    call_ledger,
)
from tests.fakes.twilio_rest import FakeTwilio
from tests.hardening.conftest import drop_redis, own_redis
from tests.telephony.conftest import CLINIC_NUMBER, OLIVIA, PUBLIC, simulator

pytestmark = pytest.mark.anyio

MESSAGE_CALL = ["I'd like to leave a message", "Olivia Smith", "Please call me back about my knee"]


def voice_params(call_sid: str, fake: FakeTwilio) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": fake.account_sid,
        "From": OLIVIA,
        "To": CLINIC_NUMBER,
        "CallStatus": "ringing",
    }


def signed(fake: FakeTwilio, path: str, params: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(fake.auth_token).compute_signature(
        f"{PUBLIC}{path}", params
    )}  # fmt: skip


# -- item 2: a call token opens one socket ------------------------------------------------------


async def test_a_replayed_token_is_refused_and_the_first_call_keeps_its_record(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server()
    sim = simulator(server, fake_twilio)
    try:
        await sim.start()
        for line in MESSAGE_CALL:
            await sim.say(line)
        before = server.admin(f"/api/calls/{sim.call_sid}")
        messages = server.admin("/api/messages")
        assert [m["call_id"] for m in messages] == [sim.call_sid]

        ws_url = server.url.replace("http://", "ws://") + "/twilio/relay"
        async with websockets.connect(ws_url) as thief:
            setup = {
                "type": "setup",
                "callSid": sim.call_sid,
                "from": "+61400000000",
                "to": CLINIC_NUMBER,
                "customParameters": sim.parameters,  # the very token Twilio used
            }
            await thief.send(json.dumps(setup))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(thief.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        # The first call goes on: it still answers, and what it took is still there.
        assert await sim.say("Thanks, that's all") != ""
    finally:
        await sim.aclose()
    after = server.admin(f"/api/calls/{sim.call_sid}")
    assert after["transcript"][: len(before["transcript"])] == before["transcript"]
    assert after["caller_number"] == OLIVIA
    assert server.admin("/api/messages") == messages


async def test_admit_lets_a_token_in_once(make_server: Any) -> None:
    service = make_server().telephony
    call_sid = "CA" + uuid.uuid4().hex
    token = tokens.issue(call_sid, "demo", service.token_secret, 60)
    with pytest.raises(tokens.InvalidToken, match="another call"):
        await service.admit(token, "CA" + "0" * 32)
    claims = await service.admit(token, call_sid)
    assert claims.call_sid == call_sid
    with pytest.raises(tokens.InvalidToken, match="already used"):
        await service.admit(token, call_sid)
    rows = service.store._engine.connect().execute(select(call_ledger.c.key)).scalars().all()
    assert rows and all(token not in row and call_sid not in row for row in rows)


async def test_admit_lets_nobody_in_when_the_ledger_is_down(make_server: Any) -> None:
    service = make_server().telephony

    class Down:
        async def claim(self, key: str, ttl_s: float) -> bool:
            raise LedgerUnavailable("down")

        async def aclose(self) -> None:
            return None

    service.ledger = Down()  # type: ignore[assignment]
    token = tokens.issue("CA" + "1" * 32, "demo", service.token_secret, 60)
    with pytest.raises(tokens.InvalidToken, match="unreachable"):
        await service.admit(token, "CA" + "1" * 32)


# -- the ledger, on each store ------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "redis"])
async def ledger(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Ledger, str]]:
    """Each backend, and a key prefix of this test's own."""
    prefix = f"{uuid.uuid4().hex}:"
    if request.param == "redis":
        client, redis_prefix = await own_redis(request.getfixturevalue("redis_url"))
        try:
            yield RedisLedger(client, prefix=redis_prefix), prefix
        finally:
            await drop_redis(client, redis_prefix)
        return
    engine: Engine = request.getfixturevalue(
        "postgres_engine" if request.param == "postgresql" else "sqlite_ledger_engine"
    )
    migrate.upgrade(engine)
    yield DatabaseLedger(engine), prefix


@pytest.fixture
def sqlite_ledger_engine(tmp_path: Any) -> Iterator[Engine]:
    from diary.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield engine
    engine.dispose()


async def test_a_claim_is_won_once(ledger: tuple[Ledger, str]) -> None:
    store, prefix = ledger
    assert await store.claim(prefix + "a", 30) is True
    assert await store.claim(prefix + "a", 30) is False
    assert await store.claim(prefix + "b", 30) is True


async def test_twenty_concurrent_claims_give_exactly_one_winner(
    ledger: tuple[Ledger, str],
) -> None:
    store, prefix = ledger
    results = await asyncio.gather(*(store.claim(prefix + "token", 30) for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]


async def test_put_if_absent_keeps_the_first_value_even_under_a_race(
    ledger: tuple[Ledger, str],
) -> None:
    store, prefix = ledger
    results = await asyncio.gather(
        *(store.put_if_absent(prefix + "answer", f"value {n}", 30) for n in range(20))
    )
    assert results.count(None) == 1
    winner = f"value {results.index(None)}"
    assert all(found == winner for found in results if found is not None)
    assert await store.put_if_absent(prefix + "answer", "late", 30) == winner


async def test_counts_are_atomic(ledger: tuple[Ledger, str]) -> None:
    store, prefix = ledger
    counts = await asyncio.gather(*(store.count(prefix + "number", 60) for _ in range(20)))
    assert sorted(counts) == list(range(1, 21))
    assert await store.count(prefix + "other", 60) == 1


async def test_redis_facts_expire(redis_client: tuple[aioredis.Redis, str]) -> None:
    client, prefix = redis_client
    store = RedisLedger(client, prefix=prefix)
    assert await store.claim("k", 0.05)
    assert await store.count("n", 0.05) == 1
    assert await store.put_if_absent("v", "first", 0.05) is None
    await asyncio.sleep(0.3)
    assert await store.claim("k", 30)
    assert await store.count("n", 30) == 1
    assert await store.put_if_absent("v", "second", 30) is None
    keys = [key.decode() async for key in client.scan_iter(match=prefix + "*")]
    assert len(keys) == 3 and not any(k.endswith(("k", "n", "v")) for k in keys)


async def test_database_facts_expire_and_are_purged(sqlite_ledger_engine: Engine) -> None:
    migrate.upgrade(sqlite_ledger_engine)
    clock = Clock()
    store = DatabaseLedger(sqlite_ledger_engine, clock=clock)
    assert await store.claim("k", 10)
    assert await store.count("n", 10) == 1
    assert await store.count("n", 10) == 2
    assert await store.put_if_absent("v", "first", 10) is None
    clock.now += 11  # all three expired: each is taken over afresh
    assert await store.claim("k", 10)
    assert await store.count("n", 10) == 1
    assert await store.put_if_absent("v", "second", 10) is None
    assert await store.put_if_absent("v", "third", 10) == "second"
    clock.now += 1000  # long expired: the next write purges them
    assert await store.claim("fresh", 10)
    with sqlite_ledger_engine.connect() as db:
        assert len(db.execute(select(call_ledger.c.key)).all()) == 1


async def test_an_unreachable_redis_is_reported_not_hung() -> None:
    store = RedisLedger.from_url("redis://127.0.0.1:1/0", timeout_s=0.5)
    try:
        with pytest.raises(LedgerUnavailable):
            await store.claim("k", 10)
    finally:
        await store.aclose()


async def test_the_service_uses_redis_when_configured(
    make_server: Any, fake_twilio: FakeTwilio, redis_url: str
) -> None:
    server = make_server(redis_url=redis_url)
    assert isinstance(server.telephony.ledger, RedisLedger)
    sim = simulator(server, fake_twilio)
    try:
        params = sim.call_params("ringing")
        answers = await asyncio.gather(*(sim.post_webhook(sim.voice_url, params) for _ in range(5)))
        assert len({a.content for a in answers}) == 1 and answers[0].status_code == 200
    finally:
        await sim.aclose()
    assert [c["id"] for c in server.admin("/api/calls")] == [sim.call_sid]


# -- item 3: webhook bodies ---------------------------------------------------------------------

WEBHOOKS = ["/twilio/voice", "/twilio/status", "/twilio/relay-action", "/twilio/recording"]


async def test_odd_webhook_bodies_are_refused_before_parsing_and_leave_nothing(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server(max_webhook_bytes=4096)
    params = voice_params("CA" + "c" * 32, fake_twilio)
    form = "application/x-www-form-urlencoded"

    async def huge() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"Body=" + b"x" * 1024 + b"&"

    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        for path in WEBHOOKS:
            sig = signed(fake_twilio, path, params)
            answers = {
                "multipart": await http.post(
                    path, data=params, files={"file": ("x.bin", b"\0" * 2048)}, headers=sig
                ),
                "json": await http.post(path, json=params, headers=sig),
                "no type": await http.post(path, content=b"CallSid=CA1", headers=sig),
                "declared too big": await http.post(
                    path, content=b"a=" + b"x" * 5000, headers={**sig, "Content-Type": form}
                ),
                "streamed too big": await http.post(
                    path, content=huge(), headers={**sig, "Content-Type": form}
                ),
                "not utf-8": await http.post(
                    path, content=b"CallSid=\xff\xfe", headers={**sig, "Content-Type": form}
                ),
                "bad escape": await http.post(
                    path, content=b"CallSid=%ff%fe", headers={**sig, "Content-Type": form}
                ),
                "not a form": await http.post(
                    path, content=b"<xml>hello</xml>", headers={**sig, "Content-Type": form}
                ),
                "too many fields": await http.post(
                    path, content=b"&".join([b"a=1"] * 500), headers={**sig, "Content-Type": form}
                ),
                "unsigned": await http.post(path, data=params),
            }
            codes = {name: answer.status_code for name, answer in answers.items()}
            assert codes == {
                "multipart": 415,
                "json": 415,
                "no type": 415,
                "declared too big": 413,
                "streamed too big": 413,
                "not utf-8": 400,
                "bad escape": 400,
                "not a form": 400,
                "too many fields": 400,
                "unsigned": 403,
            }, path
    assert server.admin("/api/calls") == []
    assert server.admin("/api/messages") == []


async def test_a_form_with_a_charset_still_works(make_server: Any, fake_twilio: FakeTwilio) -> None:
    server = make_server()
    params = voice_params("CA" + "d" * 32, fake_twilio)
    headers = {
        **signed(fake_twilio, "/twilio/voice", params),
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    }
    from urllib.parse import urlencode

    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        answer = await http.post("/twilio/voice", content=urlencode(params), headers=headers)
    assert answer.status_code == 200 and "<ConversationRelay" in answer.text


# -- item 4: a voice webhook answers a call once ------------------------------------------------


async def test_a_replayed_voice_webhook_gets_the_same_twiml_and_one_record(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server()
    sim = simulator(server, fake_twilio)
    try:
        params = sim.call_params("ringing")
        together = await asyncio.gather(
            *(sim.post_webhook(sim.voice_url, params) for _ in range(10))
        )
        later = await sim.post_webhook(sim.voice_url, params)
        bodies = {answer.content for answer in [*together, later]}
        assert [a.status_code for a in together] == [200] * 10 and len(bodies) == 1
        # The one answer's token still opens the first socket (the simulator posts once more).
        greeting = await sim.start()
        assert "Harbourside Physio" in greeting and sim.twiml.encode() in bodies
        assert await sim.say("What are your opening hours on Saturday?") != ""
        assert await sim.hang_up() == 204
    finally:
        await sim.aclose()
    calls = server.admin("/api/calls")
    assert [c["id"] for c in calls] == [sim.call_sid]
    with server.diary.engine.connect() as db:
        stored = db.execute(select(call_ledger.c.value)).scalars().all()
    assert not any(value and sim.parameters["token"] in value for value in stored)


# -- item 5: no constant signing secret; docs off in production --------------------------------


def test_outside_development_start_refuses_without_a_real_auth_token() -> None:
    ready = {
        "slot_secret": "s" * 32,
        "public_base_url": PUBLIC,
    }
    with pytest.raises(ValidationError, match="TWILIO_AUTH_TOKEN"):
        Settings(environment="production", **ready)
    with pytest.raises(ValidationError, match="TWILIO_AUTH_TOKEN"):
        Settings(environment="production", twilio_auth_token="short", **ready)
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(environment="production", twilio_auth_token="development-twilio-auth-token",
                 **ready)  # fmt: skip
    with pytest.raises(ValidationError, match="test needs TWILIO_AUTH_TOKEN"):
        Settings(environment="test")
    assert Settings(environment="production", twilio_auth_token="t" * 32, **ready)


def test_the_development_token_is_random_per_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("RECEPTIONIST_TWILIO_AUTH_TOKEN", raising=False)
    first, second = Settings(environment="development"), Settings(environment="development")
    assert first.random_auth_token and second.random_auth_token
    assert first.webhook_auth_token == first.webhook_auth_token  # fixed for one start
    assert first.webhook_auth_token != second.webhook_auth_token
    assert len(first.webhook_auth_token) >= 32
    assert "development-twilio-auth-token" not in (first.webhook_auth_token,)
    with caplog.at_level(logging.WARNING, logger="receptionist.app"):
        announce_development_token(first)
        announce_development_token(Settings(environment="development", twilio_auth_token="x" * 20))
    [said] = caplog.records
    assert "random development token" in said.getMessage()
    assert f"--auth-token {first.webhook_auth_token}" in said.getMessage()


def test_receptionist_call_asks_for_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("RECEPTIONIST_TWILIO_AUTH_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["call", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "--auth-token" in result.output


@pytest.mark.parametrize(
    ("environment", "api_docs", "served"),
    [("production", None, False), ("production", True, True), ("test", None, True)],
)
async def test_api_docs_are_off_in_production_unless_enabled(
    make_server: Any, environment: str, api_docs: bool | None, served: bool
) -> None:
    server = make_server(environment=environment, api_docs=api_docs, twilio_auth_token="t" * 32)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        codes = [(await http.get(p)).status_code for p in ("/docs", "/redoc", "/openapi.json")]
        assert (await http.get("/healthz")).status_code == 200
    assert codes == ([200] * 3 if served else [404] * 3)


# -- item 10 (voice): the clinic cannot be opened at the first ring -----------------------------


def clinic_down(tmp_path: Path, transfer_number: str | None = None) -> str:
    """A clinics file whose one clinic keeps its diary in a PMS nobody answers for (Cliniko's
    adapter, pointed at a port where nothing listens): a clinic down at the first ring."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again at once: connections are refused
    clinics = tmp_path / "clinics.yaml"
    transfer = f"    transfer_number: '{transfer_number}'\n" if transfer_number else ""
    clinics.write_text(
        "clinics:\n  - key: harbourside\n    numbers: ['+61 2 5550 1234']\n" + transfer
        + "    pms:\n      adapter: cliniko\n      settings:\n"
        + f"        api_key: key-au1\n        base_url: 'http://127.0.0.1:{port}'\n",
        encoding="utf-8",
    )  # fmt: skip
    return str(clinics)


async def test_a_clinic_down_at_the_first_ring_still_records_the_call_and_takes_a_voicemail(
    make_server: Any, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    server = make_server(clinics_file=clinic_down(tmp_path), pms_open_timeout=1.0)
    sim = simulator(server, fake_twilio)
    try:
        with caplog.at_level(logging.DEBUG):
            said = await sim.start()
        assert said.startswith("Sorry, I can't reach the clinic's diary right now.")
        assert "<Record" in sim.twiml and "/twilio/recording" in sim.twiml
        assert "token" not in sim.twiml
        await sim.leave_message(duration=7)
    finally:
        await sim.aclose()
    record = server.admin(f"/api/calls/{sim.call_sid}")
    assert record["caller_number"] == OLIVIA
    assert any("ClinicUnavailable" in error for error in record["errors"])
    [voicemail] = server.admin("/api/messages")
    assert voicemail["call_id"] == sim.call_sid and voicemail["recording_url"]
    assert OLIVIA not in caplog.text and OLIVIA[1:] not in caplog.text


async def test_a_clinic_down_with_a_transfer_number_puts_the_caller_through(
    make_server: Any, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    clinics = clinic_down(tmp_path, transfer_number="+61 2 5550 4321")
    server = make_server(clinics_file=clinics, pms_open_timeout=1.0)
    sim = simulator(server, fake_twilio)
    try:
        said = await sim.start()
        assert said.startswith("Sorry, I can't reach the clinic's diary right now.")
        assert sim.dialed == "+61255504321"
        replay = await sim.post_webhook(sim.voice_url, sim.call_params("ringing"))
        assert replay.text == sim.twimls[0]
    finally:
        await sim.aclose()
    [call] = server.admin("/api/calls")
    assert call["id"] == sim.call_sid and call["clinic"] == "harbourside"
