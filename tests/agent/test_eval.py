"""`receptionist eval`: the scenario suite against a model, k times per case, pass^k.

A real model needs a key; here the fake OpenAI server plays the model, answering each request
from the scenario's own scripted turns, so the command is exercised end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from receptionist.cli import app
from receptionist.evals.scenario import load_scenarios
from tests.agent.test_scenarios import scripted_turn
from tests.fakes.openai_chat import FakeOpenAI, Turn

CASES = {s.name: s for s in load_scenarios()}


class ScenarioModel:
    """Answers a chat request with the next scripted step for the caller turn it is on."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.call = -1
        self.turn = -1
        self.steps: Iterator[Any] = iter(())

    def __call__(self, body: dict[str, Any]) -> Turn | None:
        users = sum(1 for m in body["messages"] if m["role"] == "user")
        if users == 1 and self.turn != 0:
            self.call += 1  # a new call (the next trial or case) has started
        if users - 1 != self.turn:
            self.turn = users - 1
            scenario = CASES[self.names[self.call % len(self.names)]]
            assert scenario.model is not None
            self.steps = iter(scenario.model[self.turn])
        step = next(self.steps, None)
        return scripted_turn(step) if step is not None else None


@pytest.fixture
def scripted_model() -> Iterator[FakeOpenAI]:
    names = ["book-follow-up-named-day"] * 2 + ["opening-hours"] * 2
    with FakeOpenAI(ScenarioModel(names)) as fake:
        yield fake


def test_eval_reports_pass_hat_k(
    scripted_model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_model.base_url)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["eval", "--k", "2", "--case", "book-follow-up-named-day", "--case", "opening-hours"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["cases"] == 2 and summary["k"] == 2
    assert summary["pass_hat_2"] == 1.0 and summary["failing"] == []
    assert "book-follow-up-named-day #2: pass" in result.output


def test_eval_needs_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("RECEPTIONIST_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("RECEPTIONIST_OPENAI_BASE_URL", raising=False)
    result = CliRunner().invoke(app, ["eval"])
    assert result.exit_code == 2 and "OPENAI_API_KEY" in result.output
