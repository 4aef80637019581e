"""`Sandbox`: what a vendor hands the conformance kit, and what the kit may do with it."""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from pms_adapters.contract import PMSAdapter
from pms_adapters.types import NewPatient, Window

# ACMA's numbers for fiction and testing: they ring no one, so a sandbox that texts
# appointment reminders cannot text a stranger.
_FICTIONAL_MOBILES = (
    "+61491570006",
    "+61491570156",
    "+61491570157",
    "+61491570158",
    "+61491570159",
    "+61491570110",
    "+61491570313",
    "+61491570737",
    "+61491571266",
    "+61491571491",
    "+61491571804",
    "+61491572549",
    "+61491572665",
    "+61491572983",
    "+61491573770",
    "+61491573087",
    "+61491574118",
    "+61491574632",
    "+61491575254",
    "+61491575789",
    "+61491576398",
    "+61491576801",
    "+61491577426",
    "+61491577644",
    "+61491578957",
    "+61491578148",
    "+61491578888",
    "+61491579212",
    "+61491579760",
    "+61491579455",
)


def unique_token() -> str:
    """Eight random lower-case letters: unique per patient, and a word any name search reads."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


def conformance_patient(token: str) -> NewPatient:
    """The default test patient: "Conformance Test <Token>", a fictional mobile, a birth date.

    The token makes the name unique (so searches find exactly this patient and a PMS's
    duplicate check does not object); the phone and birth date are derived from it.
    """
    digest = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "big")
    return NewPatient(
        first_name="Conformance",
        last_name=f"Test {token.capitalize()}",
        date_of_birth=date(1940, 1, 1) + timedelta(days=digest % 23_000),
        phones=(_FICTIONAL_MOBILES[digest % len(_FICTIONAL_MOBILES)],),
    )


@dataclass(frozen=True, kw_only=True)
class Sandbox:
    """A sandbox of the vendor's system that the kit may book, move and cancel in.

    - `adapter`: the adapter under test, connected to the sandbox (the fixture closes it).
    - `appointment_type_id`: a type the kit books; it must be bookable in `window`.
    - `window`: where the kit searches and books: in the future, inside the adapter's
      `max_slot_window_days`, with at least four free slots (two practitioners help).
    - `new_patient`: makes the patients the kit registers, from a unique lower-case token
      (default: `conformance_patient`); give it a phone and a birth date to test searches.
    - `patient_id`: an existing patient to book for, used only when the adapter cannot
      create patients (`capabilities.create_patients` is False).
    - `timeout`: seconds any one call may take before the kit calls the adapter stuck.

    The kit cancels what it booked when each test ends; the patients it registers remain.
    """

    adapter: PMSAdapter
    appointment_type_id: str
    window: Window
    new_patient: Callable[[str], NewPatient] = conformance_patient
    patient_id: str | None = None
    timeout: float = 30.0
