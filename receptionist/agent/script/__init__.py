"""Call scripts: what a clinic wants its receptionist to say, as validated YAML.

A clinic's script is a small YAML file (see `prompts/demo_clinic.yaml`) deep-merged over the
shipped `prompts/defaults.yaml`, then validated into a frozen `CallScript`; mistakes are
reported with the file and line of the offending key (`loading`). From a script come the LLM's
system instructions (`render_instructions`) and short spoken answers about the clinic
(`clinic_info`), which the agent fetches through a tool instead of carrying every fact in its
instructions.

Opening hours are wall-clock times in the clinic's zone. The script does not name the zone
(the practice-management system does); callers pass it: `is_open(at, clinic_zone=...)`.
Public holidays come from the `holidays` library by the script's `country` and `state`.

    model.py           CallScript, Persona, Location, Price, Faq
    policies.py        Policies, Transfer
    hours.py           OpeningHours, TimeRange and their parsing
    public_holidays.py PublicHolidays, HolidayCalendar: which days, and the clinic's rules
    locale.py          emergency numbers, language names, spoken dates
    loading.py         YAML with line numbers, merge over defaults, ScriptIssue, ScriptError
    instructions.py    render_instructions (prompts/instructions.j2)
    answers.py         clinic_info: hours, holidays, addresses, parking, prices, FAQs
"""

from __future__ import annotations

from receptionist.agent.script.answers import NO_INFORMATION, clinic_info, clinic_info_topics
from receptionist.agent.script.hours import WEEKDAYS, OpeningHours, TimeRange
from receptionist.agent.script.instructions import render_instructions
from receptionist.agent.script.loading import (
    ScriptError,
    ScriptIssue,
    demo_script,
    load_script,
    parse_script,
)
from receptionist.agent.script.locale import (
    DEFAULT_EMERGENCY_NUMBER,
    EMERGENCY_NUMBERS,
    emergency_number,
)
from receptionist.agent.script.model import CallScript, Faq, Location, Persona, Price
from receptionist.agent.script.policies import Policies, Transfer
from receptionist.agent.script.public_holidays import (
    HolidayCalendar,
    HolidayHours,
    PublicHolidays,
)

__all__ = [
    "DEFAULT_EMERGENCY_NUMBER",
    "EMERGENCY_NUMBERS",
    "NO_INFORMATION",
    "WEEKDAYS",
    "CallScript",
    "Faq",
    "HolidayCalendar",
    "HolidayHours",
    "Location",
    "OpeningHours",
    "Persona",
    "Policies",
    "Price",
    "PublicHolidays",
    "ScriptError",
    "ScriptIssue",
    "TimeRange",
    "Transfer",
    "clinic_info",
    "clinic_info_topics",
    "demo_script",
    "emergency_number",
    "load_script",
    "parse_script",
    "render_instructions",
]
