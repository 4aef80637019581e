"""Media Streams bridged to OpenAI Realtime, end to end: a fake Twilio media client sending
real 20 ms mu-law frames at real-time pace, the service on a real port, and a fake Realtime
server driven by a script, reached through the `openai` library."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from receptionist.telephony.simulator import sign
from tests.conftest import DEMO_NOW
from tests.fakes.openai_realtime import (
    AfterAudioMs,
    AfterClientEvent,
    AfterDelay,
    Audio,
    FakeRealtimeServer,
    FunctionCall,
    Script,
)
from tests.fakes.twilio_media import MediaStreamCall
from tests.fakes.twilio_rest import FakeTwilio
from tests.telephony.conftest import CLINIC_NUMBER, OLIVIA, PUBLIC, Server

pytestmark = pytest.mark.anyio

GREETING = "Thanks for calling Harbourside Physio"
# The service's own websocket class (frames handled where they are parsed), and plain uvicorn
# websockets (every frame through ASGI), which any other ASGI server would give the bridge.
WS_PATHS = [pytest.param(None, id="direct"), pytest.param("websockets-sansio", id="asgi")]


def greet(ms: int = 400, **audio: Any) -> AfterClientEvent:
    return AfterClientEvent("response.create", respond=Audio(ms=ms, transcript=GREETING, **audio))


def caller(text: str, respond: Any, ms: float = 100) -> AfterAudioMs:
    return AfterAudioMs(
        ms, speech_started=True, speech_stopped=True, transcript=text, respond=respond
    )


def after_tools(text: str, ms: int = 300) -> AfterClientEvent:
    return AfterClientEvent("response.create", respond=Audio(ms=ms, transcript=text))


@pytest.fixture
def start_realtime(
    make_server: Any, realtime_clinic: Path
) -> Iterator[Callable[..., tuple[Server, FakeRealtimeServer]]]:
    fakes: list[FakeRealtimeServer] = []

    def start(
        script: Any, ws: str | None = None, **fake_options: Any
    ) -> tuple[Server, FakeRealtimeServer]:
        fake = FakeRealtimeServer(script, pace=0, **fake_options)
        fake.start()
        fakes.append(fake)
        server = make_server(
            **({"ws": ws} if ws else {}),
            clinics_file=str(realtime_clinic),
            openai_api_key="test",
            openai_websocket_base_url=fake.websocket_base_url,
            realtime_vad="server_vad",
        )
        return server, fake

    yield start
    for fake in fakes:
        fake.stop()


async def place_call(
    server: Server, twilio: FakeTwilio, caller_number: str = OLIVIA
) -> MediaStreamCall:
    """Ring the service as Twilio does, then open its media stream."""
    call_sid = "CA" + secrets.token_hex(16)
    params = {
        "CallSid": call_sid,
        "AccountSid": twilio.account_sid,
        "From": caller_number,
        "To": CLINIC_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    signature = sign(twilio.auth_token, f"{PUBLIC}/twilio/voice", params)
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await http.post(
            "/twilio/voice", data=params, headers={"X-Twilio-Signature": signature}
        )
    assert answer.status_code == 200, answer.text
    assert '<Stream url="wss://clinic.example.com/twilio/media">' in answer.text
    found = dict(re.findall(r'<Parameter name="(\w+)" value="([^"]*)"', answer.text))
    stream = MediaStreamCall(
        server.url.replace("http://", "ws://") + "/twilio/media",
        call_sid=call_sid,
        custom_parameters=found,
    )
    await stream.connect()
    return stream


async def post_as_twilio(
    server: Server, twilio: FakeTwilio, path: str, params: dict[str, str]
) -> httpx.Response:
    """A webhook request signed as Twilio signs it (over the public URL)."""
    signature = sign(twilio.auth_token, f"{PUBLIC}{path}", params)
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.post(path, data=params, headers={"X-Twilio-Signature": signature})


async def appointments_of(server: Server, name: str, born: str) -> int:
    """Straight from the diary (the service's own loop runs in another thread)."""
    diary = server.diary
    clinic = diary.clinics()[0]
    match = diary.find_patients(clinic.id, name=name, date_of_birth=date.fromisoformat(born))[0]
    end = DEMO_NOW + timedelta(days=60)
    return len(diary.patient_appointments(clinic.id, match.patient.id, DEMO_NOW, end))


async def wait_for(predicate: Callable[[], bool], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("ws", WS_PATHS)
async def test_a_booking_by_voice(
    start_realtime: Any, fake_twilio: FakeTwilio, ws: str | None
) -> None:
    script = Script(
        [
            greet(),
            caller(
                "Hi, this is Olivia Smith, born 14 March 1988. A follow-up with Sarah tomorrow"
                " morning please.",
                [
                    FunctionCall(
                        "identify_caller",
                        {"full_name": "Olivia Smith", "date_of_birth": "14 March 1988"},
                    ),
                    FunctionCall(
                        "find_availability",
                        {
                            "appointment_type": "follow-up",
                            "practitioner": "Sarah",
                            "when": "tomorrow morning",
                        },
                    ),
                ],
            ),
            after_tools("I have 10 or 10:15 tomorrow morning with Sarah."),
            caller("The first one please", FunctionCall("book_appointment", {"slot": "s1"})),
            after_tools("A follow-up with Sarah tomorrow at 10. Is that right?"),
            caller(
                "Yes please",
                FunctionCall("book_appointment", {"slot": "s1", "confirmed": True}),
            ),
            after_tools("You're booked in for tomorrow at 10."),
        ]
    )
    server, realtime = start_realtime(script, ws=ws)
    before = await appointments_of(server, "Olivia Smith", "1988-03-14")
    call = await place_call(server, fake_twilio)
    for _ in range(3):
        await call.wait_for_media(1, within=10)
        await call.wait_until_played(within=10)
        await call.send_audio(200)
        await wait_for(lambda: len(realtime.sessions[0].function_outputs) >= 1)
    await wait_for(lambda: any(r.status == "completed" for r in realtime.sessions[0].responses[6:]))
    await call.wait_until_played(within=10)
    await call.stop()
    await server.telephony.drain()

    session = realtime.sessions[0]
    assert session.model == "gpt-realtime"
    configured = session.session
    assert configured["audio"]["input"]["format"]["type"] == "audio/pcmu"
    assert configured["audio"]["output"]["format"]["type"] == "audio/pcmu"
    assert {t["name"] for t in configured["tools"]} >= {"book_appointment", "find_availability"}
    assert "Harbourside Physio" in configured["instructions"]
    assert (
        session.audio_in_bytes == call.summary()["sent_media_bytes"]
        if "sent_media_bytes" in call.summary()
        else session.audio_in_bytes > 0
    )

    assert await appointments_of(server, "Olivia Smith", "1988-03-14") == before + 1
    await wait_for(lambda: server.admin(f"/api/calls/{call.call_sid}")["ended_at"] is not None)
    record = server.admin(f"/api/calls/{call.call_sid}")
    assert record["mode"] == "realtime" and record["outcome"] == "booked"
    assert record["engines"] == ["realtime"]
    names = [c["name"] for c in record["tool_calls"]]
    assert names == [
        "identify_caller", "find_availability", "book_appointment", "book_appointment",
    ]  # fmt: skip
    said = [t["text"] for t in record["transcript"] if t["role"] == "caller"]
    assert said[-1] == "Yes please"
    [sms] = fake_twilio.messages
    assert "Physiotherapy follow-up with Sarah Chen is booked for Tue 3 Mar" in sms["Body"]


@pytest.mark.parametrize("ws", WS_PATHS)
async def test_barge_in_clears_and_truncates_at_what_was_played(
    start_realtime: Any, fake_twilio: FakeTwilio, ws: str | None
) -> None:
    script = Script([greet(ms=3000, chunk_ms=100), AfterAudioMs(60, speech_started=True)])
    server, realtime = start_realtime(script, ws=ws)
    call = await place_call(server, fake_twilio)
    await call.wait_for_media(8 * 3000, within=10)  # all of it queued at Twilio
    await asyncio.sleep(0.8)  # about 800 ms of it played
    await call.send_audio(100)
    await wait_for(lambda: bool(realtime.sessions[0].truncations))
    await wait_for(lambda: call.clears == 1)
    [truncation] = realtime.sessions[0].truncations
    cleared_at = call.clear_times[0]
    acked = [
        int(name.rpartition(":")[2]) for at, name in call.marks_echoed
        if at < cleared_at and name.startswith(truncation.item_id)
    ]  # fmt: skip
    played_ms = max(acked) // 8  # what Twilio had confirmed as played when it was cleared
    assert truncation.content_index == 0
    # Exactly the played audio, or one 100 ms chunk less if the last echo crossed the clear.
    assert played_ms - 100 <= truncation.audio_end_ms <= played_ms
    assert 500 <= truncation.audio_end_ms <= 1500
    assert truncation.audio_end_ms < 3000  # never the audio sent, only what was heard
    await call.stop()


async def test_no_truncate_after_a_finished_reply(
    start_realtime: Any, fake_twilio: FakeTwilio
) -> None:
    script = Script([greet(ms=300), AfterAudioMs(60, speech_started=True)])
    server, realtime = start_realtime(script)
    call = await place_call(server, fake_twilio)
    await call.wait_for_media(8 * 300, within=10)
    await call.wait_until_played(within=10)
    await wait_for(lambda: not call.pending_marks)
    await call.send_audio(100)
    await wait_for(
        lambda: "input_audio_buffer.speech_started" in realtime.sessions[0].server_event_types()
    )
    await asyncio.sleep(0.3)
    assert realtime.sessions[0].truncations == []
    assert call.clears == 0
    await call.stop()


async def test_a_tool_call_in_a_cancelled_response_is_not_run(
    start_realtime: Any, fake_twilio: FakeTwilio
) -> None:
    message = FunctionCall("take_message", {"caller_name": "Olivia", "message": "call me"})
    script = Script(
        [
            greet(ms=200),
            caller("Take a message", [message, Audio(ms=2000, transcript="Sure...", pace=1.0)]),
            AfterAudioMs(60, speech_started=True),
        ]
    )
    server, realtime = start_realtime(script)
    call = await place_call(server, fake_twilio)
    await call.wait_until_played(within=10)
    await call.send_audio(100)
    await call.wait_for_media(8 * 500, within=10)
    await call.send_audio(100)
    await wait_for(lambda: any(r.status == "cancelled" for r in realtime.sessions[0].responses))
    await asyncio.sleep(0.3)
    assert realtime.sessions[0].function_outputs == []
    await call.stop()
    await wait_for(lambda: server.admin(f"/api/calls/{call.call_sid}")["ended_at"] is not None)
    record = server.admin(f"/api/calls/{call.call_sid}")
    assert record["tool_calls"] == [] and record["messages"] == []


async def test_two_calls_at_once_are_kept_apart(
    start_realtime: Any, fake_twilio: FakeTwilio
) -> None:
    def script() -> Script:
        return Script(
            [
                greet(ms=200),
                caller(
                    "What are your hours on Saturday?",
                    FunctionCall("clinic_info", {"topic": "Saturday hours"}),
                ),
                after_tools("Saturdays, eight till twelve."),
            ]
        )

    server, realtime = start_realtime(script)
    first, second = await asyncio.gather(
        place_call(server, fake_twilio, OLIVIA), place_call(server, fake_twilio, "+61413222901")
    )
    for call in (first, second):
        await call.wait_until_played(within=10)
    await asyncio.gather(first.send_audio(200), second.send_audio(200))
    await wait_for(
        lambda: len(realtime.sessions) == 2 and all(s.function_outputs for s in realtime.sessions)
    )
    await asyncio.gather(first.stop(), second.stop())
    for call, number in ((first, OLIVIA), (second, "+61413222901")):
        await wait_for(
            lambda c=call: server.admin(f"/api/calls/{c.call_sid}")["ended_at"] is not None
        )
        record = server.admin(f"/api/calls/{call.call_sid}")
        assert record["caller_number"] == number
        assert [c["name"] for c in record["tool_calls"]] == ["clinic_info"]
    assert first.call_sid != second.call_sid
    assert all(s.audio_in_bytes > 0 for s in realtime.sessions)


async def test_a_dropped_realtime_session_is_recovered_with_the_conversation(
    start_realtime: Any, fake_twilio: FakeTwilio
) -> None:
    connections = 0

    def script() -> Script:
        nonlocal connections
        connections += 1
        if connections == 1:
            return Script([greet(ms=200), AfterDelay(0.4, drop="abort")])
        return Script(
            [
                AfterClientEvent(
                    "response.create",
                    respond=Audio(ms=300, transcript="Sorry about that. How can I help?"),
                )
            ]
        )

    server, realtime = start_realtime(script)
    call = await place_call(server, fake_twilio)
    await wait_for(lambda: len(realtime.sessions) == 2, within=10)
    await wait_for(lambda: call.received_media_bytes >= 8 * 500, within=10)
    replayed = realtime.sessions[1].event_types()
    assert replayed[0] == "session.update"
    assert "conversation.item.create" in replayed and replayed[-1] == "response.create"
    await call.stop()
    await wait_for(lambda: server.admin(f"/api/calls/{call.call_sid}")["ended_at"] is not None)
    record = server.admin(f"/api/calls/{call.call_sid}")
    assert any("reconnecting" in e for e in record["errors"])


async def test_when_realtime_cannot_come_back_the_caller_is_handed_over(
    start_realtime: Any, fake_twilio: FakeTwilio
) -> None:
    server, realtime = start_realtime(Script([greet(ms=200), AfterDelay(0.3, drop="abort")]))
    call = await place_call(server, fake_twilio)
    await call.wait_for_media(1, within=10)
    realtime.refuse_connections = True
    await call.wait_closed(within=15)
    record = server.admin(f"/api/calls/{call.call_sid}")
    assert record["transfer_reason"] or record["voicemail_requested"]
    # Twilio now asks the <Connect> action what to do: a person (open now) or voicemail.
    params = {
        "CallSid": call.call_sid,
        "AccountSid": fake_twilio.account_sid,
        "CallStatus": "in-progress",
    }
    answer = await post_as_twilio(server, fake_twilio, "/twilio/relay-action", params)
    assert "<Dial" in answer.text or "<Record" in answer.text


async def test_a_bad_token_closes_the_stream_and_the_realtime_session(
    start_realtime: Any, fake_twilio: FakeTwilio
) -> None:
    server, realtime = start_realtime(Script([greet()]))
    stream = MediaStreamCall(
        server.url.replace("http://", "ws://") + "/twilio/media",
        custom_parameters={"token": "forged.token"},
    )
    await stream.connect()
    await stream.wait_closed(within=10)
    assert stream.close_code == 1008
    await asyncio.sleep(0.3)
    assert all(s.closed for s in realtime.sessions)
    assert server.admin("/api/calls") == []


async def test_a_transfer_closes_the_stream_after_the_goodbye_and_dials(
    start_realtime: Any, fake_twilio: FakeTwilio
) -> None:
    script = Script(
        [
            greet(ms=200),
            caller(
                "Can I talk to someone at the desk?",
                FunctionCall("transfer_to_human", {"reason": "caller asked for a person"}),
            ),
            after_tools("Of course, putting you through now.", ms=400),
        ]
    )
    server, realtime = start_realtime(script)
    call = await place_call(server, fake_twilio)
    await call.wait_until_played(within=10)
    await call.send_audio(200)
    await call.wait_closed(within=15)  # the goodbye played, then the stream was closed
    goodbye = realtime.sessions[0].responses[-1]
    assert goodbye.status == "completed"
    assert call.received_media_bytes >= 8 * (200 + 400) and not call.pending_marks
    params = {
        "CallSid": call.call_sid,
        "AccountSid": fake_twilio.account_sid,
        "CallStatus": "in-progress",
    }
    answer = await post_as_twilio(server, fake_twilio, "/twilio/relay-action", params)
    assert "<Dial" in answer.text and "+61255504321" in answer.text
    record = server.admin(f"/api/calls/{call.call_sid}")
    assert record["outcome"] == "transferred"


async def test_keypad_digits_reach_the_model_as_text(
    start_realtime: Any, fake_twilio: FakeTwilio
) -> None:
    server, realtime = start_realtime(Script([greet(ms=200)]))
    call = await place_call(server, fake_twilio)
    await call.wait_for_media(1, within=10)
    await call.wait_until_played(within=10)
    await call.send_dtmf("1")
    session = realtime.sessions[0]
    await wait_for(lambda: session.event_types().count("response.create") >= 2)
    items = [e for e in session.events if e.get("type") == "conversation.item.create"]
    assert items and "pressed 1" in items[-1]["item"]["content"][0]["text"]
    await call.stop()


async def test_the_realtime_session_closes_with_the_stream_or_the_status_callback(
    start_realtime: Any, fake_twilio: FakeTwilio
) -> None:
    server, realtime = start_realtime(lambda: Script([greet(ms=200)]))
    first = await place_call(server, fake_twilio)
    await first.wait_for_media(1, within=10)
    await first.stop()  # Twilio's `stop`
    await wait_for(lambda: realtime.sessions[0].closed)

    second = await place_call(server, fake_twilio)
    await second.wait_for_media(1, within=10)
    params = {
        "CallSid": second.call_sid,
        "AccountSid": fake_twilio.account_sid,
        "CallStatus": "completed",
        "CallDuration": "7",
    }
    answer = await post_as_twilio(server, fake_twilio, "/twilio/status", params)
    assert answer.status_code == 204
    await wait_for(lambda: realtime.sessions[1].closed)  # no session left behind
    record = server.admin(f"/api/calls/{second.call_sid}")
    assert record["status"] == "completed" and record["duration_s"] == 7
    await second.close()
