"""The clinic's rules from its call script, applied by the tools.

Which appointment types may be booked by phone, the cancellation notice to relay, whether a
transfer is possible now, and clinic facts. The script says what; this module decides when.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pms_adapters.types import AppointmentType
from receptionist.agent import script as scripts
from receptionist.agent.matching import fold
from receptionist.agent.script import CallScript

if TYPE_CHECKING:
    from receptionist.agent.toolbox import Clinic


def bookable_by_phone(script: CallScript, kind: AppointmentType) -> bool:
    """The PMS allows it and the script lists it (or lists "all")."""
    if not kind.bookable_by_phone:
        return False
    allowed = script.bookable_by_phone
    if allowed == "all":
        return True
    return fold(kind.name) in {fold(name) for name in allowed}


def late_notice(clinic: Clinic, starts_at: datetime) -> str:
    """The policy line to relay when a change comes with less notice than the script asks."""
    hours = clinic.script.policies.cancellation_notice_hours
    if not hours or starts_at - clinic.now() >= timedelta(hours=hours):
        return ""
    return f"{clinic.script.late_cancellation_notice.strip()} "


def clinic_info(clinic: Clinic, topic: str) -> str:
    """The script's answer on `topic`, for the clinic's own today (holidays have dates)."""
    return scripts.clinic_info(clinic.script, topic, today=clinic.today())


def transfer_refusal(clinic: Clinic) -> str | None:
    """Why a transfer cannot happen now, or None when it can."""
    transfer = clinic.script.transfer
    if transfer is None or not transfer.number:
        return "There is no one to transfer to. Offer to take a message instead."
    if transfer.only_during_hours and not clinic.script.is_open(clinic.local_now(), clinic.zone):
        return "The clinic is closed, so no one can take the call. Offer to take a message."
    return None
