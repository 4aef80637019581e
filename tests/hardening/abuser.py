"""A caller who floods the relay socket with the biggest prompts it takes, as fast as it can,
in a process of its own (so its own work is not counted against the service's other calls).

    python -m tests.hardening.abuser URL AUTH_TOKEN ACCOUNT_SID PUBLIC CALLER CALLED SECONDS
"""

from __future__ import annotations

import asyncio
import json
import sys

from receptionist.telephony.simulator import CallSimulator


async def main(argv: list[str]) -> None:
    url, auth_token, account_sid, public, caller, called, seconds = argv
    sim = CallSimulator(
        url, auth_token, public_base_url=public, account_sid=account_sid, caller=caller,
        called=called,
    )  # fmt: skip
    await sim.start()
    ws = sim._ws
    assert ws is not None
    flood = json.dumps(
        {"type": "prompt", "voicePrompt": "book me in " * 5800, "lang": "en-US", "last": True}
    )  # just under the 64 KiB frame limit
    print(f"flooding {sim.call_sid}", flush=True)
    loop = asyncio.get_running_loop()
    sent, end = 0, loop.time() + float(seconds)
    try:
        while loop.time() < end:
            await ws.send(flood)
            sent += 1
    finally:
        print(f"sent {sent}", flush=True)
        await sim.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
