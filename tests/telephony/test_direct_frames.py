"""The media bridge's direct frame paths: text frames taken before the libraries' parsers only
when those parsers sit idle, everything else left to them, and frames we write read back by
them exactly. First against the `websockets` sans-I/O protocols, then over real sockets: the
uvicorn side with a raw client that splits frames and interleaves pings and fragments, and the
client side against a server writing raw frames."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from receptionist.telephony.direct import (
    DIRECT_EXTENSION,
    DirectClientConnection,
    DirectWebSocketProtocol,
    idle,
    take_text_frames,
    text_frame,
    write_now,
)
from tests.telephony.conftest import serve as serve_app

pytestmark = pytest.mark.anyio


def from_client(*messages: bytes, fin: bool = True) -> bytes:
    """Frames as a `websockets` client writes them (masked)."""
    protocol = ClientProtocol(parse_uri("ws://test/"), state=State.OPEN)
    for message in messages:
        protocol.send_text(message, fin=fin)
    return b"".join(protocol.data_to_send())


def server_side() -> ServerProtocol:
    return ServerProtocol(state=State.OPEN)


def client_side() -> ClientProtocol:
    return ClientProtocol(parse_uri("ws://test/"), state=State.OPEN)


def parsed(protocol: ServerProtocol | ClientProtocol, data: bytes) -> list[tuple[Opcode, bytes]]:
    protocol.receive_data(data)
    events = protocol.events_received()
    return [(e.opcode, bytes(e.data)) for e in events if isinstance(e, Frame)]


class Taker:
    """A listener that takes messages starting with "fast" and declines the rest."""

    def __init__(self) -> None:
        self.taken: list[bytes] = []

    def __call__(self, data: bytes) -> bool:
        if data.startswith(b"fast"):
            self.taken.append(data)
            return True
        return False


# -- the pieces, against the library's own protocol objects --------------------------------------


@pytest.mark.parametrize("masked", [True, False], ids=["from a client", "from a server"])
@pytest.mark.parametrize("size", [0, 5, 125, 126, 127, 65535, 65536, 70000])
def test_the_frames_we_write_are_what_the_library_reads(masked: bool, size: int) -> None:
    payload = bytes(ord("a") + i % 26 for i in range(size))
    reader = server_side() if masked else client_side()
    assert parsed(reader, text_frame(payload, masked)) == [(Opcode.TEXT, payload)]


class Transport:
    """Records writes, as a transport that is never closing and never backed up."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0


def test_several_messages_go_out_in_one_write_and_none_once_closing() -> None:
    transport, protocol = Transport(), server_side()
    assert write_now(protocol, transport, (b"media", b"mark"))
    [written] = transport.writes
    assert parsed(client_side(), written) == [(Opcode.TEXT, b"media"), (Opcode.TEXT, b"mark")]
    protocol.send_close()
    assert not write_now(protocol, transport, (b"late",))
    assert len(transport.writes) == 1


def test_every_client_frame_gets_its_own_mask() -> None:
    frames = {text_frame(b"same words", masked=True) for _ in range(50)}
    assert len(frames) == 50


def test_whole_text_frames_at_the_start_are_taken_and_the_rest_is_the_librarys() -> None:
    ping = ClientProtocol(parse_uri("ws://t/"), state=State.OPEN)
    ping.send_ping(b"hi")
    data = from_client(b"fast 1", LONGER_TEXT) + b"".join(ping.data_to_send())
    data += from_client(b"fast 3")
    taker = Taker()
    taken = take_text_frames(data, True, None, taker)
    assert taker.taken == [b"fast 1", LONGER_TEXT]
    assert parsed(server_side(), data[taken:]) == [(Opcode.PING, b"hi"), (Opcode.TEXT, b"fast 3")]


LONGER_TEXT = b"fast " + b"y" * 500
CUT_SHORT = from_client(b"fast but cut short")
LONGER = from_client(b"fast" + b"x" * 300)  # its length takes the 16-bit field


def _compressed() -> bytes:
    frame = bytearray(from_client(b"fast but deflated"))
    frame[0] |= 0x40  # RSV1: a permessage-deflate frame
    return bytes(frame)


@pytest.mark.parametrize(
    ("odd", "masked", "limit"),
    [
        pytest.param(from_client(b"slow: declined"), True, None, id="declined"),
        pytest.param(CUT_SHORT[:-1], True, None, id="partial frame"),
        pytest.param(CUT_SHORT[:6], True, None, id="only a header"),
        pytest.param(CUT_SHORT[:1], True, None, id="half a header"),
        pytest.param(LONGER[:3], True, None, id="cut inside its 16-bit length"),
        pytest.param(LONGER[:-1], True, None, id="longer, cut short"),
        pytest.param(text_frame(b"fast unmasked", masked=False), True, None, id="not masked"),
        pytest.param(from_client(b"fast first part", fin=False), True, None, id="fragment"),
        pytest.param(_compressed(), True, None, id="extension bit"),
        pytest.param(from_client(b"fast" + b"x" * 40), True, 20, id="over the size limit"),
        pytest.param(from_client("fast café".encode()), True, None, id="not ascii"),
        pytest.param(from_client(b"fast" + b"x" * 70000), True, None, id="64-bit length"),
    ],
)
def test_taking_stops_at_the_first_frame_it_should_not_take(
    odd: bytes, masked: bool, limit: int | None
) -> None:
    first = from_client(b"fast 1")
    # (A cut-short frame can only be the last thing read.)
    then = b"" if CUT_SHORT.startswith(odd) or LONGER.startswith(odd) else from_client(b"fast 2")
    taker = Taker()
    assert take_text_frames(first + odd + then, masked, limit, taker) == len(first)
    assert taker.taken == [b"fast 1"]


def test_idle_means_between_frames_with_nothing_buffered() -> None:
    protocol = server_side()
    assert idle(protocol)
    frame = from_client(b"ten bytes!")
    protocol.receive_data(frame[:1])
    assert not idle(protocol)  # half a header buffered
    protocol.receive_data(frame[1:6])
    assert not protocol.reader.buffer  # header and mask consumed, nothing buffered...
    assert not idle(protocol)  # ...and still in the middle of the frame
    protocol.receive_data(frame[6:])
    assert idle(protocol)
    protocol.receive_data(from_client(b"first part", fin=False))
    assert not idle(protocol)  # inside a fragmented message
    protocol.send_close()
    assert not idle(protocol)


def test_a_listener_that_fails_loses_only_that_frame(caplog: pytest.LogCaptureFixture) -> None:
    def broken(data: bytes) -> bool:
        raise KeyError("+61412345678")  # an error that quotes what it read

    data = from_client(b"fast 1", b"fast 2")
    with caplog.at_level(logging.ERROR):
        assert take_text_frames(data, True, None, broken) == len(data)
    assert "direct frame handler failed: KeyError at test_direct_frames.py:" in caplog.text
    assert "+61412345678" not in caplog.text


# -- uvicorn's side, over a real socket ---------------------------------------------------------


class Peer:
    """The server app's two paths: what the listener took, and what came through ASGI."""

    def __init__(self) -> None:
        self.taker = Taker()
        self.asgi: list[str] = []


@pytest.fixture
def frames_server() -> Iterator[tuple[str, Peer]]:
    peer = Peer()
    app = FastAPI()

    @app.websocket("/ws")
    async def frames(websocket: WebSocket) -> None:
        await websocket.accept()
        protocol: DirectWebSocketProtocol = websocket.scope["extensions"][DIRECT_EXTENSION][
            "protocol"
        ]

        def listener(data: bytes) -> bool:
            if peer.taker(data):
                assert protocol.write_text(b"echo " + data)
                return True
            return False

        protocol.listener = listener
        await websocket.send_text("ready")
        while True:
            try:
                text = await websocket.receive_text()
            except WebSocketDisconnect:
                return
            peer.asgi.append(text)
            await websocket.send_text("asgi " + text)

    server, thread, url = serve_app(app)
    yield url.replace("http://", "ws://") + "/ws", peer
    server.should_exit = True
    thread.join(timeout=10)


class RawClient:
    """A websocket client that writes frames in the pieces it is told to."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.protocol = ClientProtocol(parse_uri(url))
        self.texts: list[str] = []
        self.pongs: list[bytes] = []
        self.changed = asyncio.Event()

    async def open(self) -> None:
        host, port = self.url.split("/")[2].split(":")
        self.reader, self.writer = await asyncio.open_connection(host, int(port))
        self.protocol.send_request(self.protocol.connect())
        self.flush()
        self.task = asyncio.create_task(self._read())
        await self.wait_for(lambda: "ready" in self.texts)

    def flush(self) -> None:
        self.writer.write(b"".join(self.protocol.data_to_send()))

    def frames(self, build: Any) -> bytes:
        build(self.protocol)
        return b"".join(self.protocol.data_to_send())

    async def write(self, *pieces: bytes) -> None:
        for piece in pieces:
            self.writer.write(piece)
            await self.writer.drain()
            await asyncio.sleep(0.05)

    async def _read(self) -> None:
        while data := await self.reader.read(65536):
            self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    self.texts.append(bytes(event.data).decode())
                elif isinstance(event, Frame) and event.opcode is Opcode.PONG:
                    self.pongs.append(bytes(event.data))
            self.flush()
            self.changed.set()

    async def wait_for(self, condition: Any) -> None:
        async with asyncio.timeout(10):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


async def test_uvicorns_side_takes_what_it_can_and_leaves_the_rest_to_the_library(
    frames_server: tuple[str, Peer],
) -> None:
    url, peer = frames_server
    client = RawClient(url)
    await client.open()

    def text(message: bytes, fin: bool = True) -> Any:
        return lambda p: p.send_text(message, fin=fin)

    split = client.frames(text(b"fast 3"))
    await client.write(client.frames(text(b"fast 1")) + client.frames(text(b"fast 2")))
    await client.write(split[:2], split[2:6], split[6:])  # parsed by the library, in pieces
    await client.write(client.frames(lambda p: p.send_ping(b"are you there")))
    await client.write(client.frames(text(b"fast 4")))
    await client.write(
        client.frames(text(b"slow, ", fin=False)),
        client.frames(lambda p: p.send_continuation(b"in two fragments", fin=True)),
    )
    await client.write(
        client.frames(text(b"fast 5"))
        + client.frames(text(b"slow, between"))
        + client.frames(text(b"fast 6"))
    )
    await client.wait_for(lambda: len(client.texts) == 1 + 6 + 2)

    assert peer.taker.taken == [f"fast {n}".encode() for n in range(1, 7)]
    assert peer.asgi == ["slow, in two fragments", "slow, between"]
    assert sorted(client.texts) == sorted(
        ["ready", *(f"echo fast {n}" for n in range(1, 7)), *(f"asgi {t}" for t in peer.asgi)]
    )
    assert client.pongs == [b"are you there"]
    client.protocol.send_close()
    client.flush()
    await asyncio.wait_for(client.task, 10)  # the server answers the close and hangs up
    client.writer.close()
    await client.writer.wait_closed()


# -- the websockets client's side ----------------------------------------------------------------


async def test_the_client_side_takes_what_it_can_and_leaves_the_rest_to_the_library() -> None:
    echoes: list[str] = []
    echoed = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()
        transport: Any = ws.transport
        split = text_frame(b"fast 3", masked=False)
        transport.write(text_frame(b"fast 1", False) + text_frame(b"fast 2", False))
        for piece in (split[:2], split[2:]):
            await asyncio.sleep(0.05)
            transport.write(piece)
        await asyncio.wait_for(await ws.ping(b"still there?"), 5)  # answered by the library
        transport.write(bytes((0x01, 6)) + b"slow, " + bytes((0x80, 16)) + b"in two fragments")
        await ws.send("slow, plain")
        transport.write(
            text_frame(b"fast 4", False) + text_frame(b"slow, between", False)
            + text_frame(b"fast 5", False)
        )  # fmt: skip
        await ws.send("done")
        while len(echoes) < 5:
            echoes.append(str(await ws.recv()))
        echoed.set()

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(
            f"ws://127.0.0.1:{port}", create_connection=DirectClientConnection
        ) as ws:
            assert isinstance(ws, DirectClientConnection)
            taker = Taker()

            def listener(data: bytes) -> bool:
                if taker(data):
                    assert ws.write_text(b"echo " + data)
                    return True
                return False

            ws.listener = listener
            await ws.send("go")
            received = []
            while (message := await ws.recv()) != "done":
                received.append(message)
            assert received == ["slow, in two fragments", "slow, plain", "slow, between"]
            assert taker.taken == [f"fast {n}".encode() for n in range(1, 6)]
            await asyncio.wait_for(echoed.wait(), 10)
    assert echoes == [f"echo fast {n}" for n in range(1, 6)]


async def test_writes_stop_once_the_socket_is_closing() -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        ws: Any = await connect(f"ws://127.0.0.1:{port}", create_connection=DirectClientConnection)
        assert ws.write_text(b"while open")
        await ws.close()
        assert not ws.write_text(b"after the close")
