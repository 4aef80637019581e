"""Call control and SMS through Twilio's REST API, via the official `twilio` library.

The library's client is synchronous (`requests` underneath), so every REST call runs in a worker
thread (`anyio.to_thread.run_sync`): the event loop that carries live audio and relay sockets never
waits on Twilio. A REST call is not abandoned when its task is cancelled; the cancellation takes
effect once the request returns, which the client `timeout` bounds. That way a hang-up or a
redirect is never left half-known.

Failures come back as `TwilioError` (with Twilio's `.code` and the HTTP `.status`); `CallGone`
means the call has already ended, which callers treat as done. Error texts and log lines carry
SIDs, codes and statuses, never message bodies, phone numbers or the auth token.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio.to_thread
from twilio.base.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.http_client import TwilioHttpClient  # type: ignore[import-untyped, unused-ignore]
from twilio.rest import Client  # type: ignore[import-untyped, unused-ignore]

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Twilio answers 404/20404 for a call it no longer knows, and 400/21220 ("Call is not in-progress.
# Cannot redirect.") for an update to a call that has already ended.
NOT_FOUND = 20404
NOT_IN_PROGRESS = 21220

_SID = re.compile(r"^[A-Za-z0-9]{2,64}$")
_MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
# Anything that looks like a phone number in an error text Twilio sent back ("Invalid 'To' Phone
# Number: +6141..."): at least six digits, optionally led by +, with the usual separators.
# Not inside a word or a path, so SIDs and "/2010-04-01/" survive.
_PHONE_LIKE = re.compile(r"(?<![\w/])[+(]?\d[\d ().-]{4,}\d(?![\w/])")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class TwilioError(Exception):
    """A Twilio REST failure: `.code` is Twilio's error code (None for transport failures),
    `.status` the HTTP status (None when no response arrived)."""

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class CallGone(TwilioError):
    """The call has already ended (404/20404, or 400/21220 for an update to a finished call)."""


@dataclass(frozen=True)
class SentMessage:
    """What Twilio accepted: the message SID and its first status (normally "queued")."""

    sid: str
    status: str


class TwilioControl:
    """Send SMS, hang up and redirect live calls, through the official `twilio` library.

    `api_base_url` None talks to the real `https://api.twilio.com`. Tests pass a fake's URL
    ("http://127.0.0.1:1234"): it replaces the API domain's base URL inside the library, so the
    library still builds every path, form body, header and Basic-auth credential itself.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        api_base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("a Twilio account SID and auth token are required")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._auth_token = auth_token
        self._http = TwilioHttpClient(timeout=timeout)
        self._client: Any = Client(account_sid, auth_token, http_client=self._http)
        self._closed = False
        if api_base_url is not None:
            # The API domain object keeps its base URL in `base_url`; every v2010 resource
            # (Calls, Messages) builds `{base_url}/2010-04-01/Accounts/{AC}/...` from it.
            self._client.api.base_url = api_base_url.rstrip("/")
            # TWILIO_EDGE / TWILIO_REGION from the environment would rewrite the host into
            # `api.{edge}.{region}.twilio.com`; an explicit base URL must be used as given.
            self._client.edge = None
            self._client.region = None
            if urlsplit(api_base_url).hostname in _LOOPBACK and self._http.session is not None:
                # A local fake: no HTTP(S)_PROXY from the environment in between.
                self._http.session.trust_env = False

    async def send_sms(
        self, to: str, body: str, *, from_: str, status_callback: str | None = None
    ) -> SentMessage:
        """Send a text. `from_` is a number, an alphanumeric sender ID or a Messaging Service
        SID ("MG..."), which Twilio takes as MessagingServiceSid instead of From."""
        kwargs: dict[str, str] = {"to": to, "body": body}
        if _MESSAGING_SERVICE.match(from_):
            kwargs["messaging_service_sid"] = from_
        else:
            kwargs["from_"] = from_
        if status_callback is not None:
            kwargs["status_callback"] = status_callback
        create = functools.partial(self._client.messages.create, **kwargs)
        message = await self._run("create message", create)
        sent = SentMessage(sid=str(message.sid), status=str(message.status or ""))
        logger.info("SMS accepted by Twilio: %s (%s)", sent.sid, sent.status)
        return sent

    async def hang_up(self, call_sid: str) -> None:
        """End the call (Status=completed). A call that has already ended counts as done."""
        self._check_sid(call_sid)
        update = functools.partial(self._client.calls(call_sid).update, status="completed")
        try:
            await self._run("hang up call", update)
        except CallGone:
            logger.info("Hang-up of %s: the call had already ended", call_sid)
            return
        logger.info("Hung up %s", call_sid)

    async def redirect(self, call_sid: str, twiml: str) -> None:
        """Replace the call's running TwiML (ending any stream). Raises CallGone if it ended."""
        self._check_sid(call_sid)
        update = functools.partial(self._client.calls(call_sid).update, twiml=twiml)
        await self._run("redirect call", update)
        logger.info("Redirected %s to new TwiML", call_sid)

    async def aclose(self) -> None:
        """Close pooled connections. Calls after this raise TwilioError."""
        if self._closed:
            return
        self._closed = True
        session = self._http.session
        if session is not None:
            session.close()

    async def __aenter__(self) -> TwilioControl:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @staticmethod
    def _check_sid(call_sid: str) -> None:
        # The library puts the SID into the URL path as-is; refuse anything that is not a SID.
        if not _SID.match(call_sid):
            raise ValueError("not a call SID")

    async def _run(self, operation: str, fn: Callable[[], T]) -> T:
        if self._closed:
            raise TwilioError(f"Twilio {operation}: the client is closed")
        try:
            return await anyio.to_thread.run_sync(fn)
        except (TwilioRestException, TwilioServiceException) as exc:
            error = self._rest_error(operation, exc)
        except OSError as exc:  # requests' ConnectionError, Timeout etc. derive from OSError
            logger.warning("Twilio %s: no response (%s)", operation, type(exc).__name__)
            raise TwilioError(f"Twilio {operation}: no response ({type(exc).__name__})") from exc
        except TwilioException as exc:
            logger.warning("Twilio %s failed (%s)", operation, type(exc).__name__)
            raise TwilioError(f"Twilio {operation} failed ({type(exc).__name__})") from None
        if not isinstance(error, CallGone):
            logger.warning(
                "Twilio %s failed: HTTP %s, code %s", operation, error.status, error.code
            )
        # Not chained: the library's exception text may quote phone numbers back.
        raise error from None

    def _rest_error(self, operation: str, exc: Any) -> TwilioError:
        status = _as_int(getattr(exc, "status", None))
        code = _as_int(getattr(exc, "code", None))
        if isinstance(exc, TwilioServiceException):
            text = str(exc.title or "")
        else:
            text = str(exc.msg or "")
        message = f"Twilio {operation} failed: HTTP {status}, code {code}: {self._scrub(text)}"
        gone = status == 404 or code in (NOT_FOUND, NOT_IN_PROGRESS)
        cls = CallGone if gone and operation != "create message" else TwilioError
        return cls(message, code=code, status=status)

    def _scrub(self, text: str) -> str:
        text = text.replace(self._auth_token, "[auth token]")
        return _PHONE_LIKE.sub("[number]", text)[:300]


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
