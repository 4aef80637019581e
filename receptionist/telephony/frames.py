"""What a call socket takes from Twilio: text frames of bounded size holding one JSON object,
and caller utterances of bounded length.

Twilio sends neither binary frames nor anything but JSON objects, and its frames are small (a
media frame is a few hundred bytes, a relay prompt a sentence). Anything else on an admitted
call's socket means the stream is broken or not Twilio's: the call ends cleanly (`BadFrame`
carries the reason and the close code), its record is kept, and the worker carries on. The
server's own limit (`ws_max_size`, from `max_frame_bytes`) refuses an oversize frame before it
is even read; the check here holds under any ASGI server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from receptionist.agent.session import CallSession

UNSUPPORTED_DATA = 1003
MESSAGE_TOO_BIG = 1009
DTMF_CHARS = 32  # a keypad entry longer than this is not a person pressing keys


class BadFrame(Exception):
    """A frame no Twilio call sends: the call ends, with this close code."""

    def __init__(self, reason: str, code: int = UNSUPPORTED_DATA) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def text_frame(event: Mapping[str, Any], limit: int) -> str | None:
    """The text of an ASGI websocket `receive` event, or None once the peer has gone."""
    if event["type"] == "websocket.disconnect":
        if event.get("code") == MESSAGE_TOO_BIG:
            raise BadFrame("a frame over the size limit", MESSAGE_TOO_BIG)
        return None
    text = event.get("text")
    if text is None:
        raise BadFrame("a binary frame")
    if len(text) > limit:  # characters: never more than the frame's bytes
        raise BadFrame("a frame over the size limit", MESSAGE_TOO_BIG)
    return str(text)


def json_object(text: str) -> dict[str, Any]:
    """The JSON object a frame holds."""
    try:
        value = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and text json cannot read at all
        raise BadFrame("a frame that is not JSON") from exc
    if not isinstance(value, dict):
        raise BadFrame("a frame that is not a JSON object")
    return value


def clip(text: str, limit: int) -> tuple[str, int]:
    """At most `limit` characters of an utterance (cut at a word where there is one near the
    limit), and how many characters were dropped."""
    text = text.strip()
    if len(text) <= limit:
        return text, 0
    cut = text[:limit]
    space = cut.rfind(" ", limit - 40)
    if space > 0:
        cut = cut[:space]
    return cut, len(text) - len(cut)


def caller_words(session: CallSession, value: object, limit: int, where: str) -> str:
    """What the caller said (or pressed), capped at `limit` characters; a cut is noted on the
    call's record (how much, never what)."""
    text, dropped = clip(str(value or ""), limit)
    if dropped:
        session.errors.append(f"{where}: utterance cut, {dropped} characters dropped")
    return text
