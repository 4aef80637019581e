"""Call scripts: the demo script, defaults, loading with line numbers, emergencies.

The sample scripts and helpers here are shared by the other test_script_*.py modules.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from receptionist.agent.script import (
    ScriptError,
    ScriptIssue,
    demo_script,
    emergency_number,
    load_script,
    parse_script,
    render_instructions,
)

SYDNEY = "Australia/Sydney"
DEMO_TYPES = [
    "Initial physiotherapy consultation",
    "Physiotherapy follow-up",
    "Remedial massage",
    "Clinical pilates assessment",
]

MINIMAL = """\
clinic_name: Test Physio
greeting: Thanks for calling Test Physio. How can I help?
country: AU
hours:
  monday: "08:00-18:00"
  tuesday: "08:00-18:00"
  wednesday: "08:00-18:00"
  thursday: "08:00-18:00"
  friday: "08:00-18:00"
  saturday: "08:00-12:00"
  sunday: closed
"""


def line_of(text: str, snippet: str) -> int:
    """1-based line of the first line containing `snippet`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if snippet in line:
            return number
    raise AssertionError(f"{snippet!r} not in text")


def only_issue(text: str, *, source: str = "clinic.yaml") -> ScriptIssue:
    with pytest.raises(ScriptError) as caught:
        parse_script(text, source=source)
    assert len(caught.value.errors) == 1, str(caught.value)
    return caught.value.errors[0]


# The demo's anchor: Monday 2 March 2026, the clinic's today in the fixtures.
ANCHOR = date(2026, 3, 2)


# -- the demo script -------------------------------------------------------------------------


def test_demo_script_loads_with_the_seeded_clinic() -> None:
    script = demo_script()
    assert script.clinic_name == "Harbourside Physio"
    assert script.country == "AU"
    assert script.language == "en-AU"
    assert [loc.name for loc in script.locations] == ["Surry Hills", "Parramatta"]
    assert all(loc.parking and loc.address for loc in script.locations)
    assert 5 <= len(script.faqs) <= 8
    assert len(script.prices) == 4
    assert script.policies.cancellation_notice_hours == 24
    assert script.emergency_number == "000"
    assert "000" in script.emergency_instruction
    assert script.transfer.number is not None and script.transfer.number.startswith("+612")
    assert script.transfer.only_during_hours
    assert script.sms_sender == "Harbourside"
    assert script.phone_bookable_types(DEMO_TYPES) == DEMO_TYPES[:3]
    assert not script.is_phone_bookable("clinical PILATES assessment")
    assert script.is_phone_bookable("remedial MASSAGE")


def test_demo_prices_cover_every_seeded_appointment_type() -> None:
    items = " ".join(p.item.casefold() for p in demo_script().prices)
    for name in DEMO_TYPES:
        assert name.casefold() in items


def test_the_shipped_demo_file_checks_from_disk() -> None:
    path = Path(__file__).resolve().parents[2] / "prompts" / "demo_clinic.yaml"
    assert load_script(path) == demo_script()


def test_script_is_frozen() -> None:
    script = demo_script()
    with pytest.raises(ValueError):
        script.clinic_name = "Other"  # type: ignore[misc]


# -- defaults ---------------------------------------------------------------------------------


def test_defaults_fill_in_what_the_clinic_leaves_out() -> None:
    script = parse_script(MINIMAL)
    assert script.persona.name
    assert script.persona.tone
    assert script.policies.cancellation_notice_hours == 24
    assert "24 hours" in script.late_cancellation_notice
    assert "{hours}" not in script.late_cancellation_notice
    assert script.policies.new_patients
    assert script.policies.no_clinical_advice
    assert script.bookable_by_phone == "all"
    assert script.transfer.number is None
    assert script.transfer.when  # default reasons
    assert script.language == "en-AU"  # from the country


def test_clinic_values_merge_key_by_key_over_the_defaults() -> None:
    text = MINIMAL + (
        "policies:\n"
        "  cancellation_notice_hours: 48\n"
        "persona:\n"
        "  name: Kim\n"
        "transfer:\n"
        '  number: "+61 2 5550 4321"\n'
        "  when: [the caller asks for a person]\n"
    )
    script = parse_script(text)
    assert script.policies.cancellation_notice_hours == 48
    assert "48 hours" in script.late_cancellation_notice
    assert script.policies.new_patients  # still from the defaults
    assert script.persona.name == "Kim"
    assert script.persona.tone  # still from the defaults
    assert script.transfer.number == "+61255504321"  # normalised to E.164
    assert script.transfer.when == ("the caller asks for a person",)  # lists are replaced


def test_without_defaults_the_policies_are_required() -> None:
    with pytest.raises(ScriptError) as caught:
        parse_script(MINIMAL, source="clinic.yaml", defaults=False)
    paths = {issue.path for issue in caught.value.errors}
    assert {"persona", "policies"} <= paths
    assert all(issue.line is None for issue in caught.value.errors)
    assert "clinic.yaml: policies: required, but not given" in str(caught.value)


# -- validation errors carry line numbers ------------------------------------------------------


def test_unknown_key_is_an_error_with_a_hint_and_its_line() -> None:
    text = MINIMAL.replace("  wednesday:", "  wednsday:")
    with pytest.raises(ScriptError) as caught:
        parse_script(text, source="clinic.yaml")
    issues = {issue.path: issue for issue in caught.value.errors}
    typo = issues["hours.wednsday"]
    assert typo.line == line_of(text, "wednsday")
    assert typo.message == "unknown key 'wednsday' (did you mean 'wednesday'?)"
    # The day it should have been is missing: blamed on the enclosing `hours:` key.
    assert issues["hours.wednesday"].line == line_of(text, "hours:")


def test_unknown_top_level_key_without_a_close_match() -> None:
    text = MINIMAL + "favourite_colour: blue\n"
    issue = only_issue(text)
    assert issue.path == "favourite_colour"
    assert issue.line == line_of(text, "favourite_colour")
    assert issue.message == "unknown key 'favourite_colour'"


def test_unknown_key_in_a_list_item() -> None:
    text = MINIMAL + "faqs:\n  - question: Parking?\n    answr: Out the back.\n"
    with pytest.raises(ScriptError) as caught:
        parse_script(text, source="clinic.yaml")
    issues = {issue.path: issue for issue in caught.value.errors}
    assert issues["faqs[0].answr"].line == line_of(text, "answr")
    assert "did you mean 'answer'" in issues["faqs[0].answr"].message


def test_wrong_type_reports_the_line_in_the_expected_format() -> None:
    text = MINIMAL + "policies:\n  cancellation_notice_hours: a day\n"
    issue = only_issue(text)
    line = line_of(text, "cancellation_notice_hours")
    assert issue == ScriptIssue(
        line,
        "policies.cancellation_notice_hours",
        "Input should be a valid integer, unable to parse string as an integer",
        "clinic.yaml",
    )
    assert str(issue) == (
        f"clinic.yaml:{line}: policies.cancellation_notice_hours: "
        "Input should be a valid integer, unable to parse string as an integer"
    )


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ('"08:00-25:00"', "'25:00' in '08:00-25:00' is not a 24-hour time like 08:30"),
        ('"18:00-08:00"', "'18:00-08:00' closes before it opens"),
        ('"9 to 5"', "expected opening hours like '08:00-18:00' or 'closed', got '9 to 5'"),
        ('"08:00-13:00, 12:00-17:00"', "ranges must be in order and must not overlap"),
        ("8:00", "an unquoted 8:00 is a number"),
        ("no", "expected opening hours like '08:00-18:00' or 'closed'"),
    ],
)
def test_bad_hours_report_the_day_and_its_line(hours: str, expected: str) -> None:
    text = MINIMAL.replace('  thursday: "08:00-18:00"', f"  thursday: {hours}")
    issue = only_issue(text)
    assert issue.path == "hours.thursday"
    assert issue.line == line_of(text, "thursday")
    assert expected in issue.message


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ('"+61 2 1234"', "is not a valid phone number"),
        ('"02 5550 4321"', "is not in international E.164 form"),
        ("+61255504321", "write the transfer number in quotes"),
        ('"call reception"', "is not in international E.164 form"),
    ],
)
def test_bad_transfer_number_reports_its_line(number: str, expected: str) -> None:
    text = MINIMAL + f"transfer:\n  only_during_hours: true\n  number: {number}\n"
    issue = only_issue(text)
    assert issue.path == "transfer.number"
    assert issue.line == line_of(text, "number:")
    assert expected in issue.message


def test_yaml_syntax_error_has_a_line() -> None:
    text = MINIMAL + "policies:\n  new_patients: [unclosed\n"
    issue = only_issue(text)
    assert issue.path == ""
    assert issue.line is not None and issue.line >= line_of(text, "new_patients")
    assert issue.message.startswith("YAML syntax error:")
    assert str(issue).startswith(f"clinic.yaml:{issue.line}: YAML syntax error:")


def test_bad_indentation_is_a_syntax_error_on_its_line() -> None:
    text = "clinic_name: Test\n  greeting: Hello\n"
    issue = only_issue(text)
    assert issue.line == 2
    assert "mapping values are not allowed here" in issue.message


def test_duplicate_keys_are_errors() -> None:
    text = MINIMAL + "country: NZ\n"
    issue = only_issue(text)
    assert issue.path == "country"
    assert issue.line == line_of(text, "country: NZ")
    assert issue.message == f"duplicate key (first given on line {line_of(text, 'country: AU')})"


def test_a_script_must_be_a_mapping() -> None:
    issue = only_issue("- just\n- a list\n")
    assert issue.message == "a call script is a YAML mapping of keys to values"
    assert issue.line == 1


@pytest.mark.parametrize(
    ("extra", "path", "expected"),
    [
        ("greeting: One. Two. Three.\n", "greeting", "one or two sentences"),
        ("greeting: " + "x" * 201 + "\n", "greeting", "at most 200 characters"),
        ("country: Australia\n", "country", "not an ISO 3166 alpha-2 country code"),
        ("language: english\n", "language", "not a BCP-47 language tag"),
        ("sms_sender: Harbourside Physio\n", "sms_sender", "1 to 11 letters"),
        ('sms_sender: "+61 4"\n', "sms_sender", "not a valid phone number"),
        ("bookable_by_phone: some\n", "bookable_by_phone", "expected 'all' or a list"),
        (
            "policies:\n  late_cancellation: Give us {hrs} hours.\n",
            "policies.late_cancellation",
            "unknown placeholder {hrs}",
        ),
        (
            "policies:\n  cancellation_notice_hours: -1\n",
            "policies.cancellation_notice_hours",
            "greater than or equal to 0",
        ),
    ],
)
def test_other_validation_errors(extra: str, path: str, expected: str) -> None:
    key = path.split(".")[-1]
    base = MINIMAL
    for top in ("greeting", "country"):
        if extra.startswith(f"{top}:"):
            base = "\n".join(
                line for line in MINIMAL.splitlines() if not line.startswith(f"{top}:")
            )
            base += "\n"
    text = base + extra
    issue = only_issue(text)
    assert issue.path == path
    assert issue.line == line_of(text, f"{key}:")
    assert expected in issue.message


def test_errors_from_a_file_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(MINIMAL + "policies:\n  cancellation_notice_hours: soon\n", encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    assert str(caught.value).startswith(f"{path}:13: policies.cancellation_notice_hours: ")


def test_every_issue_is_reported_in_line_order() -> None:
    text = MINIMAL.replace("  monday:", "  munday:") + "country_code: AU\n"
    with pytest.raises(ScriptError) as caught:
        parse_script(text, source="c.yaml")
    lines = [issue.line or 0 for issue in caught.value.errors]
    assert lines == sorted(lines)
    assert len(caught.value.errors) == 3  # munday unknown, monday missing, country_code unknown


# -- emergencies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "number"),
    [("AU", "000"), ("NZ", "111"), ("GB", "999"), ("IE", "112"), ("US", "911"), ("CA", "911")]
    + [("FR", "112"), ("DE", "112")],
)
def test_emergency_number_by_country(country: str, number: str) -> None:
    assert emergency_number(country) == number
    text = MINIMAL.replace("country: AU", f"country: {country.lower()}")
    script = parse_script(text)
    assert script.country == country
    assert script.emergency_number == number
    assert f"call {number}" in script.emergency_instruction
    today = date(2026, 3, 2)
    assert f"call {number}" in render_instructions(script, today=today, clinic_zone="UTC")


def test_emergency_override_must_name_the_countrys_number() -> None:
    text = MINIMAL + "policies:\n  emergency: For emergencies call 911.\n"
    issue = only_issue(text)
    assert issue.path == "policies.emergency"
    assert issue.line == line_of(text, "emergency:")
    assert "must tell callers to call 000 in AU" in issue.message


@pytest.mark.parametrize(
    "override",
    ["Tell them to ring triple zero, {number}, straight away.", "Say: hang up and dial 000."],
)
def test_emergency_override_with_the_number_or_placeholder(override: str) -> None:
    script = parse_script(MINIMAL + f"policies:\n  emergency: '{override}'\n")
    assert "000" in script.emergency_instruction
    assert "{number}" not in script.emergency_instruction


def test_emergency_override_elsewhere_is_free() -> None:
    text = MINIMAL.replace("country: AU", "country: FR")
    script = parse_script(text + "policies:\n  emergency: Appelez le 15.\n")
    assert script.emergency_instruction == "Appelez le 15."
