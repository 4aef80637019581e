"""A soak: many simulated calls against the real service while its PMS misbehaves.

The service runs as `receptionist serve` runs it (one uvicorn worker, in its own process,
pinned to CPU 0, the direct websocket class) with a clinics file of several ConversationRelay
clinics (the guided engine) and one Media Streams clinic (speech to speech through a fake
OpenAI Realtime server, in another process on CPU 1). Every clinic's PMS is the Cliniko adapter
pointed at the fake Cliniko (tests/fakes/cliniko, in this process, CPU 1), loaded with the demo
clinic around today and given one patient per simulated caller, so every write is traceable
to the call that made it.

N calls are placed over M minutes (at most `--concurrency` at once), a fixed mix of:

- relay calls that book (a new patient registers; an existing one identifies), cancel their
  one appointment, or leave a message: the caller answers whatever the receptionist asks;
- Media Streams calls: real-time caller audio, the fake model answers and reads availability;
- abusive callers: a 1 MB text frame, a binary frame, garbage JSON or a replayed call token
  on either socket, and sockets with no token at all. They must be refused or ended, and a
  valid call among them must keep its record.

Half the PMS-using calls get a fault injected into the fake Cliniko as they start: a 429, a
503, a request slower than the adapter's timeout, or a write that lands but whose answer is
lost (a hang or a 502). Afterwards the service's admin API and the fake's state are compared
with what the callers heard:

- `lost_records`: admitted calls with no call record, or whose record lost turns it had;
- `phantom_outcomes`: a caller told "booked"/"cancelled" with no such write in the PMS, or a
  write the caller was told had failed (writes the agent said it could not confirm are
  counted apart, as `unconfirmed_writes`);
- `duplicates`: the same patient registered twice, or the same booking made twice;
- `worker_restarts`: times the service process died (it is restarted and the soak goes on);
- `rss_growth_mb`: the service's VmRSS at the end minus after the first tenth of the calls;
- `p99_turn_ms`: caller's prompt to the first token of the reply, relay calls.

Run: `.venv/bin/python bench/soak.py --calls 100 --minutes 5 --concurrency 10`
(a quick check: `--calls 6 --minutes 0.2`). The last line is one JSON object; the service's
log is kept at $TMPDIR/soak_service.log.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import logging
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fakes live in tests/, which is not installed

from diary.seed import sydney_today  # noqa: E402
from receptionist.telephony.simulator import CallSimulator, SimulatorError, sign  # noqa: E402
from tests.fakes.cliniko import FakeCliniko, FakeClinikoServer, Fault  # noqa: E402
from tests.fakes.cliniko.demo import demo_clinic  # noqa: E402
from tests.fakes.openai_realtime import (  # noqa: E402
    AfterAudioMs,
    AfterFunctionOutput,
    Audio,
    FunctionCall,
    OnConnect,
    Script,
    serve_forever,
)
from tests.fakes.twilio_media import MediaStreamCall  # noqa: E402

AUTH_TOKEN = "soak-twilio-auth-token"
ADMIN_TOKEN = "soak-admin-token"
OPENAI_KEY = "soak-openai-key"
CLINIKO_KEY = "fake-cliniko-key-au1"
SLOT_SECRET = "soak-slot-secret-0123456789"
PUBLIC = "https://soak.example.com"
MEDIA_NUMBER = "+61255502000"
SYDNEY = ZoneInfo("Australia/Sydney")
ADAPTER_TIMEOUT = 2.0  # seconds per Cliniko request; the injected "timeouts" last longer
MAX_TURNS = 16

FIRST = (
    "Ben Chloe Daniel Emma Felix Georgia Harry Isla Jack Kate Liam Lucy Noah Ava Oscar Ruby "
    "Sophie Thomas Zoe Lucas Ethan Leo Amelia Henry Ella Samuel Lily Archie Matilda Hannah"
).split()
LAST = (
    "Carter Brown Wilson Taylor Anderson Thompson Walker Harris Martin Clarke Lewis Robinson "
    "Hughes Edwards Kelly Murphy Ryan Walsh Campbell Stewart Morris Cooper Ward Foster Gray "
    "Hayes Bennett Fraser Reid Turner"
).split()
# The order calls are placed in: the first six cover every kind, so a tiny run does too.
MIX = (
    "book media cancel abuse message existing book media abuse cancel book message media "
    "existing abuse book cancel media book abuse"
).split()
ABUSES = (
    "relay-oversize media-replay relay-binary no-token relay-garbage media-garbage relay-replay "
    "media-binary media-oversize"
).split()
FAULTS = ("lost-write", "429", "timeout", "503", "lost-write-502", "lost-cancel")

BOOKED = re.compile(r"\byou're booked in\b", re.IGNORECASE)
CANCELLED = re.compile(r"\bthat's cancelled\b", re.IGNORECASE)
UNCONFIRMED = re.compile(r"\bcouldn't confirm\b|\bwon't promise\b", re.IGNORECASE)
PASSED_ON = re.compile(r"\bpassed that on\b", re.IGNORECASE)


# -- who calls, and what they want -------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A caller: a name and birth date no other caller has, and their own number."""

    first: str
    last: str
    born: date
    phone: str

    @property
    def spoken(self) -> str:
        return f"{self.first} {self.last}, {self.born.day} {self.born:%B} {self.born.year}"


@dataclass
class CallPlan:
    index: int
    kind: str  # book, existing, cancel, message, media, or an abuse (relay-binary...)
    person: Person
    number: str
    fault: str | None = None
    appointment_id: str | None = None  # the appointment a cancel call is about


@dataclass
class CallResult:
    """What happened on one call, from the caller's side."""

    plan: CallPlan
    call_sid: str
    admitted: bool = False  # the service answered the call: a record must exist
    heard: list[str] = field(default_factory=list)
    caller_turns: int = 0  # caller turns the agent answered (each must be in the record)
    turn_ms: list[float] = field(default_factory=list)
    breach: str | None = None  # an abusive socket that was let in
    problem: str | None = None
    media_bytes: int = 0

    def said(self, pattern: re.Pattern[str]) -> bool:
        return any(pattern.search(text) for text in self.heard)


def plan_calls(count: int, relay_numbers: list[str], fault_rate: float) -> list[CallPlan]:
    """The calls, in order: the kinds cycle through MIX, abuses and faults through theirs."""
    plans: list[CallPlan] = []
    faults = 0
    rng = random.Random(15)
    for index in range(count):
        kind = MIX[index % len(MIX)]
        if kind == "abuse":
            kind = ABUSES[sum("-" in p.kind for p in plans) % len(ABUSES)]
        born = date(1950 + index % 55, 1 + index % 12, 1 + (index * 7) % 28)
        person = Person(
            FIRST[index % len(FIRST)],
            LAST[(index // len(FIRST) + index) % len(LAST)],
            born,
            f"+614{rng.randrange(10**7, 10**8)}",
        )
        relay_number = relay_numbers[index % len(relay_numbers)]
        number = MEDIA_NUMBER if kind.startswith("media") else relay_number
        plan = CallPlan(index, kind, person, number)
        if kind in ("book", "existing", "cancel") and faults < fault_rate * (index + 1):
            fault = FAULTS[faults % len(FAULTS)]
            if fault == "lost-cancel" and kind != "cancel":
                fault = "lost-write"
            plan.fault = fault
            faults += 1
        plans.append(plan)
    return plans


def prepare_fake(fake: FakeCliniko, plans: list[CallPlan], today: date) -> None:
    """Patients for the callers who already have one, and their appointment for cancels."""
    practitioner = next(p for p in fake.practitioners.values() if p.appointment_type_ids)
    kind = next(
        t
        for t in practitioner.appointment_type_ids
        if fake.appointment_types[t].show_in_online_bookings
    )
    for plan in plans:
        if plan.kind not in ("existing", "cancel"):
            continue
        who = plan.person
        national = "0" + who.phone[3:]
        patient = fake.add_patient(who.first, who.last, who.born, [national])
        if plan.kind == "cancel":
            day = today + timedelta(days=3 + plan.index % 4)
            starts = datetime.combine(day, clock_time(10), SYDNEY) + timedelta(
                minutes=15 * (plan.index % 24)
            )
            plan.appointment_id = fake.add_appointment(
                patient.id, practitioner.id, practitioner.business_ids[0], kind, starts
            ).id


def inject(fake: FakeCliniko, fault: str) -> None:
    """One fault into the fake Cliniko: it hits the next matching request, whoever sends it."""
    writes = r"^/(individual_appointments|patients)$"
    slow = ADAPTER_TIMEOUT + 1.0
    faults = {
        "429": Fault(status=429, reset_in=1.0),
        "503": Fault(method="GET", status=503),
        "timeout": Fault(method="GET", delay=slow),
        "lost-write": Fault(method="POST", path=writes, delay=slow, after=True),
        "lost-write-502": Fault(method="POST", path=writes, status=502, after=True),
        "lost-cancel": Fault(method="PATCH", path=r"/cancel$", delay=slow, after=True),
    }
    fake.inject(faults[fault])


# -- the caller's side of a relay conversation -------------------------------------------------


OPENERS = {
    "book": "Hello, I'd like to make an appointment please, I've never been before",
    "existing": "Hi, I'd like to book a follow-up appointment please",
    "cancel": "Hi, I can't make it to my appointment, can you cancel it?",
    "message": "I'd like to leave a message for the team please",
}


def answer(reply: str, plan: CallPlan, rng: random.Random) -> str | None:
    """What this caller says back to `reply` (None: nothing sensible, so hang up)."""
    said = reply.lower()
    if "pass on" in said:
        return "Please call me back about my appointment, thank you"
    if "date of birth" in said:
        return plan.person.spoken
    if "may i have your name" in said or "your name" in said:
        return f"{plan.person.first} {plan.person.last}"
    if "first visit" in said:
        return "Yes, it's my first visit"
    if "is that right" in said or "shall i" in said:
        return "Yes please"
    if "which would suit" in said or "which one" in said or "which suits" in said:
        return rng.choice(("The first one", "The second one", "The last one"))
    if "take a message" in said or "message for the team" in said:
        return "Yes please"
    if "what day" in said or "which day" in said or "other day" in said:
        return "As soon as possible"
    if "anything else" in said or "help with" in said:
        return "No, that's all, thanks. Bye"
    if "consultation" in said or "which type" in said or "massage" in said:
        return "An initial consultation please" if plan.kind == "book" else "A follow-up please"
    return None


async def think(rng: random.Random, pause: float) -> None:
    await asyncio.sleep(rng.uniform(0.3, 1.0) * pause)


async def relay_call(base: str, plan: CallPlan, fake: FakeCliniko, pause: float) -> CallResult:
    """A caller who wants `plan.kind` and answers whatever the receptionist asks."""
    sim = simulator(base, plan)
    result = CallResult(plan, sim.call_sid)
    rng = random.Random(plan.index)
    try:
        await sim.start()
        result.admitted = bool(sim.twimls)
        if plan.fault:
            inject(fake, plan.fault)
        line: str | None = OPENERS[plan.kind]
        for _ in range(MAX_TURNS):
            if line is None or sim.ended:
                break
            await think(rng, pause)
            before = len(sim.spoken)
            reply = await sim.say(line)
            if len(sim.spoken) > before and sim.last_latency is not None:
                result.turn_ms.append(sim.last_latency * 1000)
                result.caller_turns += 1
            line = answer(reply, plan, rng)
            if line is None and not sim.ended:
                result.problem = f"caller lost: {reply[:120]!r}"
    except Exception as exc:  # a finding about this call, not a reason to stop the soak
        result.problem = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        await hang_up(sim)
    result.heard = [text for role, text in sim.transcript if role == "agent"] + sim.said
    return result


def simulator(base: str, plan: CallPlan) -> CallSimulator:
    return CallSimulator(
        base,
        AUTH_TOKEN,
        public_base_url=PUBLIC,
        caller=plan.person.phone,
        called=plan.number,
        timeout=30.0,
    )


async def hang_up(sim: CallSimulator) -> None:
    with contextlib.suppress(SimulatorError):
        await sim.hang_up()
    await sim.aclose()


# -- abusive callers ---------------------------------------------------------------------------


def parameters(twiml: str) -> dict[str, str]:
    return dict(re.findall(r'<Parameter name="(\w+)" value="([^"]*)"', twiml))


async def first_answer(url: str, messages: Sequence[str | bytes], headers: dict[str, str]) -> str:
    """How the service treats a socket that sends `messages`: "refused" (closed before saying
    anything), "served" (it answered) or "hung" (neither, for 8 s)."""
    try:
        async with connect(url, additional_headers=headers, max_size=None, open_timeout=10) as ws:
            for message in messages:
                await ws.send(message)
            async with asyncio.timeout(8):
                await ws.recv()
                return "served"
    except (ConnectionClosed, InvalidHandshake, OSError):
        return "refused"
    except TimeoutError:
        return "hung"


async def misbehave(
    url: str, headers: dict[str, str], opening: Sequence[str | bytes], frame: str | bytes
) -> tuple[bool, bool]:
    """Open a call's socket with `opening`; once the service has answered, send `frame`.
    Returns whether it answered, and whether it then ended the call within 8 s."""
    try:
        async with connect(url, additional_headers=headers, max_size=None, open_timeout=10) as ws:
            for message in opening:
                await ws.send(message)
            async with asyncio.timeout(10):
                await ws.recv()
            await ws.send(frame)
            async with asyncio.timeout(8):
                async for _ in ws:
                    pass
            return True, True
    except ConnectionClosed:
        return True, True
    except TimeoutError:
        return True, False
    except (InvalidHandshake, OSError):
        return False, False


def relay_setup(sim: CallSimulator, custom: dict[str, str]) -> str:
    return json.dumps(
        {
            "type": "setup",
            "sessionId": "VX" + os.urandom(16).hex(),
            "callSid": sim.call_sid,
            "from": sim.caller,
            "to": sim.called,
            "direction": "inbound",
            "accountSid": sim.account_sid,
            "customParameters": custom,
        }
    )


def media_start(call_sid: str, custom: dict[str, str]) -> list[str | bytes]:
    stream = "MZ" + os.urandom(16).hex()
    start = {
        "event": "start",
        "sequenceNumber": "1",
        "streamSid": stream,
        "start": {
            "streamSid": stream,
            "callSid": call_sid,
            "accountSid": "AC" + "0" * 32,
            "tracks": ["inbound"],
            "customParameters": custom,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
    }
    connected = {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    return [json.dumps(connected), json.dumps(start)]


def prompt(text: str) -> str:
    return json.dumps({"type": "prompt", "voicePrompt": text, "lang": "en-US", "last": True})


ABUSIVE_FRAMES: dict[str, str | bytes] = {
    "oversize": prompt("blah " * 200_000),  # 1 MB
    "binary": os.urandom(4096),
    "garbage": '{"type": "prompt", "voicePrompt": "hel',
}


async def abusive_call(base: str, plan: CallPlan, pause: float) -> CallResult:
    """A valid call that then misbehaves on its own socket, a second socket replaying a live
    call's token, or a socket with no call behind it at all."""
    sim = simulator(base, plan)
    result = CallResult(plan, sim.call_sid)
    side, _, abuse = plan.kind.partition("-")
    ws_base = base.replace("http://", "ws://")
    try:
        if plan.kind == "no-token":
            if await first_answer(f"{ws_base}/twilio/relay", [relay_setup(sim, {})], {}) != (
                "refused"
            ):
                result.breach = "a relay socket without a token was not refused"
            return result
        if plan.kind == "relay-replay":
            await sim.start()
            result.admitted = True
            await sim.say("What are your opening hours?")
            assert sim.relay_url is not None
            header = {"X-Twilio-Signature": sign(AUTH_TOKEN, sim.relay_url, {})}
            replay = relay_setup(sim, sim.parameters)
            if await first_answer(sim.real_url(sim.relay_url), [replay], header) != "refused":
                result.breach = "a replayed relay token was not refused"
            await think(random.Random(plan.index), pause)
            await sim.say("And where do I park?")
            result.caller_turns = 2
            return result
        answered = await sim.post_webhook(sim.voice_url, sim.call_params("ringing"))
        result.admitted = answered.status_code == 200
        custom = parameters(answered.text)
        if side == "relay":
            url = re.search(r'<ConversationRelay[^>]*\burl="([^"]+)"', answered.text)
            assert url is not None, answered.text[:300]
            header = {"X-Twilio-Signature": sign(AUTH_TOKEN, url[1], {})}
            opening: list[str | bytes] = [
                relay_setup(sim, custom),
                prompt("What are your opening hours?"),
            ]
            target = sim.real_url(url[1])
        else:
            header, opening = {}, media_start(sim.call_sid, custom)
            target = f"{ws_base}/twilio/media"
        if abuse == "replay":
            async with media_session(ws_base, sim.call_sid, custom, seconds=3.0) as call:
                await asyncio.sleep(1.0)
                if await first_answer(target, opening, header) != "refused":
                    result.breach = "a replayed media token was not refused"
            result.media_bytes = call.received_media_bytes
            return result
        served, ended = await misbehave(target, header, opening, ABUSIVE_FRAMES[abuse])
        result.caller_turns = int(served and side == "relay")
        if not served:
            result.problem = f"the {side} call was not served before its {abuse} frame"
        elif not ended:
            result.problem = f"a {side} call that sent a {abuse} frame was not ended"
    except Exception as exc:  # a finding about this call, not a reason to stop the soak
        result.problem = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        await hang_up(sim)
    return result


@contextlib.asynccontextmanager
async def media_session(ws_base: str, call_sid: str, custom: dict[str, str], seconds: float) -> Any:
    call = MediaStreamCall(f"{ws_base}/twilio/media", call_sid=call_sid, custom_parameters=custom)
    await call.connect()
    sender = asyncio.create_task(call.send_audio(round(seconds * 1000), tone=True))
    try:
        yield call
        await sender
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        with contextlib.suppress(Exception):
            await call.stop()


async def media_call(base: str, plan: CallPlan, seconds: float) -> CallResult:
    """Twilio streaming a caller's audio; the fake model greets, checks availability, answers."""
    sim = simulator(base, plan)
    result = CallResult(plan, sim.call_sid)
    try:
        answer_ = await sim.post_webhook(sim.voice_url, sim.call_params("ringing"))
        result.admitted = answer_.status_code == 200
        ws_base = base.replace("http://", "ws://")
        async with media_session(ws_base, sim.call_sid, parameters(answer_.text), seconds) as call:
            pass
        result.media_bytes = call.received_media_bytes
        if not call.received_media_bytes:
            result.problem = "a media call heard nothing"
    except Exception as exc:  # a finding about this call, not a reason to stop the soak
        result.problem = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        await hang_up(sim)
    return result


def realtime_script() -> Script:
    """The fake model: greets, then per caller turn reads availability or the opening hours."""
    return Script(
        [
            OnConnect(respond=Audio(ms=800, transcript="Hello, Harbourside Physio.")),
            AfterAudioMs(600, speech_started=True),
            AfterAudioMs(
                400,
                speech_stopped=True,
                transcript="Any openings soon?",
                respond=FunctionCall(
                    "find_availability", {"appointment_type": "follow-up", "when": "asap"}
                ),
            ),
            AfterFunctionOutput(respond=Audio(ms=800, transcript="I have a few times.")),
            AfterAudioMs(600, speech_started=True),
            AfterAudioMs(
                400,
                speech_stopped=True,
                transcript="When do you open?",
                respond=FunctionCall("clinic_info", {"topic": "hours"}),
            ),
            AfterFunctionOutput(respond=Audio(ms=600, transcript="We open at seven.")),
        ],
        repeat_from=1,
    )


# -- the service and its process ---------------------------------------------------------------


def pinned(args: list[str], cpu: int) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > cpu:
        return ["taskset", "-c", str(cpu), *args]
    return args


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Service:
    """The service in its own process, restarted (and counted) if it dies."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.exits: list[int] = []

    async def start(self) -> None:
        args = [sys.executable, "-m", "uvicorn", "receptionist.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--ws", "receptionist.telephony.direct:DirectWebSocketProtocol",
                "--log-level", "warning", "--no-access-log"]  # fmt: skip
        process = await asyncio.to_thread(self._spawn, pinned(args, 0))
        self.process = process
        async with httpx.AsyncClient(timeout=1, trust_env=False) as http:
            for _ in range(300):
                if process.poll() is not None:
                    raise RuntimeError(f"the service exited at start; see {self.log}")
                with contextlib.suppress(httpx.HTTPError):
                    (await http.get(f"{self.base}/healthz")).raise_for_status()
                    return
                await asyncio.sleep(0.1)
        raise RuntimeError("the service did not become ready")

    def _spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        with self.log.open("a") as out:  # the child keeps its own copy of the descriptor
            return subprocess.Popen(
                args, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def watch(self) -> None:
        """Restart the service whenever it exits (the soak goes on; the restart is counted)."""
        while True:
            await asyncio.sleep(0.25)
            if self.process is not None and self.process.poll() is not None:
                self.exits.append(self.process.returncode)
                self.restarts += 1
                await self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def clinics_yaml(relay_numbers: list[str], cliniko_url: str) -> str:
    settings = json.dumps(
        {
            "base_url": cliniko_url,
            "timeout": ADAPTER_TIMEOUT,
            "write_settle_delay": 0.3,
            "max_rate_limit_wait": 5,
            "user_agent": "clinic-receptionist soak (soak@example.org)",
        }
    )
    secrets = '{"api_key": "SOAK_CLINIKO_KEY", "slot_secret": "SOAK_SLOT_SECRET"}'
    pms = f"    pms: {{adapter: cliniko, settings: {settings}, secrets: {secrets}}}\n"
    lines = ["clinics:\n"]
    for index, number in enumerate(relay_numbers):
        lines.append(f"  - key: relay-{index}\n    numbers: ['{number}']\n")
        lines.append(f"    mode: relay\n    engine: guided\n{pms}")
    lines.append(f"  - key: media\n    numbers: ['{MEDIA_NUMBER}']\n    mode: realtime\n{pms}")
    return "".join(lines)


# -- after the run: what the service recorded against what the callers heard --------------------


async def fetch_records(base: str, results: list[CallResult]) -> tuple[set[str], dict[str, Any]]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        listed = (await http.get("/api/calls", params={"limit": 500})).json()
        messages = (await http.get("/api/messages", params={"limit": 500})).json()
        records: dict[str, Any] = {"messages": {m["call_id"] for m in messages}}
        for result in results:
            if result.admitted:
                found = await http.get(f"/api/calls/{result.call_sid}")
                if found.status_code == 200:
                    records[result.call_sid] = found.json()
    return {c["id"] for c in listed}, records


def check(
    results: list[CallResult], listed: set[str], records: dict[str, Any], fake: FakeCliniko
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """The figures (see the module notes for what each counts), and each call's story."""
    figures: Counter[str] = Counter()
    with fake.lock:
        patients = list(fake.patients.values())
        appointments = list(fake.appointments.values())
        clashes = {a.id for a in appointments if fake.has_conflicts(a)}
    people = Counter((p.first_name, p.last_name, p.date_of_birth) for p in patients)
    figures["duplicates"] += sum(n - 1 for n in people.values() if n > 1)
    by_person: dict[tuple[str, str, date | None], set[str]] = {}
    for p in patients:
        by_person.setdefault((p.first_name, p.last_name, p.date_of_birth), set()).add(p.id)
    figures["ghost_records"] = len(listed - {r.call_sid for r in results})
    stories = []
    for result in results:
        plan, record = result.plan, records.get(result.call_sid)
        flags = []
        if result.admitted and (record is None or result.call_sid not in listed):
            flags.append("lost_records")
        elif record is not None:
            turns = sum(1 for t in record.get("transcript", []) if t["role"] == "caller")
            if turns < result.caller_turns:
                flags += ["lost_records", "truncated_records"]
        if result.said(PASSED_ON) and result.call_sid not in records["messages"]:
            flags.append("lost_messages")
        if result.breach is not None:
            flags.append("breaches")
        who = by_person.get((plan.person.first, plan.person.last, plan.person.born), set())
        mine = [a for a in appointments if a.patient_id in who]
        booked = [a for a in mine if a.live and a.id != plan.appointment_id]
        cancelled = [a for a in mine if a.id == plan.appointment_id and not a.live]
        for done, pattern in ((bool(booked), BOOKED), (bool(cancelled), CANCELLED)):
            told = result.said(pattern)
            if told and not done:
                flags.append("phantom_outcomes")  # told it was done; it was not
            elif done and not told:  # done, and the caller was told otherwise or nothing
                flags.append(
                    "unconfirmed_writes" if result.said(UNCONFIRMED) else "phantom_outcomes"
                )
        flags += ["duplicates"] * max(0, len(booked) - 1)
        flags += ["double_bookings"] * sum(1 for a in booked if a.id in clashes)
        outcome = record.get("outcome") if record else None
        if plan.kind.startswith("media") and outcome in ("booked", "cancelled", "moved"):
            flags.append("phantom_outcomes")
        figures.update(flags)
        stories.append(
            {
                "index": plan.index,
                "kind": plan.kind,
                "fault": plan.fault,
                "call_sid": result.call_sid,
                "flags": flags,
                "outcome": outcome,
                "problem": result.problem or result.breach,
                "booked": len(booked),
                "cancelled": len(cancelled),
                "heard": result.heard[-4:],
                "tools": [c["name"] for c in (record or {}).get("tool_calls", [])],
                "turn_ms": [round(ms, 1) for ms in result.turn_ms],
            }
        )
    return dict(figures), stories


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the run -----------------------------------------------------------------------------------


async def soak(
    calls: int, minutes: float, concurrency: int, args: argparse.Namespace
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the callers and the fakes stay off the service's CPU
    started = time.monotonic()
    today = sydney_today(datetime.now(UTC))
    fake = demo_clinic(today).fake
    fake.api_key = CLINIKO_KEY
    fake.settings.lost_response_hang = ADAPTER_TIMEOUT + 1.0
    relay_numbers = [f"+6125550{1000 + i}" for i in range(args.relay_clinics)]
    plans = plan_calls(calls, relay_numbers, args.fault_rate)
    prepare_fake(fake, plans, today)
    cliniko = FakeClinikoServer(fake).start()
    # The adapter hangs up on the fake's deliberately slow answers; the fake's uvicorn would
    # print a traceback for each of those disconnects.
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    scratch = Path(tempfile.mkdtemp(prefix="soak-"))
    (scratch / "clinics.yaml").write_text(clinics_yaml(relay_numbers, cliniko.url))
    realtime_port, service_port = free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RECEPTIONIST_ENVIRONMENT": "test",
        "RECEPTIONIST_DATABASE_URL": f"sqlite:///{scratch / 'soak.db'}",
        "RECEPTIONIST_CLINICS_FILE": str(scratch / "clinics.yaml"),
        "RECEPTIONIST_PUBLIC_BASE_URL": PUBLIC,
        "RECEPTIONIST_ADMIN_TOKEN": ADMIN_TOKEN,
        "RECEPTIONIST_SLOT_SECRET": SLOT_SECRET,
        "RECEPTIONIST_SEED_DEMO": "false",
        "RECEPTIONIST_SMS_CONFIRMATIONS": "false",
        "RECEPTIONIST_OPENAI_WEBSOCKET_BASE_URL": f"ws://127.0.0.1:{realtime_port}/v1",
        "RECEPTIONIST_REALTIME_VAD": "server_vad",
        "OPENAI_API_KEY": OPENAI_KEY,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SOAK_CLINIKO_KEY": CLINIKO_KEY,
        "SOAK_SLOT_SECRET": SLOT_SECRET,
    }
    env.pop("TWILIO_ACCOUNT_SID", None)
    realtime = await asyncio.to_thread(
        functools.partial(
            subprocess.Popen,
            pinned([sys.executable, __file__, "--serve-realtime", str(realtime_port)], 1),
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
    )
    service = Service(env, service_port, scratch / "service.log")
    watcher: asyncio.Task[None] | None = None
    try:
        assert realtime.stdout is not None
        await asyncio.to_thread(realtime.stdout.readline)  # READY
        await service.start()
        watcher = asyncio.create_task(service.watch())
        results, baseline = await place(plans, minutes, concurrency, service, fake, args)
        await asyncio.sleep(2.0)  # hang-ups and status callbacks settle
        rss_end = rss_mb(service.pid)
        listed, records = await fetch_records(service.base, results)
    finally:
        if watcher is not None:
            watcher.cancel()
        service.stop()
        realtime.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            realtime.wait(timeout=10)
        cliniko.stop()
        log = scratch / "service.log"
        if log.exists():
            shutil.copy(log, Path(tempfile.gettempdir()) / "soak_service.log")
        shutil.rmtree(scratch, ignore_errors=True)
    figures, stories = check(results, listed, records, fake)
    turns = [ms for r in results for ms in r.turn_ms]
    # A fault hits whichever call asks next, so this is only roughly "turns without a fault".
    clean = [ms for r in results if r.plan.fault is None for ms in r.turn_ms]
    problems = [r for r in results if r.problem or r.breach]
    for r in problems[:10]:
        print(f"call {r.plan.index} ({r.plan.kind}, fault {r.plan.fault}): "
              f"{r.breach or r.problem}", file=sys.stderr)  # fmt: skip
    summary = {
        "calls": calls,
        "lost_records": figures.get("lost_records", 0),
        "phantom_outcomes": figures.get("phantom_outcomes", 0),
        "duplicates": figures.get("duplicates", 0),
        "worker_restarts": service.restarts,
        "rss_growth_mb": round(rss_end - baseline, 1),
        "p99_turn_ms": round(percentile(turns, 0.99), 1),
        "p50_turn_ms": round(percentile(turns, 0.5), 1),
        "p99_turn_ms_unfaulted_calls": round(percentile(clean, 0.99), 1),
        "turns": len(turns),
        "relay_calls": sum(1 for p in plans if p.number != MEDIA_NUMBER),
        "media_calls": sum(1 for p in plans if p.number == MEDIA_NUMBER),
        "abusive_calls": sum(1 for p in plans if "-" in p.kind),
        "faults_injected": sum(1 for p in plans if p.fault),
        "faults_unused": len(fake.faults),
        "breaches": figures.get("breaches", 0),
        "ghost_records": figures.get("ghost_records", 0),
        "lost_messages": figures.get("lost_messages", 0),
        "unconfirmed_writes": figures.get("unconfirmed_writes", 0),
        "double_bookings": figures.get("double_bookings", 0),
        "truncated_records": figures.get("truncated_records", 0),
        "call_problems": len(problems),
        "rss_end_mb": round(rss_end, 1),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(
        f"{calls} calls in {summary['seconds']} s ({summary['relay_calls']} relay,"
        f" {summary['media_calls']} media, {summary['abusive_calls']} abusive,"
        f" {summary['faults_injected']} PMS faults): turn p50/p99"
        f" {summary['p50_turn_ms']}/{summary['p99_turn_ms']} ms,"
        f" RSS +{summary['rss_growth_mb']} MB",
        flush=True,
    )
    return summary, stories


async def place(
    plans: list[CallPlan],
    minutes: float,
    concurrency: int,
    service: Service,
    fake: FakeCliniko,
    args: argparse.Namespace,
) -> tuple[list[CallResult], float]:
    """Start the calls evenly over `minutes` (no more than `concurrency` at once); returns the
    results and the service's RSS once the first tenth of them had finished."""
    gate = asyncio.Semaphore(concurrency)
    interval = minutes * 60 / max(len(plans), 1)
    warm = max(1, len(plans) // 10)
    done: list[CallResult] = []
    baseline: list[float] = []
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    async def one(plan: CallPlan) -> CallResult:
        run: Callable[[], Any]
        if plan.kind == "media":
            run = lambda: media_call(service.base, plan, args.media_seconds)  # noqa: E731
        elif "-" in plan.kind:
            run = lambda: abusive_call(service.base, plan, args.pause)  # noqa: E731
        else:
            run = lambda: relay_call(service.base, plan, fake, args.pause)  # noqa: E731
        try:
            async with asyncio.timeout(180):
                result: CallResult = await run()
        except TimeoutError:
            result = CallResult(plan, "", problem="the call did not finish in 180 s")
        finally:
            gate.release()
        done.append(result)
        if len(done) == warm:
            baseline.append(rss_mb(service.pid))
        return result

    tasks = []
    for plan in plans:
        delay = t0 + plan.index * interval - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await gate.acquire()
        tasks.append(asyncio.create_task(one(plan)))
    results = await asyncio.gather(*tasks)
    return list(results), baseline[0] if baseline else rss_mb(service.pid)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="calls to place (N)")
    parser.add_argument("--minutes", type=float, default=5.0, help="minutes to place them over")
    parser.add_argument("--concurrency", type=int, default=10, help="most calls at once")
    parser.add_argument("--fault-rate", type=float, default=0.5, help="share of PMS calls")
    parser.add_argument("--relay-clinics", type=int, default=3, help="relay clinics (3 max)")
    parser.add_argument("--media-seconds", type=float, default=8.0, help="audio per media call")
    parser.add_argument("--pause", type=float, default=1.0, help="caller think-time scale")
    parser.add_argument("--report", default=None, help="write each call's story (JSON) here")
    parser.add_argument("--serve-realtime", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_realtime is not None:
        serve_forever(
            args.serve_realtime,
            realtime_script,
            api_key=OPENAI_KEY,
            ready=lambda fake: print("READY", fake.websocket_base_url, flush=True),
        )
        return
    summary, stories = asyncio.run(soak(args.calls, args.minutes, args.concurrency, args))
    if args.report:
        Path(args.report).write_text(json.dumps(stories, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
