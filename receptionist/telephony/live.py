"""The calls this worker is holding right now, so a status callback can end one cleanly.

Only live websockets are held in memory (a worker is otherwise stateless): the call record is
in the database, and a status callback that lands on another worker completes the record
there, while Twilio closes the socket here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class LiveCalls:
    """Call SID -> the task serving its websocket."""

    _tasks: dict[str, asyncio.Task[object]] = field(default_factory=dict)

    def add(self, call_sid: str, task: asyncio.Task[object]) -> None:
        self._tasks[call_sid] = task

    def remove(self, call_sid: str, task: asyncio.Task[object] | None = None) -> None:
        if task is None or self._tasks.get(call_sid) is task:
            self._tasks.pop(call_sid, None)

    def end(self, call_sid: str) -> bool:
        """Stop serving a call whose provider says it is over; True if it was live here."""
        task = self._tasks.get(call_sid)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def __len__(self) -> int:
        return len(self._tasks)

    def __contains__(self, call_sid: object) -> bool:
        return call_sid in self._tasks
