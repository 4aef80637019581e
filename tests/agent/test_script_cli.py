"""`receptionist script ...`: check and render from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from receptionist.cli_script import script_app
from tests.agent.test_script import MINIMAL, line_of

# -- command line -----------------------------------------------------------------------------

runner = CliRunner()


def test_cli_check_ok(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    result = runner.invoke(script_app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: Test Physio (0 FAQs, 0 prices, 0 locations, ")
    assert "emergency 000" in result.output


def test_cli_check_demo() -> None:
    path = Path(__file__).resolve().parents[2] / "prompts" / "demo_clinic.yaml"
    result = runner.invoke(script_app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: Harbourside Physio (7 FAQs, 4 prices, 2 locations, ")


def test_cli_check_reports_each_issue_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yaml"
    text = MINIMAL.replace("  friday:", "  fridya:") + "policies:\n  cancellation_notice_hours: x\n"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(script_app, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{path}:{line_of(text, 'fridya')}: hours.fridya: unknown key 'fridya'" in lines[1]
    assert any(
        line.startswith(f"{path}:13: policies.cancellation_notice_hours: ") for line in lines
    )
    assert "Traceback" not in result.output


def test_cli_check_yaml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text("clinic_name: [oops\n", encoding="utf-8")
    result = runner.invoke(script_app, ["check", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}:2: YAML syntax error:")


def test_cli_check_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    result = runner.invoke(script_app, ["check", str(path)])
    assert result.exit_code == 1
    assert result.output.strip() == f"{path}: cannot read: No such file or directory"


def test_cli_render_demo() -> None:
    result = runner.invoke(script_app, ["render", "--today", "2026-03-02"])
    assert result.exit_code == 0, result.output
    assert "You are Ruby" in result.output
    assert "Today is Monday 2 March 2026" in result.output


def test_cli_render_file_with_types(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(MINIMAL + "bookable_by_phone: [Massage]\n", encoding="utf-8")
    args = ["render", str(path), "--today", "2026-03-03", "--type", "Massage", "--type", "Pilates"]
    result = runner.invoke(script_app, args)
    assert result.exit_code == 0, result.output
    assert "Today is Tuesday 3 March 2026" in result.output
    assert "Book by phone only: Massage. Pilates can't be booked by phone." in result.output


def test_cli_render_bad_date() -> None:
    result = runner.invoke(script_app, ["render", "--today", "tomorrow"])
    assert result.exit_code == 1
    assert "--today must be a date like 2026-03-02" in result.output
