"""What the telephony routes share: settings, clinics, the call record, Twilio control."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import openai
import phonenumbers

from receptionist.agent.session import CallSession, Outcome
from receptionist.calls import CallStore
from receptionist.settings import Settings
from receptionist.telephony import tokens
from receptionist.telephony.clinics import ClinicDirectory, LiveClinic
from receptionist.telephony.confirmations import confirmation_text
from receptionist.telephony.control import TwilioControl, TwilioError
from receptionist.telephony.ledger import Ledger, LedgerUnavailable
from receptionist.telephony.live import LiveCalls

logger = logging.getLogger(__name__)

# A used token is remembered this long past its expiry, for workers whose clocks run behind.
TOKEN_CLOCK_SLACK_S = 60.0


def caller_e164(raw: str | None) -> str | None:
    """The caller's number in E.164, or None for withheld, SIP or client callers."""
    if not raw or not raw.startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@dataclass
class Telephony:
    """The shared state of the telephony layer (one per worker)."""

    settings: Settings
    directory: ClinicDirectory
    store: CallStore
    control: TwilioControl | None
    # Shared by every worker: used call tokens, answered voice webhooks, lockout counts.
    ledger: Ledger
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    live: LiveCalls = field(default_factory=LiveCalls)
    _realtime: openai.AsyncOpenAI | None = None
    _chat: openai.AsyncOpenAI | None = None
    _background: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def token_secret(self) -> str:
        """Signs call tokens (its key is derived apart from the webhook signatures')."""
        return self.settings.webhook_auth_token

    async def admit(self, token: str, call_sid: str) -> tokens.CallClaims:
        """Let a call's websocket in: the token must be genuine, unexpired, for this call and
        not used before (raises `tokens.InvalidToken`). It is used up here, atomically for
        every worker, so a second socket with the same token is refused and the first call
        keeps its record. When the ledger cannot be reached nobody is let in."""
        claims = tokens.verify(token, self.token_secret, call_sid=call_sid)
        remaining = claims.expires - time.time() + TOKEN_CLOCK_SLACK_S
        try:
            first = await self.ledger.claim("call-token:" + token, remaining)
        except LedgerUnavailable as exc:
            raise tokens.InvalidToken("token ledger unreachable") from exc
        if not first:
            raise tokens.InvalidToken("token already used")
        return claims

    def public_url(self, path: str) -> str:
        base = (self.settings.public_base_url or "").rstrip("/")
        return f"{base}{path}"

    def realtime_client(self) -> openai.AsyncOpenAI:
        """One OpenAI client per worker for every call's Realtime session (sockets are
        per call; the client's configuration and TLS context are shared)."""
        if self._realtime is None:
            settings = self.settings
            key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unset"
            self._realtime = openai.AsyncOpenAI(
                api_key=key,
                base_url=settings.openai_base_url,
                websocket_base_url=settings.openai_websocket_base_url,
            )
        return self._realtime

    def chat_client(self) -> openai.AsyncOpenAI:
        """One Chat Completions client per worker, shared by every call's engine."""
        if self._chat is None:
            from receptionist.agent.runtime import openai_client

            self._chat = openai_client(self.settings)
        return self._chat

    async def open_session(self, call_sid: str, clinic: str, caller: str, mode: str) -> CallSession:
        """The session of a call whose socket just proved its token: it keeps the start time
        (and caller) the voice webhook recorded, so the record describes one call."""
        session = CallSession(
            clinic=clinic,
            caller_number=caller_e164(caller),
            mode=mode,
            id=call_sid,
            started_at=self.now(),
        )
        known = await self.store.fetch(call_sid)
        if known is not None:
            session.started_at = datetime.fromisoformat(known["started_at"])
            session.caller_number = session.caller_number or known.get("caller_number")
        return session

    def background(self, coroutine: Any) -> None:
        """Run something after the reply (an SMS) without holding the caller up."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background work (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def confirm_by_sms(
        self, live: LiveClinic, session: CallSession, outcome: Outcome, appointment: Any
    ) -> None:
        """Text the caller what the PMS recorded; failures are noted, never raised."""
        if self.control is None or not self.settings.sms_confirmations:
            return
        sender = live.sms_from
        to = session.caller_number
        if not sender or not to:
            return
        try:
            text = await confirmation_text(live.clinic, outcome, appointment)
            sent = await self.control.send_sms(to, text, from_=sender)
            session.notifications.append(
                {"kind": "sms", "outcome": outcome.value, "text": text, "sid": sent.sid}
            )
        except TwilioError as exc:
            session.errors.append(f"sms: {type(exc).__name__} {exc.code}")
            logger.warning(
                "SMS confirmation failed (code %s)", exc.code, extra={"call_id": session.id}
            )
        except Exception:
            session.errors.append("sms: unexpected error")
            logger.exception("SMS confirmation failed", extra={"call_id": session.id})
        await self.store.save(session)

    async def aclose(self) -> None:
        await self.drain()
        await self.directory.aclose()
        for client in (self._realtime, self._chat):
            if client is not None:
                await client.close()
        if self.control is not None:
            await self.control.aclose()
