"""A conversation: one call's session, its engine, the fallback, and the record kept as it goes.

`Conversation.reply` records the caller's words, streams the engine's reply and records it,
with the latency from the caller's last word to the first piece of the reply. When the engine
fails (`EngineUnavailable`) the guided engine takes over for the rest of the call, starting
with the same utterance, so the caller hears a short apology rather than silence.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from receptionist.agent.engines import Engine, EngineUnavailable
from receptionist.agent.session import CallSession, Outcome
from receptionist.agent.toolbox import Toolbox

logger = logging.getLogger(__name__)

HANDOVER = "Sorry, bear with me a moment. "
NO_ENGINE = (
    "Sorry, I'm having trouble on my end. Please call back shortly, or stay on the line and "
    "I'll take a message."
)

Saver = Callable[[CallSession], Awaitable[None]]


class Conversation:
    """Drives one call: greet, reply turn by turn, close."""

    def __init__(
        self,
        box: Toolbox,
        engine: Engine,
        *,
        fallback: Engine | None = None,
        save: Saver | None = None,
    ) -> None:
        self.box = box
        self.engine = engine
        self._fallback = fallback
        self._save = save
        if engine.name not in box.session.engines:
            box.session.engines.append(engine.name)

    @property
    def session(self) -> CallSession:
        return self.box.session

    @property
    def finished(self) -> bool:
        """The receptionist ended the call or handed it to a person."""
        return self.session.end_requested or Outcome.TRANSFERRED in self.session.actions

    async def greet(self) -> str:
        """The script's greeting, said first and recorded."""
        text = self.box.clinic.script.greeting
        self.session.add_turn("agent", text, engine=self.engine.name)
        self.engine.said(text)
        if self._fallback is not None and self._fallback is not self.engine:
            self._fallback.said(text)
        await self.save()
        return text

    async def reply(self, caller_text: str) -> AsyncIterator[str]:
        """Stream the reply to one caller utterance."""
        self.session.add_turn("caller", caller_text)
        started = time.perf_counter()
        first: float | None = None
        parts: list[str] = []
        try:
            async for piece in self._respond(caller_text):
                if first is None:
                    first = (time.perf_counter() - started) * 1000
                parts.append(piece)
                yield piece
        finally:
            text = "".join(parts).strip()
            if text:
                self.session.add_turn("agent", text, engine=self.engine.name, latency_ms=first)
            await self.save()

    async def _respond(self, caller_text: str) -> AsyncIterator[str]:
        try:
            async for piece in self.engine.respond(self.box, caller_text):
                yield piece
            return
        except EngineUnavailable as exc:
            self.session.errors.append(f"engine {self.engine.name}: {exc}")
            logger.warning(
                "engine %s unavailable; handing over", self.engine.name,
                extra={"call_id": self.session.id},
            )  # fmt: skip
        fallback = self._fallback
        if fallback is None or fallback is self.engine:
            yield NO_ENGINE
            return
        self.engine = fallback
        if fallback.name not in self.session.engines:
            self.session.engines.append(fallback.name)
        yield HANDOVER
        async for piece in fallback.respond(self.box, caller_text):
            yield piece

    def interrupted(self, heard: str) -> None:
        """The caller barged in: keep only what they heard of the last reply."""
        for turn in reversed(self.session.transcript):
            if turn.role == "agent":
                turn.text = heard
                break
        truncate = getattr(self.engine, "heard_only", None)
        if callable(truncate):
            truncate(heard)

    async def close(self) -> Outcome:
        """The call is over: fix the outcome and save the record."""
        outcome = self.session.close()
        await self.save()
        return outcome

    async def save(self) -> None:
        if self._save is None:
            return
        try:
            await self._save(self.session)
        except Exception:  # a failing record store must not drop the call
            logger.exception("could not save the call record", extra={"call_id": self.session.id})
