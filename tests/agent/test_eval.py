"""`receptionist eval` end to end, and a scenario's `given:` diary on every adapter.

The command runs scenario files from any directory against the demo clinic. On the guided
engine it needs nothing else; for the OpenAI engine the fake OpenAI server plays the model,
answering each request from the scenario's own scripted turns.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from diary.seed import DEMO_PATIENTS
from pms_adapters.contract import PMSAdapter
from pms_adapters.types import PatientQuery, Window
from receptionist.agent.engines.guided import GuidedEngine
from receptionist.agent.script import CallScript
from receptionist.cli import app
from receptionist.evals.given import GivenError, apply_given
from receptionist.evals.runner import run_scenario
from receptionist.evals.scenario import Given, Scenario, load_scenarios
from tests.agent.test_scenarios import scripted_turn
from tests.conftest import DEMO_NOW
from tests.fakes.openai_chat import FakeOpenAI, Turn

CASES = {s.name: s for s in load_scenarios()}
SYDNEY = DEMO_NOW.tzinfo


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
    args = ["eval", "--k", "2", "--case", "book-follow-up-named-day", "--case", "opening-hours"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["passed"] == 2 and summary["total"] == 2 and summary["rate"] == 1.0
    assert summary["failed"] == [] and summary["k"] == 2 and summary["pass_at_1"] == 1.0
    assert summary["engine"] == "openai"
    assert len(result.stdout.strip().splitlines()) == 1, "--json prints only the summary"


def test_eval_without_json_prints_a_line_per_trial(
    scripted_model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_model.base_url)
    monkeypatch.chdir(tmp_path)
    args = ["eval", "--k", "2", "--case", "book-follow-up-named-day", "--case", "opening-hours"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "book-follow-up-named-day #2: pass" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "2/2 passed (100.0%)"


def test_eval_needs_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("RECEPTIONIST_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("RECEPTIONIST_OPENAI_BASE_URL", raising=False)
    result = CliRunner().invoke(app, ["eval"])
    assert result.exit_code == 2 and "OPENAI_API_KEY" in result.output
    assert "--engine guided" in result.output


SUITE = {
    "a_hours.yaml": """
        name: clinic-hours
        summary: Saturday hours, answered from the script.
        caller: ["Hi, what are your opening hours on Saturday?", "No that's all, thanks"]
        expect: {outcome: info, tools: [clinic_info], not_said: ['\\bbooked\\b']}
    """,
    "b_wrong.yaml": """
        name: hours-wrongly-expected-to-book
        summary: Fails on purpose, the call books nothing.
        caller: ["Hi, what are your opening hours on Saturday?", "No that's all, thanks"]
        expect: {outcome: booked}
    """,
    "c_given.yaml": """
        name: given-slot-not-free
        summary: Fails on purpose, Sarah is already busy at 8 am on Monday.
        given:
          add:
            - {patient: Olivia Smith, practitioner: Sarah Chen, type: Physiotherapy follow-up,
               date: 2026-03-02, time: "08:00"}
        caller: ["Hi"]
        expect: {outcome: info}
    """,
}


def _suite(directory: Path) -> Path:
    directory.mkdir()
    for name, text in SUITE.items():
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def test_eval_runs_a_directory_outside_the_repository_on_the_guided_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = _suite(tmp_path / "clinic-suite")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    args = ["eval", "--engine", "guided", "--scenarios", str(suite), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output  # some case failed
    [last] = result.stdout.strip().splitlines()  # the cases went to stderr
    summary = json.loads(last)
    assert "hours-wrongly-expected-to-book #1: FAIL" in result.stderr
    assert {k: summary[k] for k in ("passed", "total", "rate", "failed")} == {
        "passed": 1,
        "total": 3,
        "rate": 0.333,
        "failed": ["given-slot-not-free", "hours-wrongly-expected-to-book"],
    }

    human = CliRunner().invoke(app, ["eval", "--engine", "guided", "--scenarios", str(suite)])
    assert human.exit_code == 1
    assert "clinic-hours #1: pass" in human.stdout
    assert "hours-wrongly-expected-to-book #1: FAIL outcome: expected booked" in human.stdout
    assert "given-slot-not-free #1: FAIL given: Sarah Chen has no free" in human.stdout


def test_eval_exits_0_when_every_case_passes(tmp_path: Path) -> None:
    suite = tmp_path / "ok"
    suite.mkdir()
    (suite / "hours.yaml").write_text(textwrap.dedent(SUITE["a_hours.yaml"]), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--engine", "guided", "--scenarios", str(suite)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "1/1 passed (100.0%)"


def test_eval_refuses_an_unknown_case(tmp_path: Path) -> None:
    suite = _suite(tmp_path / "s")
    args = ["eval", "--engine", "guided", "--scenarios", str(suite), "--case", "nope"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "no such scenario: nope" in result.output


def test_eval_refuses_a_broken_scenario_file(tmp_path: Path) -> None:
    suite = tmp_path / "broken"
    suite.mkdir()
    (suite / "x.yaml").write_text("name: x\nsummary: s\ncaller: [hi]\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--engine", "guided", "--scenarios", str(suite)])
    assert result.exit_code == 2 and "x.yaml" in result.output


# -- given: the starting diary, through the adapter contract on every adapter -----------------

pytestmark = pytest.mark.anyio


async def _appointments(pms: PMSAdapter, name: str) -> list[datetime]:
    [patient] = [
        p for p in await pms.find_patients(PatientQuery(name=name))
        if f"{p.first_name} {p.last_name}" == name
    ]  # fmt: skip
    window = Window(starts_at=DEMO_NOW, ends_at=DEMO_NOW + timedelta(days=14))
    return sorted(
        a.starts_at.astimezone(SYDNEY) for a in await pms.appointments(patient.id, window)
    )


def _given(**entries: Any) -> Given:
    return Given.model_validate(entries)


async def test_given_books_and_cancels(scenario_pms: PMSAdapter) -> None:
    before = await _appointments(scenario_pms, "William Jones")
    given = _given(
        cancel=[{"patient": "William Jones", "date": "2026-03-05", "time": "13:00"}],
        add=[
            {
                "patient": "William Jones",
                "practitioner": "James O'Brien",
                "type": "Physiotherapy follow-up",
                "date": "2026-03-05",
                "time": "15:30",
                "location": "Surry Hills",
            }
        ],
    )
    await apply_given(scenario_pms, given, "t")
    after = await _appointments(scenario_pms, "William Jones")
    thursday_one = datetime(2026, 3, 5, 13, 0, tzinfo=SYDNEY)
    thursday_half_three = datetime(2026, 3, 5, 15, 30, tzinfo=SYDNEY)
    assert thursday_one in before and thursday_one not in after
    assert thursday_half_three in after and thursday_half_three not in before
    assert len(after) == len(before)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            {"add": [{"patient": "Nobody Atall", "practitioner": "Sarah Chen",
                      "type": "Physiotherapy follow-up", "date": "2026-03-04", "time": "10:00"}]},
            "no patient named 'Nobody Atall'",
        ),
        (
            {"add": [{"patient": "Olivia Smith", "practitioner": "Dr Who",
                      "type": "Physiotherapy follow-up", "date": "2026-03-04", "time": "10:00"}]},
            "no practitioner named 'Dr Who'",
        ),
        (
            {"add": [{"patient": "Olivia Smith", "practitioner": "Sarah Chen",
                      "type": "Physiotherapy follow-up", "date": "2026-03-02", "time": "08:00"}]},
            "Sarah Chen has no free Physiotherapy follow-up slot at Mon 02 Mar 2026 08:00",
        ),
        (
            {"add": [{"patient": "Olivia Smith", "practitioner": "Sarah Chen",
                      "type": "Physiotherapy follow-up", "date": "2026-03-04", "time": "10:00",
                      "location": "Parramatta"}]},
            "at Parramatta",
        ),
        (
            {"cancel": [{"patient": "Olivia Smith", "date": "2026-03-05"}]},
            "Olivia Smith has no appointment on Thu 05 Mar 2026 to cancel",
        ),
        (
            {"cancel": [{"patient": "Olivia Smith", "date": "2026-03-04"}]},
            "Olivia Smith has 4 appointments on Wed 04 Mar 2026; give a time",
        ),
    ],
)  # fmt: skip
async def test_a_given_that_cannot_be_applied_says_why(
    scenario_pms: PMSAdapter, entries: dict[str, Any], message: str
) -> None:
    with pytest.raises(GivenError, match=message):
        await apply_given(scenario_pms, _given(**entries), "t")


async def test_a_case_whose_given_fails_is_not_played(
    scenario_pms: PMSAdapter, script: CallScript
) -> None:
    scenario = Scenario.model_validate(
        {
            "name": "bad-given",
            "summary": "s",
            "caller": ["Hi, what are your opening hours on Saturday?"],
            "given": {"cancel": [{"patient": "Olivia Smith", "date": "2026-03-05"}]},
            "expect": {"outcome": "info"},
        }
    )
    result = await run_scenario(
        scenario,
        scenario_pms,
        script,
        lambda clinic: GuidedEngine(),
        now=lambda: DEMO_NOW,
        people=DEMO_PATIENTS,
    )
    assert not result.passed
    assert result.failures == [
        "given: Olivia Smith has no appointment on Thu 05 Mar 2026 to cancel"
    ]
    assert result.session.transcript == []


def test_eval_refuses_an_empty_directory_and_bad_yaml(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["eval", "--engine", "guided", "--scenarios", str(empty)])
    assert result.exit_code == 2 and "no scenario files" in result.output
    (empty / "y.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--engine", "guided", "--scenarios", str(empty)])
    assert result.exit_code == 2 and "y.yaml" in result.output
