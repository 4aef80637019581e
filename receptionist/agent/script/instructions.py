"""The LLM's system instructions for a call, rendered from `prompts/instructions.j2`.

Persona, voice style, the rules the tools enforce, emergencies and transfers; compact on
purpose, because clinic facts come from the clinic_info tool instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache

import jinja2

from prompts import data_file
from receptionist.agent.script.locale import language_name, speak_date
from receptionist.agent.script.model import CallScript, zone


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=True,
    )
    return environment.from_string(data_file("instructions.j2").read_text(encoding="utf-8"))


def render_instructions(
    script: CallScript,
    *,
    today: date,
    clinic_zone: str,
    appointment_types: Sequence[str] = (),
) -> str:
    """The LLM's system instructions for a call to this clinic.

    `today` is the date in the clinic's zone `clinic_zone` (an IANA name); `appointment_types`
    are the PMS's type names (to say which can be booked by phone; without them the script's
    own list is used).
    """
    zone(clinic_zone)  # fail early on a typo
    if appointment_types:
        phone_types = script.phone_bookable_types(appointment_types)
        other_types = [name for name in appointment_types if name not in phone_types]
    else:
        phone_types = [] if script.bookable_by_phone == "all" else list(script.bookable_by_phone)
        other_types = []
    return _template().render(
        script=script,
        clinic_name=script.clinic_name,
        persona=script.persona,
        language=language_name(script.language),
        today=speak_date(today, script.country),
        zone_label=clinic_zone.rsplit("/", 1)[-1].replace("_", " "),
        clinic_zone=clinic_zone,
        all_bookable=script.bookable_by_phone == "all" and not appointment_types,
        phone_types=phone_types,
        other_types=other_types,
        cancellation_notice=script.late_cancellation_notice,
        no_clinical_advice=script.policies.no_clinical_advice,
        emergency=script.emergency_instruction,
        transfer=script.transfer,
        hours_summary=script.hours_summary(),
    )
