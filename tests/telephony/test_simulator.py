"""The call simulator itself, against a small stand-in server that checks what Twilio would send.

The stand-in validates every webhook's `X-Twilio-Signature` over the public URL (as the real
service does behind a proxy), records what arrives, and answers with scripted behaviours chosen
by what the caller says.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response, WebSocket, WebSocketDisconnect
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, Dial, VoiceResponse

from receptionist.telephony.simulator import (
    CallSimulator,
    SimulatorError,
    forged_voice_post,
    run_interactive,
    sign,
)

pytestmark = pytest.mark.anyio

PUBLIC = "https://clinic.example.com"
AUTH_TOKEN = "stand-in-auth-token"
ACCOUNT = "AC" + "1" * 32
CALLER = "+61412345678"
CLINIC = "+61255501234"
UNKNOWN = "+61299999999"
NO_ACTION = "+61255500000"
TRANSFER_TO = "+61255504321"
GREETING = "Thanks for calling Harbourside Physio. How can I help?"
WS_IMPLEMENTATION = "websockets-sansio"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Seen:
    """What the stand-in received."""

    forms: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    ws_signature_ok: list[bool] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)

    def clear(self) -> None:
        self.forms.clear()
        self.refused.clear()
        self.ws_signature_ok.clear()
        self.received.clear()

    def form(self, path: str) -> dict[str, str]:
        [found] = [form for seen_path, form in self.forms if seen_path == path]
        return found

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("type") == kind]


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), media_type="application/xml")


def stand_in(seen: Seen) -> FastAPI:
    app = FastAPI()
    validator = RequestValidator(AUTH_TOKEN)

    async def signed_form(request: Request) -> dict[str, str] | None:
        form = await request.form()
        query = f"?{request.url.query}" if request.url.query else ""
        url = PUBLIC + request.url.path + query
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not validator.validate(url, form, signature):
            seen.refused.append(request.url.path)
            return None
        fields = {key: str(value) for key, value in form.items()}
        seen.forms.append((request.url.path, fields))
        return fields

    @app.post("/twilio/voice")
    async def voice(request: Request) -> Response:
        form = await signed_form(request)
        if form is None:
            return Response(status_code=403)
        response = VoiceResponse()
        if form["To"] == UNKNOWN:
            response.say("Sorry, this number is not set up to take calls. Goodbye.")
            response.hangup()
            return twiml(response)
        action = None if form["To"] == NO_ACTION else f"{PUBLIC}/twilio/relay-action"
        connect = Connect(action=action) if action else Connect()
        relay = connect.conversation_relay(
            url="wss://clinic.example.com/twilio/relay",
            welcome_greeting=GREETING,
            language="en-AU",
            interruptible="any",
            dtmf_detection=True,
        )
        relay.parameter(name="token", value=f"token-for-{form['CallSid']}")
        response.append(connect)
        if action is None:
            response.say("The verbs after Connect run instead.")
            response.hangup()
        return twiml(response)

    @app.websocket("/twilio/relay")
    async def relay(websocket: WebSocket) -> None:
        signature = websocket.headers.get("x-twilio-signature", "")
        seen.ws_signature_ok.append(
            validator.validate("wss://clinic.example.com/twilio/relay", {}, signature)
        )
        await websocket.accept()
        digits = ""
        try:
            async for raw in websocket.iter_text():
                message = json.loads(raw)
                seen.received.append(message)
                if message["type"] == "prompt" and message["last"]:
                    if await behave(websocket, message["voicePrompt"]) == "closed":
                        return
                elif message["type"] == "dtmf":
                    digits += message["digit"]
                    if digits.endswith("#"):
                        await reply(websocket, ["You entered ", digits[:-1], "."])
                        digits = ""
        except WebSocketDisconnect:
            pass

    @app.post("/twilio/relay-action")
    async def relay_action(request: Request) -> Response:
        form = await signed_form(request)
        if form is None:
            return Response(status_code=403)
        handoff = json.loads(form.get("HandoffData") or "{}")
        response = VoiceResponse()
        if handoff.get("reason") == "transfer":
            response.say("Putting you through now.")
            dial = Dial(answer_on_bridge=True)
            dial.number(handoff["to"], url=f"{PUBLIC}/twilio/whisper?call={form['CallSid']}")
            response.append(dial)
            response.say("Nobody answered.")
        elif handoff.get("reason") == "voicemail":
            response.say("Please leave a message after the tone.")
            response.record(action="/twilio/recording", max_length=120, play_beep=True)
        elif handoff.get("reason") == "hangup":
            response.hangup()
        else:
            response.say("Sorry, we've been disconnected.")
            response.hangup()
        return twiml(response)

    @app.post("/twilio/recording")
    async def recording(request: Request) -> Response:
        if await signed_form(request) is None:
            return Response(status_code=403)
        response = VoiceResponse()
        response.say("Your message has been saved. Goodbye.")
        response.hangup()
        return twiml(response)

    @app.post("/twilio/status")
    async def status(request: Request) -> Response:
        if await signed_form(request) is None:
            return Response(status_code=403)
        return Response(status_code=204)

    return app


async def reply(websocket: WebSocket, tokens: list[str]) -> None:
    for token in tokens:
        await websocket.send_text(json.dumps({"type": "text", "token": token, "last": False}))
    await websocket.send_text(json.dumps({"type": "text", "token": "", "last": True}))


async def end(websocket: WebSocket, handoff: dict[str, Any]) -> None:
    await websocket.send_text(json.dumps({"type": "end", "handoffData": json.dumps(handoff)}))


STREAMED = ["Hel", "lo", ",  wor", "ld! ", "", " Two\nlines "]


async def behave(websocket: WebSocket, said: str) -> str | None:
    if said == "stream":
        await reply(websocket, STREAMED)
    elif said == "transfer":
        await reply(websocket, ["I'll put you ", "through."])
        await end(websocket, {"reason": "transfer", "to": TRANSFER_TO})
    elif said == "voicemail":
        await end(websocket, {"reason": "voicemail"})
    elif said == "bye":
        await reply(websocket, ["Bye!"])
        await end(websocket, {"reason": "hangup"})
    elif said == "garbage":
        await websocket.send_text("not json")
        await websocket.send_text(json.dumps({"type": "bogus"}))
        await websocket.send_text(json.dumps({"type": "text", "token": 5, "last": False}))
        await websocket.send_text(json.dumps({"type": "play", "source": "https://x/hold.mp3"}))
        await reply(websocket, ["Still ", "here."])
    elif said == "long":
        await websocket.send_text(
            json.dumps({"type": "text", "token": "Your next ", "last": False})
        )
        await websocket.send_text(
            json.dumps({"type": "text", "token": "opening is", "last": False})
        )
    elif said == "close":
        await websocket.close(code=1000)
        return "closed"
    elif said != "silence":
        await reply(websocket, ["You said: ", said])
    return None


@dataclass
class StandIn:
    url: str
    seen: Seen

    def simulator(self, **options: Any) -> CallSimulator:
        values: dict[str, Any] = {
            "public_base_url": PUBLIC,
            "account_sid": ACCOUNT,
            "caller": CALLER,
            "called": CLINIC,
            "timeout": 5.0,
            "end_grace": 0.1,
            "dtmf_wait": 0.3,
        }
        values.update(options)
        return CallSimulator(self.url, AUTH_TOKEN, **values)


@pytest.fixture(scope="module")
def running() -> Iterator[StandIn]:
    seen = Seen()
    config = uvicorn.Config(
        stand_in(seen),
        loop="asyncio",
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ws=WS_IMPLEMENTATION,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield StandIn(f"http://127.0.0.1:{port}", seen)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def server(running: StandIn) -> StandIn:
    running.seen.clear()
    return running


async def test_the_call_is_signed_over_the_public_url_and_setup_carries_the_token(
    server: StandIn,
) -> None:
    async with server.simulator() as sim:
        assert sim.call_sid.startswith("CA") and len(sim.call_sid) == 34
        assert await sim.start() == GREETING
        assert sim.greeting == GREETING and sim.transcript == [("agent", GREETING)]
        assert sim.relay_url == "wss://clinic.example.com/twilio/relay"
        assert sim.action_url == f"{PUBLIC}/twilio/relay-action"
        assert sim.language == "en-AU" and sim.parameters == {"token": f"token-for-{sim.call_sid}"}
        await sim.say("hello")  # the setup has surely arrived once a prompt is answered

    form = server.seen.form("/twilio/voice")
    assert form == {
        "AccountSid": ACCOUNT,
        "ApiVersion": "2010-04-01",
        "CallSid": sim.call_sid,
        "CallStatus": "ringing",
        "Called": CLINIC,
        "Caller": CALLER,
        "Direction": "inbound",
        "From": CALLER,
        "To": CLINIC,
    }
    assert server.seen.ws_signature_ok == [True] and server.seen.refused == []
    [setup] = server.seen.of_type("setup")
    assert server.seen.received[0] is setup
    assert setup["customParameters"] == {"token": f"token-for-{sim.call_sid}"}
    assert (setup["callSid"], setup["accountSid"]) == (sim.call_sid, ACCOUNT)
    assert (setup["from"], setup["to"], setup["direction"]) == (CALLER, CLINIC, "inbound")
    assert setup["sessionId"].startswith("VX")


async def test_forged_or_missing_signatures_are_refused(server: StandIn) -> None:
    params = {"CallSid": "CA" + "f" * 32, "AccountSid": ACCOUNT, "From": CALLER, "To": CLINIC}
    forged = await forged_voice_post(server.url, params)
    missing = await forged_voice_post(server.url, params, signature=None)
    wrong_token = sign("not-the-token", f"{PUBLIC}/twilio/voice", params)
    wrong_url = sign(AUTH_TOKEN, f"{server.url}/twilio/voice", params)  # the private URL
    async with server.simulator() as sim:
        by_token = await sim.post_webhook(f"{PUBLIC}/twilio/voice", params, auth_token="nope")
        assert by_token.status_code == 403
    statuses = [forged.status_code, missing.status_code]
    for signature in (wrong_token, wrong_url):
        statuses.append(
            (await forged_voice_post(server.url, params, signature=signature)).status_code
        )
    assert statuses == [403, 403, 403, 403]
    assert len(server.seen.refused) == 5 and server.seen.forms == []
    assert sign(AUTH_TOKEN, f"{PUBLIC}/twilio/voice", params) == RequestValidator(
        AUTH_TOKEN
    ).compute_signature(f"{PUBLIC}/twilio/voice", params)


async def test_a_prompt_and_its_reply(server: StandIn) -> None:
    async with server.simulator() as sim:
        await sim.start()
        assert await sim.say("I'd like to book") == "You said: I'd like to book"
        assert await sim.say("thanks", partial=True) == "You said: thanks"
        assert (await sim.say("see you on Tuesday then", partial=True)).endswith("then")
    prompts = server.seen.of_type("prompt")
    assert prompts[0] == {
        "type": "prompt",
        "voicePrompt": "I'd like to book",
        "lang": "en-AU",
        "last": True,
    }
    assert prompts[1]["voicePrompt"] == "thanks"  # one word: no partials to send
    assert [(p["voicePrompt"], p["last"]) for p in prompts[2:]] == [
        ("see you", False),
        ("see you on", False),
        ("see you on Tuesday then", True),
    ]
    assert sim.transcript[1:3] == [
        ("caller", "I'd like to book"),
        ("agent", "You said: I'd like to book"),
    ]
    assert len(sim.spoken) == 3 and sim.spoken[0].text == "You said: I'd like to book"
    assert sim.spoken[0].at <= sim.spoken[1].at
    assert sim.last_latency is not None and 0 <= sim.last_latency < 5
    assert not sim.ended and sim.errors == []


async def test_streamed_tokens_are_joined_exactly_as_sent(server: StandIn) -> None:
    async with server.simulator() as sim:
        await sim.start()
        assert await sim.say("stream") == "".join(STREAMED) == "Hello,  world!  Two\nlines "


async def test_end_follows_the_action_url_and_records_the_dial(server: StandIn) -> None:
    async with server.simulator() as sim:
        await sim.start()
        assert await sim.say("transfer") == "I'll put you through."
        assert sim.ended
        assert sim.handoff == {"reason": "transfer", "to": TRANSFER_TO}
        assert sim.dialed == TRANSFER_TO
        assert sim.dial_url == f"{PUBLIC}/twilio/whisper?call={sim.call_sid}"
        assert sim.said == ["Putting you through now."]  # nothing after <Dial> runs
        assert "<Dial" in sim.twiml and sim.twimls[-1] == sim.twiml
        with pytest.raises(SimulatorError, match="ended"):
            await sim.say("hello?")
        assert await sim.hang_up() == 204
    action = server.seen.form("/twilio/relay-action")
    assert action["HandoffData"] == json.dumps({"reason": "transfer", "to": TRANSFER_TO})
    assert action["CallSid"] == sim.call_sid and action["CallStatus"] == "in-progress"
    assert action["SessionId"] == sim.session_id and action["SessionStatus"] == "ended"
    assert server.seen.refused == []


async def test_end_right_after_a_reply_is_followed_too(server: StandIn) -> None:
    async with server.simulator() as sim:
        await sim.start()
        assert await sim.say("bye") == "Bye!"
        assert sim.ended and sim.handoff == {"reason": "hangup"}
        assert sim.dialed is None and sim.said == [] and "<Hangup" in sim.twiml


async def test_a_voicemail_hand_off_and_the_message(server: StandIn) -> None:
    async with server.simulator() as sim:
        await sim.start()
        assert await sim.say("voicemail") == ""  # `end` came instead of a reply
        assert sim.ended and sim.handoff == {"reason": "voicemail"}
        assert sim.recording_action == f"{PUBLIC}/twilio/recording"  # resolved, as Twilio does
        assert await sim.leave_message(duration=7) == "Your message has been saved. Goodbye."
        assert sim.recording_action is None
        with pytest.raises(SimulatorError, match="no <Record>"):
            await sim.leave_message()
    recording = server.seen.form("/twilio/recording")
    assert recording["RecordingDuration"] == "7" and recording["RecordingUrl"].startswith(
        "https://"
    )


async def test_the_server_closing_the_socket_asks_the_action_url_without_handoff(
    server: StandIn,
) -> None:
    async with server.simulator() as sim:
        await sim.start()
        assert await sim.say("close") == ""
        assert sim.ended and sim.handoff is None and sim.close_code == 1000
        assert sim.said == ["Sorry, we've been disconnected."]
    action = server.seen.form("/twilio/relay-action")
    assert "HandoffData" not in action and action["SessionStatus"] == "completed"


async def test_without_an_action_url_the_verbs_after_connect_run(server: StandIn) -> None:
    async with server.simulator(called=NO_ACTION) as sim:
        await sim.start()
        assert sim.action_url is None
        await sim.say("bye")
        assert sim.ended and sim.said == ["The verbs after Connect run instead."]
    assert [path for path, _ in server.seen.forms] == ["/twilio/voice"]


async def test_a_rejected_call_says_and_hangs_up(server: StandIn) -> None:
    async with server.simulator(called=UNKNOWN) as sim:
        said = await sim.start()
        assert said == "Sorry, this number is not set up to take calls. Goodbye."
        assert sim.ended and sim.greeting is None and "<Hangup" in sim.twiml
        assert sim.transcript == [] and sim.said == [said]
        with pytest.raises(SimulatorError, match="ended"):
            await sim.say("hello?")
        assert await sim.hang_up() == 204
    assert server.seen.ws_signature_ok == []


async def test_hang_up_posts_a_signed_status_callback(server: StandIn) -> None:
    async with server.simulator() as sim:
        await sim.start()
        await sim.say("hello")
        assert await sim.hang_up() == 204
        assert sim.ended
        assert await sim.post_status("completed") == 204  # a replay
        wrong = await sim.post_webhook(
            f"{PUBLIC}/twilio/status", sim.call_params("completed"), auth_token="nope"
        )
        assert wrong.status_code == 403
    statuses = [form for path, form in server.seen.forms if path == "/twilio/status"]
    assert len(statuses) == 2
    first = statuses[0]
    assert first["CallSid"] == sim.call_sid and first["CallStatus"] == "completed"
    assert first["CallDuration"].isdigit() and first["From"] == CALLER
    assert [s["SequenceNumber"] for s in statuses] == ["0", "1"]


async def test_interrupt_message_and_what_the_caller_heard(server: StandIn) -> None:
    async with server.simulator() as sim:
        await sim.start()
        await sim.prompt("long")
        assert await sim.receive_token() == "Your next "
        assert await sim.receive_token() == "opening is"
        await sim.interrupt("Your next", duration_ms=460)
        assert await sim.say("hello") == "You said: hello"
        assert sim.interrupts == [server.seen.of_type("interrupt")[0]]
    assert server.seen.of_type("interrupt") == [
        {
            "type": "interrupt",
            "utteranceUntilInterrupt": "Your next",
            "durationUntilInterruptMs": 460,
        }
    ]
    assert sim.transcript[1:] == [
        ("caller", "long"),
        ("agent", "Your next"),
        ("caller", "hello"),
        ("agent", "You said: hello"),
    ]


async def test_keypad_digits(server: StandIn) -> None:
    async with server.simulator() as sim:
        await sim.start()
        assert await sim.press("1") == ""  # no reply within the short wait
        assert await sim.press("2#") == "You entered 12."
        with pytest.raises(ValueError):
            await sim.press("x")
    assert [m["digit"] for m in server.seen.of_type("dtmf")] == ["1", "2", "#"]
    assert server.seen.of_type("dtmf")[0] == {"type": "dtmf", "digit": "1"}


async def test_malformed_server_messages_are_reported_and_skipped(server: StandIn) -> None:
    async with server.simulator() as sim:
        await sim.start()
        assert await sim.say("garbage") == "Still here."
        assert len(sim.errors) == 3
        assert "not JSON" in sim.errors[0] and "unknown type 'bogus'" in sim.errors[1]
        assert "string token" in sim.errors[2]
        assert sim.events == [{"type": "play", "source": "https://x/hold.mp3"}]


async def test_an_unresponsive_server_fails_the_call_quickly(server: StandIn) -> None:
    async with server.simulator(timeout=0.3) as sim:
        await sim.start()
        started = time.monotonic()
        with pytest.raises(SimulatorError, match="no tokens of the reply to 'silence'"):
            await sim.say("silence")
        assert time.monotonic() - started < 2


async def test_a_server_that_is_not_there_fails_clearly() -> None:
    sim = CallSimulator("http://127.0.0.1:9", AUTH_TOKEN, public_base_url=PUBLIC, timeout=2)
    async with sim:
        with pytest.raises(SimulatorError, match="request failed"):
            await sim.start()


def test_public_urls_map_onto_the_real_server() -> None:
    sim = CallSimulator("http://127.0.0.1:8000/", AUTH_TOKEN, public_base_url=PUBLIC + "/")
    assert sim.voice_url == f"{PUBLIC}/twilio/voice"
    assert sim.real_url(f"{PUBLIC}/twilio/voice") == "http://127.0.0.1:8000/twilio/voice"
    assert sim.real_url("wss://clinic.example.com/twilio/relay") == (
        "ws://127.0.0.1:8000/twilio/relay"
    )
    assert sim.real_url(f"{PUBLIC}/a?b=c") == "http://127.0.0.1:8000/a?b=c"
    assert sim.real_url("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000/x"
    with pytest.raises(SimulatorError, match="not under the public base URL"):
        sim.real_url("https://clinic.example.com.evil.net/twilio/voice")
    tls = CallSimulator("https://tunnel.example.net", AUTH_TOKEN, public_base_url=PUBLIC)
    assert tls.real_url("wss://clinic.example.com/r") == "wss://tunnel.example.net/r"


async def test_run_interactive_with_scripted_input(server: StandIn) -> None:
    lines = iter(["hello", "#12#", "transfer", "never read"])
    prompts: list[str] = []
    out: list[str] = []

    async def read(prompt: str) -> str | None:
        prompts.append(prompt)
        return next(lines)

    async with server.simulator() as sim:
        await run_interactive(sim, read, out.append)
    assert out == [
        f"Receptionist: {GREETING}",
        "Receptionist: You said: hello",
        "Receptionist: You entered 12.",
        "Receptionist: I'll put you through.",
        "[Twilio says] Putting you through now.",
        f"[Twilio dials {TRANSFER_TO}]",
        "[call ended; the status callback answered HTTP 204]",
    ]
    assert prompts == ["You: "] * 3
    assert server.seen.form("/twilio/status")["CallStatus"] == "completed"


async def test_run_interactive_hangs_up_on_an_empty_line(server: StandIn) -> None:
    out: list[str] = []

    async def read(prompt: str) -> str | None:
        await asyncio.sleep(0)
        return None

    async with server.simulator(called=UNKNOWN) as rejected:
        await run_interactive(rejected, read, out.append)
    assert out == [
        "[Twilio says] Sorry, this number is not set up to take calls. Goodbye.",
        "[call ended; the status callback answered HTTP 204]",
    ]
    out.clear()
    async with server.simulator() as sim:
        await run_interactive(sim, read, out.append)
    assert out[0] == f"Receptionist: {GREETING}" and out[-1].endswith("HTTP 204]")
    assert sim.ended and len(server.seen.of_type("prompt")) == 0
