"""Serving the fake Nookal over real HTTP: uvicorn on 127.0.0.1, a free port, in a thread."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import uvicorn

from tests.fakes.nookal.app import create_app
from tests.fakes.nookal.state import FakeNookal


@contextlib.contextmanager
def serve(fake: FakeNookal) -> Iterator[str]:
    """Serve `fake` until the block ends; yields the v2 base URL
    (`http://127.0.0.1:<port>/production/v2`), the adapter's `base_url` setting."""
    fake.closing.clear()
    config = uvicorn.Config(
        create_app(fake),
        loop="asyncio",
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="fake-nookal")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake Nookal server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/production/v2"
    finally:
        fake.closing.set()
        server.should_exit = True
        thread.join(timeout=10)
