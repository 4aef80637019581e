"""What differs by country and language: emergency numbers, language names, spoken dates."""

from __future__ import annotations

from datetime import date

# The number a caller should ring in an emergency, by ISO 3166 country; 112 elsewhere (it works
# on GSM mobiles almost everywhere, and is the EU number).
EMERGENCY_NUMBERS: dict[str, str] = {
    "AU": "000",
    "NZ": "111",
    "GB": "999",
    "IE": "112",
    "US": "911",
    "CA": "911",
}
DEFAULT_EMERGENCY_NUMBER = "112"
DEFAULT_EMERGENCY_TEXT = (
    "If anyone may be in danger or needs urgent medical help, the caller should hang up "
    "and call {number} now."
)

LANGUAGE_NAMES = {
    "en-AU": "Australian English",
    "en-NZ": "New Zealand English",
    "en-GB": "British English",
    "en-IE": "Irish English",
    "en-US": "American English",
    "en-CA": "Canadian English",
}


def emergency_number(country: str) -> str:
    """The emergency number for an ISO 3166 alpha-2 country code (112 if not known)."""
    return EMERGENCY_NUMBERS.get(country.upper(), DEFAULT_EMERGENCY_NUMBER)


def language_name(language: str) -> str:
    """How to name a BCP-47 language to the model ('Australian English' for en-AU)."""
    return LANGUAGE_NAMES.get(language, language)


def speak_date(day: date, country: str) -> str:
    """A date as people there say it: 'Friday 3 April 2026' ('Friday, April 3, 2026' in the US)."""
    weekday = day.strftime("%A")
    month = day.strftime("%B")
    if country == "US":
        return f"{weekday}, {month} {day.day}, {day.year}"
    return f"{weekday} {day.day} {month} {day.year}"
