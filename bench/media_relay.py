"""How much the Media Streams <-> Realtime relay costs: latency it adds and CPU per call.

For each N it runs N simulated calls at once through the real service (one uvicorn worker,
pinned to CPU 0, in its own process, with the websocket class `receptionist serve` uses) to a
fake OpenAI Realtime server (another process, on CPU 1; the simulated Twilio side runs in this
process, also on CPU 1). Each call's "Twilio" sends 20 ms mu-law frames at real-time pace
and echoes marks once the audio before them has played; the fake model streams 20 ms audio
deltas back at real-time pace for the whole call. Every frame carries its send time
(CLOCK_MONOTONIC, shared by all processes on the machine) in its first 8 bytes, which the
relay passes through untouched, so the receiving side measures each frame's trip exactly:

- inbound: Twilio client -> service -> fake Realtime (caller audio to the model);
- outbound: fake Realtime -> service -> Twilio client (model audio to the caller).

Loopback sockets cost a few tens of microseconds, so the trip is almost all relay time (plus
scheduling noise on a busy machine). CPU is the service process's user+system time over the
measured window divided by (calls x seconds): the share of one core each live call costs. The
simulated ends' own CPU is printed too: when they near 100 % of CPU 1, they (not the service)
set the latency, and larger N no longer measures the service.

Profiling: MEDIA_RELAY_PROFILE=path/to/py-spy records the service; MEDIA_RELAY_WRAP="valgrind
--tool=callgrind --instr-atstart=no" counts its instructions over the measured window only
(use --calls 1: a repeatable figure for comparing changes to the per-frame path).

Run: `.venv/bin/python bench/media_relay.py [--calls 25,50,100,150] [--seconds 10]`.
The last line is one JSON object (keys like n100_p99_ms, n100_cpu_pct_per_call).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from receptionist.telephony.direct import DirectClientConnection, DirectServerConnection

ROOT = Path(__file__).resolve().parent.parent
FRAME_MS = 20
FRAME_BYTES = 160
AUTH_TOKEN = "bench-twilio-auth-token"
PUBLIC = "https://bench.example.com"
CLINIC_NUMBER = "+61255501234"
_TAIL = b"\xff" * (FRAME_BYTES - 8)


def stamped_frame() -> str:
    """160 bytes of mu-law silence whose first 8 bytes are the send time, base64."""
    return base64.b64encode(struct.pack("<d", time.monotonic()) + _TAIL).decode()


def sent_at(payload: str | bytes) -> float:
    """The send time stamped in a frame (only the first 12 base64 characters are decoded)."""
    return float(struct.unpack("<d", base64.b64decode(payload[:12])[:8])[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the fake Realtime server (its own process) ------------------------------------------------


class RealtimeStats:
    def __init__(self) -> None:
        self.inbound_ms: list[float] = []
        self.recording = False


class PacedFrames:
    """Sends a stamped 20 ms frame every 20 ms from timer callbacks (no task per frame), so
    the simulated ends stay cheap and the service, not they, is what N measures."""

    def __init__(self, write: Callable[[bytes], bool], build: Callable[[], bytes]) -> None:
        self.write, self.build = write, build
        self.loop = asyncio.get_running_loop()
        self.due = self.loop.time()
        self.handle: asyncio.TimerHandle | None = None
        self.ended: asyncio.Future[None] = self.loop.create_future()
        self.until = float("inf")

    def start(self, seconds: float = float("inf")) -> PacedFrames:
        self.until = self.due + seconds
        self._tick()
        return self

    def _tick(self) -> None:
        if self.due >= self.until or not self.write(self.build()):
            if not self.ended.done():
                self.ended.set_result(None)
            return
        self.due += FRAME_MS / 1000
        self.handle = self.loop.call_at(self.due, self._tick)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
        if not self.ended.done():
            self.ended.set_result(None)


async def realtime_session(ws: DirectServerConnection, stats: RealtimeStats) -> None:
    """One Realtime session: created/updated, then model audio at real-time pace."""
    if ws.request is not None and ws.request.path.startswith("/stats"):
        command = await ws.recv()
        if command == "start":
            stats.inbound_ms.clear()
            stats.recording = True
            await ws.send("ok")
        else:
            stats.recording = False
            await ws.send(json.dumps(stats.inbound_ms))
        return
    await ws.send(json.dumps({"type": "session.created", "session": {"type": "realtime"}}))
    speaking: PacedFrames | None = None
    item = "item_" + secrets.token_hex(6)
    delta_head = (
        b'{"type":"response.output_audio.delta","response_id":"resp_1","item_id":"'
        + item.encode()
        + b'","output_index":0,"content_index":0,"delta":"'
    )

    def appended(data: bytes) -> bool:
        if data.find(b'"input_audio_buffer.append"', 0, 60) < 0:
            return False
        if stats.recording:
            payload = data[data.index(b'"audio":"') + 9 :]
            stats.inbound_ms.append((time.monotonic() - sent_at(payload)) * 1000)
        return True

    ws.listener = appended
    try:
        async for message in ws:
            if isinstance(message, bytes):
                continue
            event = json.loads(message)
            if event.get("type") == "session.update":
                reply = {"type": "session.updated", "session": event.get("session", {})}
                await ws.send(json.dumps(reply))
            elif event.get("type") == "response.create" and speaking is None:
                await ws.send(
                    json.dumps({"type": "response.created", "response": {"id": "resp_1"}})
                )
                speaking = PacedFrames(
                    ws.write_text, lambda: delta_head + stamped_frame().encode() + b'"}'
                ).start()
    except ConnectionClosed:
        pass
    finally:
        ws.listener = None
        if speaking is not None:
            speaking.stop()


async def run_realtime(port: int) -> None:
    stats = RealtimeStats()
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(
        lambda ws: realtime_session(ws, stats),
        "127.0.0.1",
        port,
        max_size=None,
        compression=None,
        create_connection=DirectServerConnection,
    ):
        print("READY", flush=True)
        await stop


# -- the simulated Twilio side ---------------------------------------------------------------


class Call:
    """One call as Twilio plays it: paced caller frames out, model audio in, marks echoed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.call_sid = "CA" + secrets.token_hex(16)
        self.stream_sid = "MZ" + secrets.token_hex(16)
        self.outbound_ms: list[float] = []
        self.recording = False
        self.received = 0
        self.sequence = 1
        self.chunk = 0
        self.ws: DirectClientConnection
        self._play_until = 0.0

    async def ring(self, http: httpx.AsyncClient) -> dict[str, str]:
        params = {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": "+61400000000",
            "To": CLINIC_NUMBER,
            "CallStatus": "ringing",
        }
        signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC}/twilio/voice", params)
        answer = await http.post(
            "/twilio/voice", data=params, headers={"X-Twilio-Signature": signature}
        )
        answer.raise_for_status()
        return dict(re.findall(r'<Parameter name="(\w+)" value="([^"]*)"', answer.text))

    async def run(self, parameters: dict[str, str], seconds: float, started: asyncio.Event) -> None:
        url = self.base.replace("http://", "ws://") + "/twilio/media"
        async with connect(
            url, max_size=None, compression=None, create_connection=DirectClientConnection
        ) as ws:
            assert isinstance(ws, DirectClientConnection)
            await ws.send(
                json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})
            )
            start = {
                "event": "start",
                "sequenceNumber": "1",
                "streamSid": self.stream_sid,
                "start": {
                    "streamSid": self.stream_sid,
                    "callSid": self.call_sid,
                    "accountSid": "AC" + "0" * 32,
                    "tracks": ["inbound"],
                    "customParameters": parameters,
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
            }
            await ws.send(json.dumps(start))
            started.set()
            self.ws = ws
            ws.listener = self._received
            try:
                await PacedFrames(ws.write_text, self._media).start(seconds).ended
            finally:
                ws.listener = None
                await ws.send(json.dumps({"event": "stop", "streamSid": self.stream_sid}))

    def _media(self) -> bytes:
        """The next caller frame, shaped as Twilio's media message."""
        self.sequence += 1
        self.chunk += 1
        return (
            f'{{"event":"media","sequenceNumber":"{self.sequence}","media":{{"track":"inbound",'
            f'"chunk":"{self.chunk}","timestamp":"{self.chunk * FRAME_MS}","payload":"'
            f'{stamped_frame()}"}},"streamSid":"{self.stream_sid}"}}'
        ).encode()

    def _received(self, message: bytes) -> bool:
        """Everything the service sends, read where it is parsed: audio played in real time,
        marks echoed once the audio before them has played."""
        loop = asyncio.get_running_loop()
        if message.find(b'"event":"media"', 0, 20) >= 0:
            payload = message[message.index(b'"payload":"') + 11 :]
            if self.recording:
                self.outbound_ms.append((time.monotonic() - sent_at(payload)) * 1000)
            self.received += 1
            now = loop.time()
            self._play_until = max(self._play_until, now) + FRAME_MS / 1000
        elif message.find(b'"event":"mark"', 0, 20) >= 0:
            name = json.loads(message)["mark"]["name"]
            loop.call_at(self._play_until, self._echo, name)
        return True

    def _echo(self, name: str) -> None:
        self.sequence += 1
        echo = {
            "event": "mark",
            "sequenceNumber": str(self.sequence),
            "streamSid": self.stream_sid,
            "mark": {"name": name},
        }
        self.ws.write_text(json.dumps(echo, separators=(",", ":")).encode())  # compact, as Twilio


def cpu_seconds(pid: int) -> tuple[float, float]:
    """A process's user and system CPU seconds so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


async def callgrind_control(pid: int, *args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "callgrind_control", *args, str(pid), stdout=subprocess.DEVNULL
    )
    await process.wait()


async def stats_command(realtime_base: str, command: str) -> Any:
    async with connect(realtime_base.replace("/v1", "") + "/stats", max_size=None) as ws:
        await ws.send(command)
        return json.loads(await ws.recv()) if command == "stop" else await ws.recv()


async def measure(
    n: int, seconds: float, base: str, realtime_base: str, server_pid: int, realtime_pid: int
) -> dict[str, float]:
    calls = [Call(base) for _ in range(n)]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        params = [await call.ring(http) for call in calls]
    started = [asyncio.Event() for _ in calls]
    warmup = 2.0
    runs = [
        asyncio.create_task(call.run(p, warmup + seconds + 0.5, s))
        for call, p, s in zip(calls, params, started, strict=True)
    ]
    await asyncio.gather(*(s.wait() for s in started))
    await asyncio.sleep(warmup)
    await stats_command(realtime_base, "start")
    for call in calls:
        call.recording = True
    counting = os.environ.get("MEDIA_RELAY_WRAP", "").startswith("valgrind")
    if counting:  # count instructions over the measured window only
        await callgrind_control(server_pid, "-z")
        await callgrind_control(server_pid, "-i", "on")
    load0 = sum(cpu_seconds(realtime_pid)) + sum(cpu_seconds(os.getpid()))
    cpu0, t0 = cpu_seconds(server_pid), time.monotonic()
    await asyncio.sleep(seconds)
    cpu1, t1 = cpu_seconds(server_pid), time.monotonic()
    load1 = sum(cpu_seconds(realtime_pid)) + sum(cpu_seconds(os.getpid()))
    if counting:
        await callgrind_control(server_pid, "-i", "off")
        await callgrind_control(server_pid, "-d")
    user, system = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    for call in calls:
        call.recording = False
    inbound: list[float] = await stats_command(realtime_base, "stop")
    await asyncio.gather(*runs, return_exceptions=True)
    outbound = [ms for call in calls for ms in call.outbound_ms]
    both = inbound + outbound
    call_seconds = n * (t1 - t0)
    return {
        "calls": n,
        "in_p50_ms": round(percentile(inbound, 0.5), 3),
        "in_p99_ms": round(percentile(inbound, 0.99), 3),
        "out_p50_ms": round(percentile(outbound, 0.5), 3),
        "out_p99_ms": round(percentile(outbound, 0.99), 3),
        "p50_ms": round(percentile(both, 0.5), 3),
        "p99_ms": round(percentile(both, 0.99), 3),
        "frames": len(both),
        "cpu_pct_per_call": round(100 * (user + system) / call_seconds, 3),
        "user_pct_per_call": round(100 * user / call_seconds, 3),
        "system_pct_per_call": round(100 * system / call_seconds, 3),
        # The simulated Twilio and OpenAI ends share CPU 1: near 100 % they, not the service,
        # set the latency.
        "load_generators_pct": round(100 * (load1 - load0) / (t1 - t0), 1),
    }


def start_process(
    args: list[str], env: dict[str, str], cpu: int | None, log: Path | None = None
) -> subprocess.Popen[str]:
    """A child process pinned to one CPU; its output goes to `log` (a pipe nobody reads would
    fill up and stall it), or to a pipe for `wait_ready`."""
    if cpu is not None and shutil.which("taskset") and (os.cpu_count() or 1) > cpu:
        args = ["taskset", "-c", str(cpu), *args]
    out: Any = subprocess.PIPE if log is None else log.open("w")
    return subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True
    )


def wait_ready(process: subprocess.Popen[str], marker: str, within: float = 60) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + within
    for line in process.stdout:
        if marker in line:
            return
        if time.monotonic() > deadline:
            break
    raise RuntimeError(f"process did not become ready ({marker!r})")


async def main_async(counts: list[int], seconds: float, ws: str = "auto") -> dict[str, Any]:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the simulated calls stay off the service's CPU
    realtime_port, service_port = free_port(), free_port()
    scratch = Path(tempfile.mkdtemp(prefix="media-relay-"))
    clinics = scratch / "clinics.yaml"
    clinics.write_text(
        f"clinics:\n  - key: bench\n    numbers: ['{CLINIC_NUMBER}']\n    mode: realtime\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RECEPTIONIST_ENVIRONMENT": "test",
        "RECEPTIONIST_DATABASE_URL": f"sqlite:///{scratch / 'bench.db'}",
        "RECEPTIONIST_CLINICS_FILE": str(clinics),
        "RECEPTIONIST_PUBLIC_BASE_URL": PUBLIC,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "OPENAI_API_KEY": "bench",
        "RECEPTIONIST_OPENAI_WEBSOCKET_BASE_URL": f"ws://127.0.0.1:{realtime_port}/v1",
        "RECEPTIONIST_REALTIME_VAD": "server_vad",
        "RECEPTIONIST_SLOT_SECRET": "bench-slot-secret-0123456789",
    }
    env.pop("TWILIO_ACCOUNT_SID", None)
    realtime = start_process(
        [sys.executable, __file__, "--serve-realtime", str(realtime_port)], env, 1
    )
    wrap = os.environ.get("MEDIA_RELAY_WRAP", "").split()
    service = start_process(
        [*wrap, sys.executable, "-m", "uvicorn", "receptionist.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(service_port), "--ws", ws,
         "--log-level", "warning", "--no-access-log"],
        env, 0, scratch / "service.log",
    )  # fmt: skip
    try:
        wait_ready(realtime, "READY")
        base = f"http://127.0.0.1:{service_port}"
        async with httpx.AsyncClient(timeout=1) as http:
            for _ in range(300):
                try:
                    (await http.get(f"{base}/healthz")).raise_for_status()
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        results = []
        profiler = os.environ.get("MEDIA_RELAY_PROFILE")  # a py-spy binary, to see where time goes
        if profiler:
            await asyncio.create_subprocess_exec(
                profiler, "record", "-p", str(service.pid), "-d", "12", "-r", "100",
                "-o", "/tmp/media_relay_profile.txt", "-f", "raw", "--nonblocking",
            )  # fmt: skip
        for n in counts:
            figures = await measure(
                n, seconds, base, f"ws://127.0.0.1:{realtime_port}/v1", service.pid, realtime.pid
            )
            print(
                f"N={n:4d}  in p50/p99 {figures['in_p50_ms']:6.2f}/{figures['in_p99_ms']:6.2f} ms"
                f"  out p50/p99 {figures['out_p50_ms']:6.2f}/{figures['out_p99_ms']:6.2f} ms"
                f"  cpu {figures['cpu_pct_per_call']:.3f}% of a core per call"
                f" (user {figures['user_pct_per_call']:.3f}, system"
                f" {figures['system_pct_per_call']:.3f})"
                f"  ({figures['frames']} frames; simulated ends used"
                f" {figures['load_generators_pct']:.0f}% of CPU 1)",
                flush=True,
            )
            results.append(figures)
            await asyncio.sleep(1.0)
    finally:
        for process in (service, realtime):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        log = scratch / "service.log"
        if log.exists():
            lines = log.read_text(errors="replace").splitlines()
            if lines:
                print(f"service log: {len(lines)} lines; last: {lines[-1][:200]}", file=sys.stderr)
        if log.exists():
            shutil.copy(log, Path(tempfile.gettempdir()) / "media_relay_service.log")
        shutil.rmtree(scratch, ignore_errors=True)
    summary: dict[str, Any] = {"seconds": seconds}
    for figures in results:
        n = int(figures["calls"])
        for key in ("p50_ms", "p99_ms", "in_p99_ms", "out_p99_ms", "cpu_pct_per_call"):
            summary[f"n{n}_{key}"] = figures[key]
    under = [int(f["calls"]) for f in results if f["p99_ms"] < 20]
    summary["largest_n_p99_under_20ms"] = max(under) if under else 0
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="25,50,100,150", help="comma-separated call counts")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per N")
    parser.add_argument(
        "--ws",
        default="receptionist.telephony.direct:DirectWebSocketProtocol",
        help="uvicorn's websocket implementation (as `receptionist serve` runs it by default)",
    )
    parser.add_argument("--serve-realtime", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_realtime is not None:
        asyncio.run(run_realtime(args.serve_realtime))
        return
    counts = [int(n) for n in args.calls.split(",") if n]
    summary = asyncio.run(main_async(counts, args.seconds, args.ws))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
