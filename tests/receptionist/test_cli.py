"""The `receptionist` command line and settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import inspect
from typer.testing import CliRunner

from diary.db import make_engine
from diary.migrate import current_revision
from receptionist.cli import app
from receptionist.settings import Settings

runner = CliRunner()


def test_db_upgrade_and_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("RECEPTIONIST_DATABASE_URL", url)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "revision 0002" in result.output
    result = runner.invoke(app, ["db", "seed-demo", "--anchor", "2026-03-02"])
    assert result.exit_code == 0, result.output
    assert "Harbourside Physio" in result.output
    engine = make_engine(url)
    assert current_revision(engine) == "0002"
    assert "appointments" in inspect(engine).get_table_names()
    engine.dispose()


def test_settings_read_the_environment_and_refuse_other_databases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECEPTIONIST_PORT", "9001")
    assert Settings().port == 9001
    assert Settings().database_url.startswith("sqlite:///")
    monkeypatch.setenv("RECEPTIONIST_DATABASE_URL", "mysql://root@localhost/x")
    with pytest.raises(ValidationError):
        Settings()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output and "db" in result.output
