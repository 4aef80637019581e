"""Direct websocket frame paths for the media bridge: no task switch per audio frame.

A Realtime call moves about 50 small messages a second each way, and on the ordinary paths
every one of them wakes a task: uvicorn queues each frame as an ASGI event (pausing and
resuming the socket around it), `websockets` assembles each into a message for `recv()`, and
each send goes through an async context manager. That machinery, not the audio, is most of a
call's CPU. These two subclasses, built on the libraries' own extension points, let the bridge
handle the frames it cares about (caller audio, model audio, marks) right where the library
has parsed them, and write its answer into the library's own protocol object, synchronously:

- `DirectWebSocketProtocol`: uvicorn's sans-I/O websocket protocol (a server `--ws` class:
  `receptionist serve` uses it; `uvicorn --ws receptionist.telephony.direct:DirectWebSocketProtocol`
  too). It advertises itself to the app in the ASGI scope's `extensions` under
  `DIRECT_EXTENSION`; an app that never attaches a listener sees plain ASGI.
- `DirectClientConnection`: the `websockets` client connection the `openai` library opens for
  a Realtime session (passed as the `create_connection` connection option).

Framing, masking, control frames, closing and every frame the listener declines stay with the
libraries, so the protocol itself is never re-implemented here. Writes are synchronous: a peer
that stops reading grows the transport's buffer, and past `MAX_BUFFERED` bytes (over a minute
of audio) the connection is dropped rather than letting memory grow without bound.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.asyncio.client import ClientConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import State

logger = logging.getLogger(__name__)

DIRECT_EXTENSION = "receptionist.direct_frames"
MAX_BUFFERED = 1 << 20

# A listener gets a whole text message's UTF-8 bytes and returns True when it has handled it;
# anything it declines goes the ordinary way (an ASGI receive event, or `recv()`).
Listener = Callable[[bytes], bool]


def _call(listener: Listener, data: bytes) -> bool:
    try:
        return listener(data)
    except Exception as exc:  # a bug in a handler must not kill the socket; the frame is dropped
        logger.error("direct frame handler failed: %s", type(exc).__name__, exc_info=True)
        return True


class DirectWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, plus a direct listener and a synchronous write."""

    listener: Listener | None = None

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:  # the app runs as a task that has not started yet
            scope["extensions"][DIRECT_EXTENSION] = {"protocol": self}

    def handle_text(self, event: Frame) -> None:
        listener = self.listener
        if listener is not None and event.fin and not self.close_sent:
            if _call(listener, bytes(event.data)):
                return
        super().handle_text(event)

    def write_text(self, data: bytes) -> bool:
        """Send one text message now; False (and nothing sent) when the socket is closing."""
        if not self.handshake_complete or self.close_sent or self.transport.is_closing():
            return False
        self.conn.send_text(data)
        self.transport.write(b"".join(self.conn.data_to_send()))
        if self.transport.get_write_buffer_size() > MAX_BUFFERED:
            logger.warning("media socket dropped: the peer stopped reading")
            self.transport.abort()
        return True


class DirectClientConnection(ClientConnection):
    """The `websockets` client connection, plus a direct listener and a synchronous write."""

    listener: Listener | None = None

    def process_event(self, event: Any) -> None:
        listener = self.listener
        if (
            listener is not None
            and isinstance(event, Frame)
            and event.opcode is Opcode.TEXT
            and event.fin
            and _call(listener, bytes(event.data))
        ):
            return
        super().process_event(event)

    def write_text(self, data: bytes) -> bool:
        """Send one text message now; False (and nothing sent) when the socket is not open
        or a fragmented message is being sent."""
        if self.protocol.state is not State.OPEN or self.send_in_progress is not None:
            return False
        self.protocol.send_text(data)
        self.send_data()
        if self.transport.get_write_buffer_size() > MAX_BUFFERED:
            logger.warning("realtime socket dropped: the peer stopped reading")
            self.transport.abort()
        return True
