"""The clinics file (numbers to clinics, secrets from the environment) and call tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from diary import Diary
from receptionist.settings import Settings
from receptionist.telephony import tokens
from receptionist.telephony.clinics import DEMO, ClinicDirectory, load_clinics

CLINICS = """
clinics:
  - key: harbourside
    numbers: ["+61 2 5550 1234", "+61255501235"]
    pms:
      adapter: nookal
      settings: {location_ids: "1,2"}
      secrets: {api_key: TEST_NOOKAL_KEY}
    mode: relay
    transfer_number: "+61 2 5550 4321"
  - key: northside
    numbers: ["+61 3 9000 0000"]
    mode: realtime
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clinics.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_numbers_map_to_clinics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_NOOKAL_KEY", "secret-value")
    path = write(tmp_path, CLINICS)
    parsed, base = load_clinics(path)
    assert base == tmp_path
    assert parsed.clinics[0].numbers == ("+61255501234", "+61255501235")
    assert parsed.clinics[0].transfer_number == "+61255504321"
    directory = ClinicDirectory(Settings(clinics_file=str(path)), Diary.__new__(Diary))
    assert directory.config_for_number("+61255501235").key == "harbourside"  # type: ignore[union-attr]
    assert directory.config_for_number("+61390000000").mode == "realtime"  # type: ignore[union-attr]
    assert directory.config_for_number("+61299999999") is None
    assert directory.config_for_number("anonymous") is None


def test_without_a_file_the_demo_answers_every_number() -> None:
    directory = ClinicDirectory(Settings(), Diary.__new__(Diary))
    assert directory.config_for_number("+15551234567") is DEMO


def test_a_missing_secret_is_named_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_NOOKAL_KEY", raising=False)
    path = write(tmp_path, CLINICS)
    with pytest.raises(ValueError, match="TEST_NOOKAL_KEY"):
        ClinicDirectory(Settings(clinics_file=str(path)), Diary.__new__(Diary))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("clinics:\n  - key: a\n    numbers: ['12']\n", "not an international number"),
        ("clinics:\n  - key: a\n  - key: a\n", "unique"),
        (
            "clinics:\n  - key: a\n    numbers: ['+61255501234']\n"
            "  - key: b\n    numbers: ['+61 2 5550 1234']\n",
            "one clinic only",
        ),
        ("clinics:\n  - key: a\n    mode: sip\n", "relay"),
        ("clinics:\n  - key: a\n    pms: {adapter: x, password: y}\n", "Extra inputs"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        load_clinics(write(tmp_path, text))


def test_call_tokens() -> None:
    token = tokens.issue("CA1", "demo", "secret", ttl=60, now=1000.0)
    claims = tokens.verify(token, "secret", call_sid="CA1", now=1030.0)
    assert (claims.call_sid, claims.clinic) == ("CA1", "demo")
    with pytest.raises(tokens.InvalidToken, match="expired"):
        tokens.verify(token, "secret", now=1061.0)
    with pytest.raises(tokens.InvalidToken, match="another call"):
        tokens.verify(token, "secret", call_sid="CA2", now=1030.0)
    with pytest.raises(tokens.InvalidToken, match="signature"):
        tokens.verify(token, "other-secret", now=1030.0)
    body, _, mac = token.partition(".")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(body[:-2] + "xx." + mac, "secret", now=1030.0)
    for junk in ["", "abc", "a.b.c", "!!.??"]:
        with pytest.raises(tokens.InvalidToken):
            tokens.verify(junk, "secret", now=1030.0)
