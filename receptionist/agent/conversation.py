"""A conversation: one call's session, its engine, the fallback, and the record kept as it goes.

`Conversation.reply` records the caller's words, streams the engine's reply and records it,
with the latency from the caller's last word to the first piece of the reply. When the engine
fails (`EngineUnavailable`) the guided engine takes over for the rest of the call, starting
with the same utterance, so the caller hears a short apology rather than silence.

The record says who said what: each agent turn names the engine that produced it (the
apology belongs to the fallback that says it), and `session.engines` lists the engine that
answered the call, then the fallback only once it has really taken over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from receptionist.agent.engines import Engine, EngineUnavailable
from receptionist.agent.session import CallSession, Outcome, Turn
from receptionist.agent.toolbox import Toolbox

logger = logging.getLogger(__name__)

HANDOVER = "Sorry, bear with me a moment. "
NO_ENGINE = (
    "Sorry, I'm having trouble on my end. Please call back shortly, or stay on the line and "
    "I'll take a message."
)

Saver = Callable[[CallSession], Awaitable[None]]


@dataclass
class _Spoken:
    """The part of one reply that one engine said, and when its first piece came."""

    engine: str
    first_ms: float
    parts: list[str] = field(default_factory=list)


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
        self._reply_turns: list[Turn] = []  # the agent turns of the latest reply
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
        self._reply_turns = [self.session.add_turn("agent", text, engine=self.engine.name)]
        self.engine.said(text)
        if self._fallback is not None and self._fallback is not self.engine:
            self._fallback.said(text)
        await self.save()
        return text

    async def reply(self, caller_text: str) -> AsyncGenerator[str, None]:
        """Stream the reply to one caller utterance.

        The reply is recorded as one agent turn per engine that spoke in it: normally one; on
        a hand-over, what the failing engine had already said (if anything) under its name,
        then the apology and the fallback's reply under the fallback's. Each turn's latency
        runs from the caller's words to that turn's first piece, which is what the caller
        waited for.
        """
        self.session.add_turn("caller", caller_text)
        started = time.perf_counter()
        spoken: list[_Spoken] = []
        try:
            async for engine, piece in self._respond(caller_text):
                if not spoken or spoken[-1].engine != engine:
                    spoken.append(_Spoken(engine, (time.perf_counter() - started) * 1000))
                spoken[-1].parts.append(piece)
                yield piece
        finally:
            self._reply_turns = []
            for part in spoken:
                text = "".join(part.parts).strip()
                if text:
                    turn = self.session.add_turn(
                        "agent", text, engine=part.engine, latency_ms=part.first_ms
                    )
                    self._reply_turns.append(turn)
            await self.save()

    async def _respond(self, caller_text: str) -> AsyncIterator[tuple[str, str]]:
        """(engine name, piece) in speaking order, handing over to the fallback on failure."""
        engine = self.engine
        try:
            async for piece in engine.respond(self.box, caller_text):
                yield engine.name, piece
            return
        except EngineUnavailable as exc:
            self.session.errors.append(f"engine {engine.name}: {exc}")
            logger.warning(
                "engine %s unavailable; handing over", engine.name,
                extra={"call_id": self.session.id},
            )  # fmt: skip
        fallback = self._fallback
        if fallback is None or fallback is engine:
            # No one to take over: the apology is the failing engine's last word.
            yield engine.name, NO_ENGINE
            return
        # The fallback takes the call from here: it enters the record now, not before.
        self.engine = fallback
        if fallback.name not in self.session.engines:
            self.session.engines.append(fallback.name)
        yield fallback.name, HANDOVER
        async for piece in fallback.respond(self.box, caller_text):
            yield fallback.name, piece

    def interrupted(self, heard: str) -> None:
        """The caller barged in: keep only what they heard of the last reply (which may span
        two turns after a hand-over; the heard text is shared out in speaking order)."""
        turns = list(self._reply_turns)
        if not turns:
            turns = [t for t in self.session.transcript if t.role == "agent"][-1:]
        left = heard
        for turn in turns:
            if left.startswith(turn.text):
                left = left[len(turn.text) :].lstrip()
            else:
                turn.text, left = left.strip(), ""
        # A later part the caller never heard was never said; the first stays, even if empty.
        for turn in turns[1:]:
            if not turn.text:
                self.session.transcript.remove(turn)
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
