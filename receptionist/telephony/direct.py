"""Direct websocket frame paths for the media bridge: no task switch per audio frame.

A Realtime call moves about 50 small messages a second each way, and on the ordinary paths
every one of them wakes a task: uvicorn queues each frame as an ASGI event (pausing and
resuming the socket around it), `websockets` assembles each into a message for `recv()`, and
each send goes through an async context manager. That machinery, not the audio, was most of a
call's CPU. Two subclasses, plugged in through the libraries' own extension points, let the
bridge take the frames it cares about (caller audio, model audio, marks) as they are read and
write its answers at once:

- `DirectWebSocketProtocol`: uvicorn's sans-I/O websocket protocol, as a `--ws` class
  (`receptionist serve` uses it). It advertises itself to the app in the ASGI scope's
  `extensions` under `DIRECT_EXTENSION`; an app that attaches no listener sees plain ASGI.
- `DirectClientConnection`: the `websockets` client connection, which the `openai` library
  opens for a Realtime session when given it as the `create_connection` connection option
  (`DirectServerConnection` is its server-side twin).

The libraries stay the authority on the protocol. When a library's parser sits idle between
frames (read from its own state each time: `idle`), the whole, final, uncompressed text frames
at the start of a read, within its size limit, are offered to the listener (`take_text_frames`:
a header, a length, the library's C unmasking). Everything from the first frame the listener
declines or that is not such a frame goes to the library, in order: control frames, fragments,
extensions, closing and all validation; frames the library parses are offered to the listener
too. Should the library's internals change shape, `idle` says no and every frame takes the
library's path.

Writes frame the message (`text_frame`: a header, and for a client a mask from the system's
random source) and put it on the transport at once, when the library's state says the
connection is open for data. A peer that stops reading grows the transport's buffer; past
`MAX_BUFFERED` bytes (over a minute of audio) the connection is dropped rather than letting
memory grow without bound.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.connection import Connection
from websockets.asyncio.server import ServerConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol, Side, State

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - a build of websockets without its C extension
    from websockets.utils import apply_mask

logger = logging.getLogger(__name__)

DIRECT_EXTENSION = "receptionist.direct_frames"
MAX_BUFFERED = 1 << 20
MAX_DIRECT_FRAME = 1 << 16  # audio frames are a few hundred bytes; bigger ones take the long way
FINAL_TEXT = 0x81  # FIN set, no RSV bits, opcode TEXT
# Enum members as plain names: on this path an enum attribute lookup costs more than the test.
OPEN, SERVER, CLIENT, TEXT = State.OPEN, Side.SERVER, Side.CLIENT, Opcode.TEXT

# A listener gets a whole text message (ASCII only, as every message it is after is) and
# returns True when it has handled it; anything it declines goes the ordinary way (an ASGI
# receive event, or `recv()`).
Listener = Callable[[bytes], bool]


def idle(protocol: Protocol) -> bool:
    """Whether a `websockets` protocol's parser is waiting, with nothing buffered, for the
    first byte of a new frame outside any fragmented message (so a whole frame may go around
    it). Reads the library's own state; anything unrecognised means no."""
    try:
        if (
            protocol.state is not OPEN
            or protocol.current_size is not None
            or protocol.parser_exc is not None
            or protocol.reader.buffer
        ):
            return False
        parser: Any = protocol.parser
        while (inner := parser.gi_yieldfrom) is not None:  # down to what it is waiting in
            parser = inner
        return bool(parser.__name__ == "at_eof")
    except AttributeError:  # a `websockets` whose internals moved: every frame goes its way
        return False


def take_text_frames(data: bytes, masked: bool, limit: int | None, listener: Listener) -> int:
    """Offer the whole, final, uncompressed text frames at the start of `data` to `listener`;
    return how many bytes it took. Stops at the first frame it declines, at anything else
    (control, fragment, extension bits, wrong masking, over `limit` or 64 KiB, not ASCII)
    and at a partial frame: from there on the bytes are the library's."""
    at, size = 0, len(data)
    cap = MAX_DIRECT_FRAME if limit is None else min(limit, MAX_DIRECT_FRAME)
    while size - at >= 2 and data[at] == FINAL_TEXT:
        second = data[at + 1]
        if bool(second & 0x80) is not masked:
            break
        length = second & 0x7F
        head = at + 2
        if length == 126:
            if size - head < 2:
                break
            length = data[head] << 8 | data[head + 1]
            head += 2
        elif length == 127:
            break
        end = head + (4 if masked else 0) + length
        if length > cap or end > size:
            break
        if masked:
            payload = apply_mask(data[head + 4 : end], data[head : head + 4])
        else:
            payload = data[head:end]
        if not payload.isascii() or not _call(listener, payload):
            break
        at = end
    return at


class _MaskKeys:
    """Masking keys for client frames, four bytes at a time from the system's CSPRNG, read in
    blocks (one `getrandom` call per thousand frames instead of one per frame)."""

    def __init__(self) -> None:
        self._block = b""
        self._at = 0

    def next(self) -> bytes:
        if self._at >= len(self._block):
            self._block, self._at = os.urandom(4096), 0
        key = self._block[self._at : self._at + 4]
        self._at += 4
        return key


_mask_keys = _MaskKeys()


def text_frame(payload: bytes, masked: bool) -> bytes:
    """One final, uncompressed text frame (RFC 6455 section 5.2) carrying `payload`."""
    length = len(payload)
    bit = 0x80 if masked else 0
    if length < 126:
        head = bytes((FINAL_TEXT, bit | length))
    elif length < 1 << 16:
        head = bytes((FINAL_TEXT, bit | 126)) + length.to_bytes(2, "big")
    else:
        head = bytes((FINAL_TEXT, bit | 127)) + length.to_bytes(8, "big")
    if not masked:
        return head + payload
    key = _mask_keys.next()
    return head + key + apply_mask(payload, key)


def _call(listener: Listener, data: bytes) -> bool:
    try:
        return listener(data)
    except Exception as exc:  # a bug in a handler must not kill the socket; the frame is dropped
        # Where it failed, not the exception's text: that could quote the frame.
        where = traceback.extract_tb(exc.__traceback__)[-1]
        logger.error(
            "direct frame handler failed: %s at %s:%s",
            type(exc).__name__,
            where.filename.rpartition("/")[2],
            where.lineno,
        )
        return True


def take_ahead(protocol: Protocol, data: bytes, listener: Listener | None) -> bytes:
    """What is left of `data` for the library once `listener` has taken, ahead of the
    library's parser and only while that parser is idle, the whole text frames it wants."""
    if listener is None or not idle(protocol):
        return data
    masked = protocol.side is SERVER  # frames from a client are masked
    taken = take_text_frames(data, masked, protocol.max_message_size, listener)
    return data[taken:] if taken else data


def offer(listener: Listener | None, frame: Frame) -> bool:
    """Offer a frame the library has parsed; True when the listener took it."""
    if listener is None or not frame.fin or frame.opcode is not TEXT:
        return False
    data = bytes(frame.data)
    return data.isascii() and _call(listener, data)


def write_now(protocol: Protocol, transport: Any, messages: tuple[bytes, ...]) -> bool:
    """Frame each message as one text frame and write them at once, in one write; False (and
    nothing sent) when the library's state says the connection is not open for a message."""
    if protocol.state is not OPEN or protocol.expect_continuation_frame or transport.is_closing():
        return False
    masked = protocol.side is CLIENT
    if len(messages) == 1:
        transport.write(text_frame(messages[0], masked))
    else:
        transport.write(b"".join([text_frame(message, masked) for message in messages]))
    if transport.get_write_buffer_size() > MAX_BUFFERED:
        logger.warning("websocket dropped: the peer stopped reading")
        transport.abort()
    return True


class DirectWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, plus a direct listener and a synchronous write."""

    listener: Listener | None = None

    def data_received(self, data: bytes) -> None:
        if self.handshake_complete and not self.close_sent:
            data = take_ahead(self.conn, data, self.listener)
            if not data:
                return
        super().data_received(data)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:  # the app runs as a task that has not started yet
            scope["extensions"][DIRECT_EXTENSION] = {"protocol": self}

    def handle_text(self, event: Frame) -> None:
        if self.close_sent or not offer(self.listener, event):
            super().handle_text(event)

    def write_text(self, *messages: bytes) -> bool:
        """Send text messages now; False (and nothing sent) when the socket is closing."""
        return (
            self.handshake_complete
            and not self.close_sent
            and write_now(self.conn, self.transport, messages)
        )


class DirectConnection(Connection):
    """A `websockets` asyncio connection, plus a direct listener and a synchronous write."""

    listener: Listener | None = None

    def data_received(self, data: bytes) -> None:
        data = take_ahead(self.protocol, data, self.listener)
        if data:
            super().data_received(data)

    def process_event(self, event: Any) -> None:
        if not (isinstance(event, Frame) and offer(self.listener, event)):
            super().process_event(event)

    def write_text(self, *messages: bytes) -> bool:
        """Send text messages now; False (and nothing sent) when the socket is not open or a
        fragmented message is being sent."""
        return self.send_in_progress is None and write_now(self.protocol, self.transport, messages)


class DirectClientConnection(DirectConnection, ClientConnection):
    """The client connection the `openai` library opens for a Realtime session."""


class DirectServerConnection(DirectConnection, ServerConnection):
    """The server side (the benchmark's fake Realtime server uses it)."""
