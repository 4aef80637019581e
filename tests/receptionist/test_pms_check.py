"""`receptionist pms check`: connect through the registry and print what the PMS can see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diary.db import make_engine
from receptionist.cli import app
from tests.fakes.nookal import FakeNookal, seed_demo, serve


def test_check_the_built_in_diary(sqlite_demo_source: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{sqlite_demo_source}"
    result = CliRunner().invoke(app, ["pms", "check", "diary", "-s", f"database_url={url}"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [p["name"] for p in report["practitioners"]][:2] == ["Sarah Chen", "James O'Brien"]
    assert len(report["appointment_types"]) == 4


def test_check_a_nookal_clinic(sqlite_demo_source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"sqlite:///{sqlite_demo_source}")
    try:
        fake = FakeNookal()
        demo = seed_demo(fake, engine)
    finally:
        engine.dispose()
    monkeypatch.setenv("NOOKAL_TEST_KEY", demo.api_key)
    with serve(fake) as base_url:
        result = CliRunner().invoke(
            app,
            [
                "pms", "check", "nookal",
                "-s", "api_key=env:NOOKAL_TEST_KEY",
                "-s", f"base_url={base_url}",
                "-s", "slot_secret=a-test-secret-of-some-length",
            ],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["adapter"] == "nookal" and report["key_verified"] is True
    assert {loc["name"] for loc in report["locations"]} == {"Surry Hills", "Parramatta"}
    assert demo.api_key not in result.output


def test_unknown_adapter_and_bad_settings_are_clear() -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["pms", "check", "nosuch"])
    assert unknown.exit_code == 2 and "nosuch" in unknown.output
    bad = runner.invoke(app, ["pms", "check", "diary", "-s", "oops"])
    assert bad.exit_code != 0 and "key=value" in bad.output
    missing = runner.invoke(app, ["pms", "check", "diary", "-s", "x=env:NOT_SET_ANYWHERE_42"])
    assert missing.exit_code != 0 and "NOT_SET_ANYWHERE_42" in missing.output


def test_calls_lists_recent_calls_and_shows_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from receptionist.agent.session import CallSession
    from receptionist.calls import CallStore

    url = f"sqlite:///{tmp_path / 'calls.db'}"
    monkeypatch.setenv("RECEPTIONIST_DATABASE_URL", url)
    engine = make_engine(url)
    store = CallStore(engine)
    store.create_tables()
    session = CallSession(clinic="demo", caller_number="+61412345678", mode="relay")
    session.add_turn("caller", "hello")
    session.close()
    asyncio.run(store.save(session))
    engine.dispose()
    runner = CliRunner()
    listed = runner.invoke(app, ["calls"])
    assert listed.exit_code == 0 and session.id in listed.output and "abandoned" in listed.output
    shown = runner.invoke(app, ["calls", "--show", session.id])
    assert shown.exit_code == 0 and json.loads(shown.output)["transcript"][0]["text"] == "hello"
    missing = runner.invoke(app, ["calls", "--show", "nope"])
    assert missing.exit_code == 1


def test_script_check_is_a_receptionist_command(tmp_path: Path) -> None:
    bad = tmp_path / "clinic.yaml"
    bad.write_text("clinic_name: X\ngreeting: Hi\ncountry: AU\nhours: {}\nsurprise: 1\n")
    result = CliRunner().invoke(app, ["script", "check", str(bad)])
    assert result.exit_code == 1 and f"{bad}:5: surprise" in result.output
    from prompts import data_file

    demo = CliRunner().invoke(app, ["script", "check", str(data_file("demo_clinic.yaml"))])
    assert demo.exit_code == 0 and demo.output.startswith("OK: Harbourside Physio")


def test_check_a_cliniko_clinic(sqlite_demo_source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fakes.cliniko import FakeCliniko, FakeClinikoServer
    from tests.fakes.cliniko.demo import load_diary_clinic

    key = "check-cliniko-key-au1"
    engine = make_engine(f"sqlite:///{sqlite_demo_source}")
    try:
        demo = load_diary_clinic(engine, fake=FakeCliniko(api_key=key))
    finally:
        engine.dispose()
    monkeypatch.setenv("CLINIKO_TEST_KEY", key)
    server = FakeClinikoServer(demo.fake).start()
    try:
        result = CliRunner().invoke(
            app,
            [
                "pms", "check", "cliniko",
                "-s", "api_key=env:CLINIKO_TEST_KEY",
                "-s", f"base_url={server.url}",
                "-s", "slot_secret=a-test-secret-of-some-length",
            ],
        )  # fmt: skip
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {b["name"] for b in report["businesses"]} == {"Surry Hills", "Parramatta"}
    assert len(report["practitioners"]) == 4 and len(report["appointment_types"]) == 4
    bookings = report["online_bookings"]
    assert any(entry["enabled"] for entry in bookings)
    assert any(not entry["enabled"] for entry in bookings)  # pilates is off for online booking
    assert key not in result.output
