"""Short-lived signed tokens that tie a call's websocket to the webhook that answered it.

The voice webhook (signed by Twilio) issues a token naming the call and the clinic; TwiML
passes it to the websocket as a `<Parameter>`; the socket checks it before doing anything
else. A token for another call, a stale one, or a forged one is refused; one already used is
refused by `Telephony.admit`, which consumes it in the shared ledger.

A token is `claims.mac`: the claims are not secret, the MAC is. `unsealed` and `seal` let the
voice webhook remember its answer without storing a usable token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass


class InvalidToken(Exception):
    """The token is forged, altered, stale or for another call."""


@dataclass(frozen=True)
class CallClaims:
    call_sid: str
    clinic: str
    expires: float


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"call-token\x00" + secret.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(call_sid: str, clinic: str, secret: str, ttl: float, now: float | None = None) -> str:
    """A token for this call at this clinic, valid for `ttl` seconds."""
    expires = (time.time() if now is None else now) + ttl
    body = _b64(json.dumps({"c": call_sid, "k": clinic, "e": round(expires, 3)}).encode())
    return seal(body, secret)


def seal(claims: str, secret: str) -> str:
    """The token for these (encoded) claims: the claims and their MAC."""
    mac = hmac.new(_key(secret), claims.encode(), hashlib.sha256).digest()[:18]
    return f"{claims}.{_b64(mac)}"


def unsealed(token: str) -> str:
    """A token's encoded claims without its MAC: safe to store, useless as a token."""
    return token.partition(".")[0]


def verify(
    token: str, secret: str, *, call_sid: str | None = None, now: float | None = None
) -> CallClaims:
    """The claims of a genuine, unexpired token (for `call_sid`, when given)."""
    body, sep, mac = token.partition(".")
    if not sep or not body or not mac:
        raise InvalidToken("malformed token")
    expected = hmac.new(_key(secret), body.encode(), hashlib.sha256).digest()[:18]
    try:
        given = _unb64(mac)
        claims = json.loads(_unb64(body))
    except (ValueError, json.JSONDecodeError) as exc:
        raise InvalidToken("malformed token") from exc
    if not hmac.compare_digest(expected, given):
        raise InvalidToken("bad signature")
    if not isinstance(claims, dict) or not {"c", "k", "e"} <= claims.keys():
        raise InvalidToken("malformed claims")
    if float(claims["e"]) < (time.time() if now is None else now):
        raise InvalidToken("token expired")
    if call_sid is not None and claims["c"] != call_sid:
        raise InvalidToken("token is for another call")
    return CallClaims(str(claims["c"]), str(claims["k"]), float(claims["e"]))
