"""The calls this worker is holding right now, so a status callback can end one cleanly.

Only live websockets are held in memory (a worker is otherwise stateless): the call record is
in the database, and a status callback that lands on another worker completes the record
there, while Twilio closes the socket here. Each call registers how it is stopped: the call
then ends in order (the reply in flight stops, the record is saved, the sockets close), never
by cancelling the task that serves it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Stop = Callable[[], None]


@dataclass
class LiveCalls:
    """Call SID -> how to stop the call this worker is serving."""

    _calls: dict[str, Stop] = field(default_factory=dict)

    def add(self, call_sid: str, stop: Stop) -> None:
        self._calls[call_sid] = stop

    def remove(self, call_sid: str, stop: Stop | None = None) -> None:
        if stop is None or self._calls.get(call_sid) is stop:
            self._calls.pop(call_sid, None)

    def end(self, call_sid: str) -> bool:
        """Stop serving a call whose provider says it is over; True if it was live here."""
        stop = self._calls.pop(call_sid, None)
        if stop is None:
            return False
        stop()
        return True

    def __len__(self) -> int:
        return len(self._calls)

    def __contains__(self, call_sid: object) -> bool:
        return call_sid in self._calls
