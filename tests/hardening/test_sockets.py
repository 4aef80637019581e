"""Issue 15, items 1, 6, 7, 10 and 11 on the two call sockets: nothing upstream opens before
the token is checked; frames no Twilio call sends end that call cleanly (record kept, worker
fine); utterances are capped; a cut reply is on record; a hang-up is quiet and orderly."""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from receptionist.telephony.simulator import CallSimulator
from tests.fakes.openai_realtime import (
    AfterAudioMs,
    AfterClientEvent,
    Audio,
    FakeRealtimeServer,
    Script,
)
from tests.fakes.twilio_media import MediaStreamCall
from tests.fakes.twilio_rest import FakeTwilio
from tests.telephony.conftest import CLINIC_NUMBER, OLIVIA, PUBLIC, Server, simulator
from tests.telephony.test_media_calls import place_call, post_as_twilio, wait_for

pytestmark = pytest.mark.anyio

GREETING = "Thanks for calling Harbourside Physio"
ROOT = Path(__file__).resolve().parents[2]


def greet(ms: int = 200) -> AfterClientEvent:
    return AfterClientEvent("response.create", respond=Audio(ms=ms, transcript=GREETING))


@pytest.fixture
def realtime(
    make_server: Any, realtime_clinic: Path
) -> Iterator[tuple[Server, FakeRealtimeServer]]:
    fake = FakeRealtimeServer(lambda: Script([greet()]), pace=0)
    fake.start()
    server = make_server(
        clinics_file=str(realtime_clinic),
        openai_api_key="test",
        openai_websocket_base_url=fake.websocket_base_url,
        realtime_vad="server_vad",
    )
    try:
        yield server, fake
    finally:
        fake.stop()


class Uvicorn:
    """Everything logged at WARNING or above, including uvicorn's own loggers (which do not
    propagate to the root logger where caplog listens)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error")]

    def __enter__(self) -> pytest.LogCaptureFixture:
        for logger in self.loggers:
            logger.addHandler(self.caplog.handler)
        self.caplog.set_level(logging.WARNING)
        return self.caplog

    def __exit__(self, *exc: object) -> None:
        for logger in self.loggers:
            logger.removeHandler(self.caplog.handler)


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


# -- item 1: nothing upstream before the token ----------------------------------------------------


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param({"token": "forged.token"}, id="forged"),
        pytest.param({}, id="missing"),
        pytest.param({"token": ""}, id="empty"),
        pytest.param("not an object", id="not-an-object"),
    ],
)
async def test_no_realtime_session_opens_for_a_socket_without_a_good_token(
    realtime: tuple[Server, FakeRealtimeServer], parameters: Any
) -> None:
    server, fake = realtime
    stream = MediaStreamCall(server.url.replace("http://", "ws://") + "/twilio/media")
    stream.custom_parameters = parameters
    await stream.connect()
    await stream.wait_closed(within=10)
    assert stream.close_code == 1008
    await asyncio.sleep(0.3)
    assert fake.sessions == []  # not one Realtime connection: no OpenAI money spent
    assert server.admin("/api/calls") == []


async def test_a_replayed_media_token_opens_no_second_realtime_session(
    realtime: tuple[Server, FakeRealtimeServer], fake_twilio: FakeTwilio
) -> None:
    server, fake = realtime
    first = await place_call(server, fake_twilio)
    await first.wait_for_media(1, within=10)
    thief = MediaStreamCall(
        server.url.replace("http://", "ws://") + "/twilio/media",
        call_sid=first.call_sid,
        custom_parameters=first.custom_parameters,
    )
    await thief.connect()
    await thief.wait_closed(within=10)
    assert thief.close_code == 1008
    await asyncio.sleep(0.3)
    assert len(fake.sessions) == 1 and not fake.sessions[0].closed  # the first call goes on
    await first.stop()
    await first.close()


# -- item 6: frames no Twilio call sends ----------------------------------------------------------

BAD_FRAMES = [
    pytest.param(b"\x00\x01binary", 1003, id="binary"),
    pytest.param("x" * (70 * 1024), 1009, id="oversize"),
    pytest.param("{not json", 1003, id="garbage"),
    pytest.param("[1, 2, 3]", 1003, id="not-an-object"),
    pytest.param('{"no": "type"}', 1003, id="no-type"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_FRAMES)
async def test_a_bad_relay_frame_ends_that_call_cleanly_and_keeps_its_record(
    make_server: Any,
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    frame: str | bytes,
    code: int,
) -> None:
    server = make_server()
    sim = simulator(server, fake_twilio)
    with Uvicorn(caplog):
        try:
            await sim.start()
            assert await sim.say("What are your opening hours?")
            ws = sim._ws
            assert ws is not None
            await ws.send(frame)
            await asyncio.wait_for(ws.wait_closed(), 10)
            assert ws.close_code == code
        finally:
            await sim.aclose()
        await wait_for(lambda: server.admin(f"/api/calls/{sim.call_sid}")["ended_at"] is not None)
    record = server.admin(f"/api/calls/{sim.call_sid}")
    assert [t["role"] for t in record["transcript"]][:3] == ["agent", "caller", "agent"]
    assert any("call ended" in e for e in record["errors"])
    assert tracebacks(caplog) == []
    ended = [r for r in caplog.records if "call ended" in r.getMessage()]
    assert len(ended) == 1  # logged once
    # The worker is fine: the next call is answered as usual.
    second = simulator(server, fake_twilio)
    try:
        assert await second.start()
        assert await second.say("What are your opening hours?")
    finally:
        await second.aclose()


@pytest.mark.parametrize(("frame", "code"), BAD_FRAMES)
async def test_a_bad_media_frame_ends_that_call_cleanly_and_keeps_its_record(
    realtime: tuple[Server, FakeRealtimeServer],
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    frame: str | bytes,
    code: int,
) -> None:
    server, fake = realtime
    with Uvicorn(caplog):
        call = await place_call(server, fake_twilio)
        await call.wait_for_media(1, within=10)
        ws = call._ws
        assert ws is not None
        await ws.send(frame)
        await call.wait_closed(within=10)
        assert call.close_code == code
        await call.close()
        await wait_for(lambda: fake.sessions[0].closed)
        await wait_for(lambda: server.admin(f"/api/calls/{call.call_sid}")["ended_at"] is not None)
    record = server.admin(f"/api/calls/{call.call_sid}")
    assert record["transcript"][0]["text"].startswith(GREETING)
    assert any("call ended" in e for e in record["errors"])
    assert tracebacks(caplog) == []
    assert len([r for r in caplog.records if "call ended" in r.getMessage()]) == 1
    second = await place_call(server, fake_twilio)
    await second.wait_for_media(1, within=10)  # the worker still serves calls
    await second.stop()
    await second.close()


@pytest.mark.parametrize(
    "start",
    [
        pytest.param({"event": "start", "start": "not an object"}, id="payload-a-string"),
        pytest.param({"event": "start", "start": [1, 2]}, id="payload-a-list"),
        pytest.param({"event": "start"}, id="no-payload"),
        pytest.param({"event": "media", "media": {"payload": "AAAA"}}, id="media-first"),
    ],
)
async def test_a_start_that_is_not_a_start_is_refused_with_nothing_opened(
    realtime: tuple[Server, FakeRealtimeServer], start: dict[str, Any]
) -> None:
    server, fake = realtime
    loop = asyncio.get_running_loop()
    async with connect(server.url.replace("http://", "ws://") + "/twilio/media") as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await ws.send(json.dumps(start))
        started = loop.time()
        await asyncio.wait_for(ws.wait_closed(), 10)
        assert ws.close_code == 1008 and loop.time() - started < 5
    assert fake.sessions == [] and server.admin("/api/calls") == []


# -- item 7: utterances capped, and one abusive caller costs the others nothing -------------------


async def test_a_huge_utterance_is_cut_and_the_drop_is_noted(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server(max_utterance_chars=200)
    sim = simulator(server, fake_twilio)
    try:
        await sim.start()
        assert await sim.say("hello " * 5000)  # 30,000 characters, in a 30 KB frame
        await sim.hang_up()
    finally:
        await sim.aclose()
    record = server.admin(f"/api/calls/{sim.call_sid}")
    said = [t["text"] for t in record["transcript"] if t["role"] == "caller"]
    assert len(said) == 1 and len(said[0]) <= 200
    assert any("characters dropped" in e for e in record["errors"])


async def timed_turns(sim: CallSimulator, turns: int) -> list[float]:
    """Milliseconds from each prompt to the reply's first token (what a caller waits for), at
    the pace of someone talking (no faster than the relay answers anyone)."""
    taken = []
    for _ in range(turns):
        await asyncio.sleep(0.4)
        await sim.prompt("What are your opening hours?")
        started = time.perf_counter()
        assert await sim.receive_token()
        taken.append((time.perf_counter() - started) * 1000)
        assert await sim.reply()
    return taken


async def test_an_abusive_caller_adds_almost_nothing_to_another_calls_turns(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server()
    calm = simulator(server, fake_twilio)
    try:
        await calm.start()
        await timed_turns(calm, 3)  # warm
        alone = await timed_turns(calm, 12)
        abuser = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.hardening.abuser", server.url, fake_twilio.auth_token,
            fake_twilio.account_sid, PUBLIC, OLIVIA, CLINIC_NUMBER, "30",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert abuser.stdout is not None
            word, _, call_sid = (await asyncio.wait_for(abuser.stdout.readline(), 30)).partition(
                b" "
            )
            assert word == b"flooding"
            await asyncio.sleep(1.0)  # past its first burst: the pace it keeps from here on
            beside = await timed_turns(calm, 12)
        finally:
            abuser.kill()
            await abuser.wait()
        # Its hang-up ends its call at once, however much it had queued up.
        params = {"CallSid": call_sid.strip().decode(), "AccountSid": fake_twilio.account_sid}
        params |= {"CallStatus": "completed", "CallDuration": "30"}
        answer = await post_as_twilio(server, fake_twilio, "/twilio/status", params)
        assert answer.status_code == 204
        await wait_for(lambda: len(server.telephony.live) == 1, within=5)
    finally:
        await calm.aclose()
    added = statistics.median(beside) - statistics.median(alone)
    print(f"median turn alone {statistics.median(alone):.1f} ms, beside an abuser +{added:.1f} ms")
    assert added < 5.0


# -- item 10: every turn on record as it happens; a cut reply on record as cut --------------------


async def test_a_prompt_that_supersedes_a_reply_keeps_both_turns_and_marks_the_cut(
    make_server: Any, fake_twilio: FakeTwilio, fake_model: Any
) -> None:
    from tests.fakes.openai_chat import Turn

    server = make_server(
        engine="openai", openai_api_key="test", openai_base_url=fake_model.base_url, llm_timeout=5
    )
    sim = simulator(server, fake_twilio)
    try:
        await sim.start()
        fake_model.push(
            Turn(text="We have street parking on Crown Street and more.", stall_after_chunks=2)
        )
        await sim.prompt("Where can I park?")
        assert await sim.receive_token()
        fake_model.clear()
        fake_model.push(Turn(text="Sure, what else can I help with?"))
        assert await sim.say("Actually, never mind that") == "Sure, what else can I help with?"
        # On record while the call is still live, not only at its end.
        live = server.admin(f"/api/calls/{sim.call_sid}")["transcript"]
        await sim.hang_up()
    finally:
        await sim.aclose()
    turns = [(t["role"], t["text"]) for t in live]
    assert turns[1] == ("caller", "Where can I park?")
    assert turns[2][0] == "agent" and turns[2][1].endswith("[interrupted]")
    assert turns[3:] == [
        ("caller", "Actually, never mind that"),
        ("agent", "Sure, what else can I help with?"),
    ]


async def test_a_media_call_is_on_record_turn_by_turn(
    realtime: tuple[Server, FakeRealtimeServer], fake_twilio: FakeTwilio
) -> None:
    server, fake = realtime
    fake.script = lambda: Script(
        [
            greet(),
            AfterAudioMs(
                100, speech_started=True, speech_stopped=True, transcript="Where can I park?",
                respond=Audio(ms=200, transcript="There is street parking."),
            ),
        ]
    )  # fmt: skip
    call = await place_call(server, fake_twilio)
    await call.wait_for_media(1, within=10)
    await call.send_audio(300)

    def on_record() -> bool:
        transcript = server.admin(f"/api/calls/{call.call_sid}")["transcript"]
        return [t["role"] for t in transcript] == ["agent", "caller", "agent"]

    await wait_for(on_record)  # before the call ends
    assert server.admin(f"/api/calls/{call.call_sid}")["ended_at"] is None
    await call.stop()
    await call.close()


# -- item 11: a hang-up ends the call quietly and in order -----------------------------------------


async def test_a_status_callback_ends_a_relay_call_quietly(
    make_server: Any, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server()
    sim = simulator(server, fake_twilio)
    with Uvicorn(caplog):
        try:
            await sim.start()
            assert await sim.say("What are your opening hours?")
            assert await sim.post_status("completed") == 204
            ws = sim._ws
            assert ws is not None
            await asyncio.wait_for(ws.wait_closed(), 10)
        finally:
            await sim.aclose()
        await wait_for(lambda: len(server.telephony.live) == 0)
    assert tracebacks(caplog) == []
    record = server.admin(f"/api/calls/{sim.call_sid}")
    assert record["status"] == "completed" and record["ended_at"] is not None
    assert [t["role"] for t in record["transcript"]] == ["agent", "caller", "agent"]


async def test_a_status_callback_ends_a_media_call_quietly(
    realtime: tuple[Server, FakeRealtimeServer],
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, fake = realtime
    with Uvicorn(caplog):
        call = await place_call(server, fake_twilio)
        await call.wait_for_media(1, within=10)
        params = {"CallSid": call.call_sid, "AccountSid": fake_twilio.account_sid}
        params |= {"CallStatus": "completed", "CallDuration": "4"}
        answer = await post_as_twilio(server, fake_twilio, "/twilio/status", params)
        assert answer.status_code == 204
        await call.wait_closed(within=10)
        await call.close()
        await wait_for(lambda: fake.sessions[0].closed)
        await wait_for(lambda: len(server.telephony.live) == 0)
    assert tracebacks(caplog) == []
    record = server.admin(f"/api/calls/{call.call_sid}")
    assert record["status"] == "completed" and record["ended_at"] is not None
