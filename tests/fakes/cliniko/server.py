"""Serving the fake over real HTTP: uvicorn in a thread on 127.0.0.1, on a free port.

`FakeClinikoServer` serves whichever `FakeCliniko` is in its `fake` attribute, so one server
can live for a whole test session while each test swaps in a fresh account (`use`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import uvicorn

from tests.fakes.cliniko.app import create_app
from tests.fakes.cliniko.state import FakeCliniko


class FakeClinikoServer:
    """A running fake: `url` is the API base (`http://127.0.0.1:<port>/v1`)."""

    def __init__(self, fake: FakeCliniko) -> None:
        self.fake = fake
        config = uvicorn.Config(
            create_app(lambda: self.fake),
            loop="asyncio",
            host="127.0.0.1",
            port=0,
            log_level="warning",
            timeout_graceful_shutdown=2,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.url = ""

    def start(self) -> FakeClinikoServer:
        """Start serving; returns once the port is bound."""
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake Cliniko server did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    def use(self, fake: FakeCliniko) -> FakeCliniko:
        """Serve `fake` from now on; returns it."""
        self.fake = fake
        return fake

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)


@contextlib.contextmanager
def serve_fake(fake: FakeCliniko) -> Iterator[FakeClinikoServer]:
    """Serve `fake` over HTTP for the duration of the block."""
    server = FakeClinikoServer(fake).start()
    try:
        yield server
    finally:
        server.stop()
