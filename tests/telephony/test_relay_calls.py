"""Phone calls end to end: the simulator behaves as Twilio towards the running service, over
real HTTP and websockets; SMS and call control land at a fake Twilio REST API."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import websockets
from twilio.request_validator import RequestValidator

from pms_adapters.types import PatientQuery, Window
from receptionist.telephony.simulator import CallSimulator
from tests.conftest import DEMO_NOW
from tests.fakes.twilio_rest import FakeTwilio
from tests.telephony.conftest import CLINIC_NUMBER, OLIVIA, PUBLIC, Server, simulator

pytestmark = pytest.mark.anyio

BOOKING = [
    "Hi, I'd like to book a follow-up with Sarah tomorrow morning",
    "Olivia Smith, 14 March 1988",
    "The first one please",
    "Yes please",
]


async def appointments_of(server: Server, name: str, dob: str) -> list[Any]:
    from datetime import date

    pms = server.telephony.directory._open["demo"].pms
    patient = (
        await pms.find_patients(PatientQuery(name=name, date_of_birth=date.fromisoformat(dob)))
    )[0]
    window = Window(starts_at=DEMO_NOW, ends_at=DEMO_NOW + timedelta(days=60))
    return await pms.appointments(patient.id, window)


async def test_a_call_books_texts_and_leaves_a_record(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server()
    sim = simulator(server, fake_twilio)
    try:
        greeting = await sim.start()
        assert "Harbourside Physio" in greeting
        fake_twilio.add_call(sim.call_sid)
        before = len(await appointments_of(server, "Olivia Smith", "1988-03-14"))
        replies = [await sim.say(line) for line in BOOKING]
        assert replies[-1].startswith("You're booked in")
        goodbye = await sim.say("No that's all, thanks")
        assert "Bye" in goodbye and sim.ended
        assert await sim.hang_up() == 204
    finally:
        await sim.aclose()
    await server.telephony.drain()

    after = await appointments_of(server, "Olivia Smith", "1988-03-14")
    assert len(after) == before + 1
    [sms] = fake_twilio.messages
    assert sms["To"] == OLIVIA and sms["From"] == "Harbourside"
    assert "Physiotherapy follow-up with Sarah Chen is booked for Tue 3 Mar" in sms["Body"]

    record = server.admin(f"/api/calls/{sim.call_sid}")
    assert record["outcome"] == "booked" and record["status"] == "completed"
    assert record["mode"] == "relay" and record["engines"] == ["guided"]
    assert record["caller_number"] == OLIVIA
    said = [(t["role"], t["text"]) for t in record["transcript"]]
    assert said[0] == ("agent", greeting) and said[1] == ("caller", BOOKING[0])
    assert all(t["latency_ms"] is not None for t in record["transcript"][2::2])
    names = [c["name"] for c in record["tool_calls"]]
    assert names[:2] == ["identify_caller", "find_availability"]
    assert names.count("book_appointment") == 2  # the read-back, then the confirmed write
    assert record["notifications"][0]["kind"] == "sms"
    listed = server.admin("/api/calls")
    assert [c["id"] for c in listed] == [sim.call_sid]


async def test_a_forged_webhook_gets_403_and_leaves_nothing(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server()
    params = {
        "CallSid": "CA" + "f" * 32,
        "AccountSid": fake_twilio.account_sid,
        "From": OLIVIA,
        "To": CLINIC_NUMBER,
        "CallStatus": "ringing",
    }
    forged = RequestValidator("not-the-auth-token").compute_signature(
        f"{PUBLIC}/twilio/voice", params
    )
    async with httpx.AsyncClient(base_url=server.url) as http:
        bad = await http.post("/twilio/voice", data=params, headers={"X-Twilio-Signature": forged})
        missing = await http.post("/twilio/voice", data=params)
        status = await http.post(
            "/twilio/status", data={**params, "CallStatus": "completed"},
            headers={"X-Twilio-Signature": forged},
        )  # fmt: skip
    assert (bad.status_code, missing.status_code, status.status_code) == (403, 403, 403)
    assert server.admin("/api/calls") == []


async def test_a_replayed_status_callback_leaves_one_record(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server()
    sim = simulator(server, fake_twilio)
    try:
        await sim.start()
        await sim.say("What are your opening hours on Saturday?")
        assert await sim.hang_up() == 204
        assert await sim.post_status("completed") == 204
        assert await sim.post_status("completed") == 204
    finally:
        await sim.aclose()
    calls = server.admin("/api/calls")
    assert len(calls) == 1 and calls[0]["status"] == "completed"
    assert calls[0]["outcome"] == "info"


async def test_hanging_up_mid_booking_writes_nothing_and_is_abandoned(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server()
    sim = simulator(server, fake_twilio)
    try:
        await sim.start()
        before = len(await appointments_of(server, "Olivia Smith", "1988-03-14"))
        for line in BOOKING[:3]:  # offered, chosen, read back... and then the caller hangs up
            await sim.say(line)
        assert await sim.hang_up() == 204
    finally:
        await sim.aclose()
    for _ in range(50):  # the socket's own close races the status callback; both must agree
        record = server.admin(f"/api/calls/{sim.call_sid}")
        if record["ended_at"] and record["transcript"][-1]["role"] == "agent":
            break
        await asyncio.sleep(0.05)
    assert len(await appointments_of(server, "Olivia Smith", "1988-03-14")) == before
    assert record["outcome"] == "abandoned"
    assert fake_twilio.messages == []


async def test_asking_for_a_person_transfers_with_a_whisper(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server()
    sim = simulator(server, fake_twilio)
    try:
        await sim.start()
        reply = await sim.say("Can I speak to someone at the front desk please?")
        assert "put you through" in reply
        assert sim.handoff == {"reason": "transfer", "to": "+61255504321"}
        assert sim.dialed == "+61255504321"
        assert 'url="https://clinic.example.com/twilio/whisper?call=' in sim.twiml
        await sim.hang_up()
    finally:
        await sim.aclose()
    assert server.admin(f"/api/calls/{sim.call_sid}")["outcome"] == "transferred"


async def test_the_socket_refuses_a_missing_or_forged_token(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server()
    ws_url = server.url.replace("http://", "ws://") + "/twilio/relay"
    for parameters in ({}, {"token": "forged.token"}):
        async with websockets.connect(ws_url) as socket:
            await socket.send(
                json.dumps(
                    {
                        "type": "setup",
                        "callSid": "CA" + "a" * 32,
                        "from": OLIVIA,
                        "to": CLINIC_NUMBER,
                        "customParameters": parameters,
                    }
                )
            )
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert server.admin("/api/calls") == []


async def test_unknown_number_hears_a_polite_message(
    make_server: Any, fake_twilio: FakeTwilio, tmp_path: Any
) -> None:
    clinics = tmp_path / "clinics.yaml"
    clinics.write_text(
        "clinics:\n  - key: harbourside\n    numbers: ['+61 2 5550 1234']\n", encoding="utf-8"
    )
    server = make_server(clinics_file=str(clinics))
    sim = CallSimulator(
        server.url, fake_twilio.auth_token, public_base_url=PUBLIC, called="+61299999999"
    )
    try:
        said = await sim.start()
        assert "not set up" in said and sim.ended and "<Hangup" in sim.twiml
    finally:
        await sim.aclose()
    assert server.admin("/api/calls") == []


async def test_admin_api_needs_the_token(make_server: Any) -> None:
    server = make_server()
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/calls")).status_code == 401
        wrong = await http.get("/api/calls", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
    off = make_server(admin_token=None)
    async with httpx.AsyncClient(base_url=off.url) as http:
        assert (await http.get("/api/calls")).status_code == 404


async def test_the_openai_engine_over_relay_streams_and_hands_over_on_failure(
    make_server: Any, fake_twilio: FakeTwilio, fake_model: Any
) -> None:
    from receptionist.agent.conversation import HANDOVER
    from tests.fakes.openai_chat import ToolCall, Turn

    server = make_server(
        engine="openai", openai_api_key="test", openai_base_url=fake_model.base_url, llm_timeout=3
    )
    sim = simulator(server, fake_twilio)
    try:
        await sim.start()
        fake_model.push(
            Turn(tool_calls=[ToolCall("clinic_info", {"topic": "parking"})]),
            Turn(text="There's two-hour street parking on Crown Street, and a paid car park."),
        )
        reply = await sim.say("Is there parking?")
        assert reply.startswith("There's two-hour street parking")
        assert fake_model.requests[0]["messages"][1]["content"] == sim.greeting
        fake_model.push(Turn(status=500))
        reply = await sim.say("What are your hours on Saturday?")
        assert reply.startswith(HANDOVER) and "8 am" in reply
        await sim.hang_up()
    finally:
        await sim.aclose()
    record = server.admin(f"/api/calls/{sim.call_sid}")
    assert record["engines"] == ["openai", "guided"]
    assert [c["name"] for c in record["tool_calls"]] == ["clinic_info", "clinic_info"]


async def test_an_interruption_keeps_only_what_the_caller_heard(
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
            Turn(
                text="We have street parking on Crown Street and a car park on Foveaux Street.",
                stall_after_chunks=3,
            )
        )
        await sim.prompt("Where can I park?")
        first = await sim.receive_token()
        assert first
        await sim.interrupt("We have street parking", duration_ms=700)
        await asyncio.sleep(0.3)  # tokens already on the wire land (Twilio drops them too)
        fake_model.clear()
        fake_model.push(Turn(text="Sure, what else can I help with?"))
        reply = await sim.say("Actually, never mind that")
        assert reply == "Sure, what else can I help with?"
        history = fake_model.requests[-1]["messages"]
        assert {"role": "assistant", "content": "We have street parking"} in history
        await sim.hang_up()
    finally:
        await sim.aclose()
    record = server.admin(f"/api/calls/{sim.call_sid}")
    agent = [t["text"] for t in record["transcript"] if t["role"] == "agent"]
    assert "We have street parking [interrupted]" in agent


async def test_a_voicemail_is_recorded_and_kept_for_staff(
    make_server: Any, fake_twilio: FakeTwilio, fake_model: Any
) -> None:
    from tests.fakes.openai_chat import ToolCall, Turn

    server = make_server(
        engine="openai", openai_api_key="test", openai_base_url=fake_model.base_url
    )
    sim = simulator(server, fake_twilio)
    try:
        await sim.start()
        fake_model.push(
            Turn(
                tool_calls=[
                    ToolCall(
                        "take_message",
                        {"caller_name": "Olivia", "message": "voicemail", "voicemail": True},
                    )
                ]
            ),
            Turn(text="Sure, you can record your message after the tone."),
        )
        await sim.say("Can I just leave a voicemail for Sarah?")
        assert sim.handoff == {"reason": "voicemail"}
        assert sim.recording_action is not None
        said = await sim.leave_message(duration=9)
        assert "saved" in said
        await sim.hang_up()
    finally:
        await sim.aclose()
    messages = server.admin("/api/messages")
    recordings = [m for m in messages if m["recording_url"]]
    assert len(recordings) == 1 and recordings[0]["callback_number"] == OLIVIA
    assert server.admin(f"/api/calls/{sim.call_sid}")["outcome"] == "message"


async def test_a_retried_voice_webhook_makes_one_record(
    make_server: Any, fake_twilio: FakeTwilio
) -> None:
    server = make_server()
    params = {
        "CallSid": "CA" + "b" * 32,
        "AccountSid": fake_twilio.account_sid,
        "From": OLIVIA,
        "To": CLINIC_NUMBER,
        "CallStatus": "ringing",
    }
    signature = RequestValidator(fake_twilio.auth_token).compute_signature(
        f"{PUBLIC}/twilio/voice", params
    )
    async with httpx.AsyncClient(base_url=server.url) as http:
        for _ in range(3):
            answer = await http.post(
                "/twilio/voice", data=params, headers={"X-Twilio-Signature": signature}
            )
            assert answer.status_code == 200 and "<ConversationRelay" in answer.text
    calls = server.admin("/api/calls")
    assert [c["id"] for c in calls] == [params["CallSid"]]
