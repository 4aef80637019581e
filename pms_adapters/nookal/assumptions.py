"""Every behaviour of Nookal's v2 API that the spec marks UNCONFIRMED, each in one place.

The spec (`specs/nookal-api.md`) was rebuilt from secondary sources; nothing in it was checked
against a live account. Where the adapter has to assume something the spec flags as unverified,
the assumption lives here, as one constant or one small function, with the spec section it
comes from. When a live account shows otherwise, correct it here (and in the fake, under
`tests/fakes/nookal`, which plays the same assumptions back).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

# -- transport and envelope ---------------------------------------------------------------

AUTH_ERROR_CODES = frozenset({"L000_1"})
"""errorCodes that mean the key was refused (spec 3: `L000_1` is "verify called without a
key"; the code for a wrong key is unknown)."""

_AUTH_WORDS = re.compile(r"api[ _]?key|unauthori[sz]ed|not authori[sz]ed|access denied", re.I)


def is_auth_failure(code: str, texts: list[str]) -> bool:
    """Whether a `status: failure` body means the API key was missing or refused.

    UNCONFIRMED (spec 3): only `L000_1` and the alert "Missing variable: api_key" are known;
    we also treat any message that talks about the API key or authorisation as an auth failure.
    """
    return code in AUTH_ERROR_CODES or any(_AUTH_WORDS.search(t) for t in texts)


def is_missing_method_page(status: int, is_html: bool, text: str) -> bool:
    """Whether a non-JSON answer is Nookal's themed "404 page not found" page for an unknown
    method name. [LIVE] that it is an HTML page; UNCONFIRMED (spec 3) that the HTTP status is
    404, so an HTML page that says "not found" is read the same way under any status."""
    if status == 404:
        return True
    lowered = text[:20_000].lower()
    return is_html and ("page not found" in lowered or "hold it right there" in lowered)


# -- availability ---------------------------------------------------------------------------

DEFAULT_GRID_STEP_MINUTES = 15
"""The availability grid's step when a day has a single key to measure it from.
UNCONFIRMED (spec 7.5): "probably the diary increment, for example 15 minutes"."""


def run_end_minutes(last_available_minute: int, step_minutes: int) -> int:
    """Where a run of `available` grid keys ends when no `unavailable` key closes it.

    UNCONFIRMED (spec 7.5): a run that reaches the end of the day with no closing key is taken
    to end one grid step after its last key. A closing `unavailable` key one step later gives
    the same answer, so this is used for every run.
    """
    return last_available_minute + step_minutes


AVAILABLE = "available"
"""The grid status that means free (spec 7.5, [LIVE]); every other status is taken."""


# -- appointments -----------------------------------------------------------------------------


def parse_utc_timestamp(value: object) -> datetime | None:
    """`appointmentStartDateTimeUTC` and friends as an aware UTC datetime, or None.

    UNCONFIRMED (spec 7.6): the format of the UTC fields. We accept "YYYY-MM-DD HH:MM:SS" and
    ISO 8601 (with "T", with or without "Z"/offset); anything else (or a zero date) is None
    and the caller falls back to the local date and time in the location's zone.
    """
    if not isinstance(value, str) or not value.strip() or value.startswith("0000"):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def is_active_practitioner(row: Mapping[str, Any]) -> bool:
    """Whether a `getPractitioners` row is someone patients can book with.

    UNCONFIRMED (spec 7.3): the values of `ShowInDiary` and `status` are not documented. A row
    is left out only when one of them plainly says no ("0", "inactive", "false", "no").
    """
    for field in ("ShowInDiary", "status"):
        value = str(row.get(field, "")).strip().casefold()
        if value in {"0", "inactive", "false", "no", "disabled"}:
            return False
    return True


BOOKING_OVERLAP_PARAMS: dict[str, str] = {"allow_overlap_bookings": "0"}
"""Sent with every booking and move. UNCONFIRMED (spec 7.9): how "False" is parsed is unknown,
so we send 0."""

PATIENT_PHONE_PARAM = "mobile"
"""The `addPatient` field for the phone. UNCONFIRMED (spec 7.8): `phone` or `mobile`."""


def cancel_params(appointment_id: str, patient_id: str) -> dict[str, str]:
    """The `cancelAppointment` form fields.

    UNCONFIRMED (spec 7.11): no parameter for a cancellation reason is known, so none is sent
    (and `capabilities.cancellation_reasons` is False). The response body is unknown too: the
    adapter re-reads the appointment to confirm.
    """
    return {"appointment_id": appointment_id, "patient_id": patient_id}


MOVE_IN_PLACE_METHOD = "updateAppointmentBooking"
MOVE_BY_REBOOK_METHOD = "rebookAppointment"
"""The two ways to move an appointment (spec 7.10). UNCONFIRMED: that `updateAppointmentBooking`
keeps the id and that `rebookAppointment` makes a new one. The adapter uses the first unless
settings say `move_method = "rebook"`, and re-reads either way."""

PRACTITIONER_TYPES_METHOD = "getPractitionerAppointmentTypes"
"""Which services a practitioner delivers (spec 7.4): a "custom" method that may fail on
ordinary keys. UNCONFIRMED: its rows are taken to be service rows with an `ID`; when it fails,
every practitioner is taken to deliver every service (unless settings say otherwise)."""
