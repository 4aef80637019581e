"""The ConversationRelay websocket: Twilio does speech-to-text and text-to-speech, we talk text.

Twilio sends `setup`, then `prompt` (acted on when `last` is true), `dtmf`, `interrupt` and
`error`. The first message must be `setup` carrying the call's signed token (a `<Parameter>`
from the voice webhook's TwiML); without a valid one the socket is closed before anything
else happens. Replies stream back as `text` tokens while the engine writes them, then a
`last: true`. An `interrupt` cancels the reply in flight (a write already started finishes)
and keeps in the history only what the caller heard. When the receptionist transfers, takes a
voicemail or ends the call, we send `end` with hand-off data and Twilio asks the `<Connect>`
action URL what to do next.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.types import Message

from pms_adapters.budget import LocalTokenBucket
from receptionist.agent.conversation import Conversation
from receptionist.agent.runtime import make_engine, start_call
from receptionist.agent.session import CallSession, Outcome
from receptionist.telephony import frames, tokens
from receptionist.telephony.clinics import ClinicUnavailable, LiveClinic
from receptionist.telephony.service import Telephony

logger = logging.getLogger(__name__)

router = APIRouter()

SETUP_TIMEOUT = 10.0
NORMAL_CLOSURE = 1000
POLICY_VIOLATION = 1008
INTERRUPTED = "[interrupted]"
# How fast one call's turns are answered: a burst as big as any conversation's, then the pace
# of someone talking. A flood of prompts waits (and is answered as one); others never do.
TURN_BURST = 10
TURN_RATE = 3.0
# Twilio sends a few messages a second; a socket sending far more is read at this pace (the
# sender waits on TCP), so its frames cannot crowd out other calls either.
FRAME_BURST = 50
FRAME_RATE = 20.0
PACE_MAX_WAIT = 60.0


@router.websocket("/twilio/relay")
async def relay_socket(websocket: WebSocket) -> None:
    service: Telephony = websocket.app.state.telephony
    await websocket.accept()
    try:
        event = await asyncio.wait_for(websocket.receive(), SETUP_TIMEOUT)
        text = frames.text_frame(event, service.settings.max_frame_bytes)
        setup = frames.json_object(text) if text is not None else None
    except (TimeoutError, frames.BadFrame, RuntimeError):
        setup = None
    if setup is None:
        logger.warning("relay socket closed: no valid setup message")
        await _close(websocket)
        return
    call_sid = str(setup.get("callSid", ""))
    parameters = setup.get("customParameters")
    token = parameters.get("token") if isinstance(parameters, dict) else None
    try:
        if setup.get("type") != "setup" or not token:
            raise tokens.InvalidToken("no setup with a token")
        claims = await service.admit(str(token), call_sid)  # verified and used up
    except tokens.InvalidToken as exc:
        logger.warning("relay socket refused: %s", exc)
        await _close(websocket)
        return
    config = service.directory.config_for_key(claims.clinic)
    if config is None:
        await _close(websocket)
        return
    try:
        live = await service.directory.open(config)
    except ClinicUnavailable as exc:
        logger.warning("relay socket closed: clinic unavailable (%s)", type(exc).__name__)
        await _close(websocket)
        return
    session = await service.open_session(
        claims.call_sid, claims.clinic, str(setup.get("from") or ""), "relay"
    )
    call = RelayCall(service, live, websocket, session)
    service.live.add(claims.call_sid, call.stop)
    try:
        await call.run()
    finally:
        service.live.remove(claims.call_sid, call.stop)


async def _close(websocket: WebSocket, code: int = POLICY_VIOLATION) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close(code=code)


def mark_interrupted(session: CallSession) -> None:
    """Mark the receptionist's last words as cut short, in the record only."""
    for turn in reversed(session.transcript):
        if turn.role != "agent":
            return
        if not turn.text.endswith(INTERRUPTED):
            turn.text = f"{turn.text} {INTERRUPTED}".lstrip()
        return


class RelayCall:
    """One call on a ConversationRelay socket."""

    def __init__(
        self, service: Telephony, live: LiveClinic, websocket: WebSocket, session: CallSession
    ) -> None:
        self.service = service
        self.live = live
        self.websocket = websocket
        settings = service.settings
        if live.config.engine != "auto" or live.config.model:
            updates: dict[str, Any] = {}
            if live.config.engine != "auto":
                updates["engine"] = live.config.engine
            if live.config.model:
                updates["openai_model"] = live.config.model
            settings = settings.model_copy(update=updates)
        client = service.chat_client() if settings.use_openai else None
        self.conversation: Conversation = start_call(
            live.clinic,
            make_engine(live.clinic, settings, client=client),
            session=session,
            save=service.store.save,
        )
        self._reply: asyncio.Task[None] | None = None
        self._confirmed = 0
        self._receiving: asyncio.Future[Message] | None = None
        self._stopping = False
        # One waiting turn or frame at a time, so a wait never outgrows one token's refill.
        self._turns = LocalTokenBucket(TURN_RATE * 60, TURN_BURST, max_wait=PACE_MAX_WAIT)
        self._frames = LocalTokenBucket(FRAME_RATE * 60, FRAME_BURST, max_wait=PACE_MAX_WAIT)
        self._held: asyncio.Task[None] | None = None
        self._held_text = ""
        self._dropped = 0

    @property
    def session(self) -> CallSession:
        return self.conversation.session

    def stop(self) -> None:
        """End the call in order (its provider says it is over): the next read finds it so."""
        self._stopping = True
        if self._receiving is not None:
            self._receiving.cancel()

    async def run(self) -> None:
        await self.conversation.greet()  # Twilio speaks the welcome greeting itself
        limit = self.service.settings.max_frame_bytes
        try:
            while (event := await self._receive()) is not None:
                text = frames.text_frame(event, limit)
                if text is None:
                    break
                await self._handle(frames.json_object(text))
        except frames.BadFrame as exc:
            self.session.errors.append(f"relay: {exc.reason}; call ended")
            logger.warning("relay call ended: %s", exc.reason, extra={"call_id": self.session.id})
            await _close(self.websocket, exc.code)
        finally:
            if self._receiving is not None:
                self._receiving.cancel()
            if self._held is not None:
                self._held.cancel()
                self._held = None
            await self._stop_reply()
            await self.conversation.close()
        if self._stopping:
            await _close(self.websocket, NORMAL_CLOSURE)

    async def _receive(self) -> Message | None:
        """The next ASGI event from Twilio, or None once the call has been stopped."""
        await self._frames.acquire()
        if self._stopping:
            return None
        task = asyncio.ensure_future(self.websocket.receive())
        self._receiving = task
        try:
            await asyncio.wait({task})
        finally:
            self._receiving = None
        if task.cancelled():
            return None
        return task.result()

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if not isinstance(kind, str):
            raise frames.BadFrame("a message without a type")
        if kind == "prompt":
            if message.get("last", True) is False:
                return  # a partial transcript; act on the final one
            limit = self.service.settings.max_utterance_chars
            text = frames.caller_words(self.session, message.get("voicePrompt"), limit, "relay")
            if text:
                await self._start_reply(text)
        elif kind == "dtmf":
            digit = frames.caller_words(
                self.session, message.get("digit"), frames.DTMF_CHARS, "relay"
            )
            if digit:
                await self._start_reply(digit)
        elif kind == "interrupt":
            heard = str(message.get("utteranceUntilInterrupt") or "")
            if self._reply is not None and not self._reply.done():
                await self._stop_reply()
                self.conversation.interrupted(heard)
                mark_interrupted(self.session)
                await self.conversation.save()
        elif kind == "error":
            description = str(message.get("description") or "")[:200]
            self.session.errors.append(f"relay: {description}")
            logger.warning("relay error from Twilio", extra={"call_id": self.session.id})
        elif kind != "setup":
            logger.info("relay: ignored message type %s", kind[:40])

    async def _start_reply(self, text: str) -> None:
        """Answer what the caller said, at the pace a person can talk: a burst of turns goes
        at once, then at most `TURN_RATE` a second; words that arrive meanwhile are held and
        answered together (up to the utterance cap), so a flood of prompts costs the worker
        a bounded share of its time and every other call keeps its pace."""
        if self._held is not None:
            self._held_text = self._joined(self._held_text, text)
            return
        wait = self._turns.reserve()
        if wait <= 0:
            await self._begin_reply(text)
            return
        self._held_text = text
        self._held = asyncio.create_task(self._release_held(wait))

    def _joined(self, held: str, text: str) -> str:
        joined, dropped = frames.clip(f"{held} {text}", self.service.settings.max_utterance_chars)
        if dropped:
            self._dropped += dropped
        return joined

    async def _release_held(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self._held = None
        text, self._held_text = self._held_text, ""
        if self._dropped:
            self.session.errors.append(
                f"relay: turns held back, {self._dropped} characters dropped"
            )
            self._dropped = 0
        await self._begin_reply(text)

    async def _begin_reply(self, text: str) -> None:
        if self._reply is not None and not self._reply.done():
            # The caller spoke again before the reply ended: it is cut, and the record says so.
            await self._stop_reply()
            mark_interrupted(self.session)
        self._reply = asyncio.create_task(self._speak(text))

    async def _stop_reply(self) -> None:
        task = self._reply
        self._reply = None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _send(self, message: dict[str, Any]) -> None:
        await self.websocket.send_text(json.dumps(message))

    async def _speak(self, text: str) -> None:
        try:
            # Closed here, not whenever it is collected: a cut reply is recorded at once.
            async with contextlib.aclosing(self.conversation.reply(text)) as pieces:
                async for piece in pieces:
                    await self._send({"type": "text", "token": piece, "last": False})
            await self._send({"type": "text", "token": "", "last": True})
        except (WebSocketDisconnect, RuntimeError):
            return
        self._confirm_writes()
        if self.conversation.finished or self.session.voicemail_requested:
            await self._send({"type": "end", "handoffData": json.dumps(self._handoff())})

    def _confirm_writes(self) -> None:
        for outcome, appointment in self.session.writes[self._confirmed :]:
            self.service.background(
                self.service.confirm_by_sms(self.live, self.session, outcome, appointment)
            )
        self._confirmed = len(self.session.writes)

    def _handoff(self) -> dict[str, Any]:
        session = self.session
        if Outcome.TRANSFERRED in session.actions and self.live.transfer_number:
            return {"reason": "transfer", "to": self.live.transfer_number}
        if session.voicemail_requested:
            return {"reason": "voicemail"}
        return {"reason": "hangup"}
