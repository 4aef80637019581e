"""Short, opaque, tamper-evident slot ids.

A slot id packs what an adapter needs to book the slot again (practitioner, location,
appointment type, start) plus a truncated HMAC, so the agent can only hand back ids that an
adapter issued: a forged or altered id is a `SlotUnavailable`, not a booking somewhere else.
The ids carry no patient data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from pms_adapters.errors import SlotUnavailable

_MAC_BYTES = 6


@dataclass(frozen=True, slots=True)
class SlotKey:
    """What a slot id decodes to."""

    practitioner_id: str
    location_id: str
    appointment_type_id: str
    starts_at: datetime


class SlotCodec:
    """Encodes and checks slot ids with a secret; adapters sharing a secret share ids."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("slot id secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, key: SlotKey) -> str:
        """The id for `key`."""
        minute = int(key.starts_at.timestamp()) // 60
        payload = json.dumps(
            [key.practitioner_id, key.location_id, key.appointment_type_id, minute],
            separators=(",", ":"),
        ).encode()
        token = base64.urlsafe_b64encode(payload + self._mac(payload)).decode().rstrip("=")
        return token

    def decode(self, slot_id: str) -> SlotKey:
        """The key inside `slot_id`, or SlotUnavailable if it is malformed or was not ours."""
        try:
            raw = base64.urlsafe_b64decode(slot_id + "=" * (-len(slot_id) % 4))
            payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
            if not hmac.compare_digest(mac, self._mac(payload)):
                raise ValueError("bad mac")
            practitioner, location, appointment_type, minute = json.loads(payload)
            key = SlotKey(
                str(practitioner),
                str(location),
                str(appointment_type),
                datetime.fromtimestamp(int(minute) * 60, UTC),
            )
            if self.encode(key) != slot_id:  # one slot, one spelling: no padded variants
                raise ValueError("not the canonical spelling")
            return key
        except (ValueError, TypeError) as exc:
            raise SlotUnavailable("that slot reference is not valid; search again") from exc
