"""The scenario suite: every case on the guided engine (caller text) and on the OpenAI engine
(scripted model turns from a fake server, through the real `openai` client).

The judge looks at the diary's final state and the tool trace, never the wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import openai
import pytest
from pydantic import BaseModel

from diary.seed import DEMO_PATIENTS
from pms_adapters.contract import PMSAdapter
from receptionist.agent.engines import Engine
from receptionist.agent.engines.guided import GuidedEngine
from receptionist.agent.engines.openai_chat import OpenAIChatEngine
from receptionist.agent.runtime import instructions_for
from receptionist.agent.script import CallScript
from receptionist.agent.toolbox import Clinic, chat_schemas
from receptionist.agent.tools import TOOLS
from receptionist.evals import scenario as scenario_format
from receptionist.evals.runner import CaseResult, run_scenario
from receptionist.evals.scenario import ModelStep, Scenario, load_scenarios
from tests.conftest import DEMO_NOW
from tests.fakes.openai_chat import FakeOpenAI, ToolCall, Turn

SCENARIOS = load_scenarios()
pytestmark = pytest.mark.anyio


def test_there_are_at_least_25_scenarios_and_each_has_a_model_script() -> None:
    assert len(SCENARIOS) >= 25
    assert all(s.model is not None for s in SCENARIOS)


def test_the_format_reference_names_every_key() -> None:
    """The module docstring is the format's reference: a key it leaves out is undocumented."""
    reference = scenario_format.__doc__ or ""
    models: list[type[BaseModel]] = [
        scenario_format.Scenario,
        scenario_format.Expect,
        scenario_format.ExpectedAppointment,
        scenario_format.ExpectedMove,
        scenario_format.Given,
        scenario_format.GivenAppointment,
        scenario_format.GivenCancellation,
        scenario_format.ModelStep,
    ]
    missing = {
        f"{model.__name__}.{key}"
        for model in models
        for key in model.model_fields
        if not re.search(rf"\b{key}\b", reference)
    }
    assert not missing


def test_every_given_and_said_in_the_suite_is_used_somewhere() -> None:
    """The public suite exercises the format's newer keys, so they stay tested end to end."""
    assert any(s.given.add for s in SCENARIOS) and any(s.given.cancel for s in SCENARIOS)
    assert any(s.expect.said for s in SCENARIOS) and any(s.expect.not_said for s in SCENARIOS)
    emergency = next(s for s in SCENARIOS if s.name == "emergency")
    assert any("000" in pattern for pattern in emergency.expect.said)


def scripted_turn(step: ModelStep) -> Turn:
    """One scenario model step as the fake server's scripted response."""
    if step.say is not None:
        return Turn(text=step.say)
    if step.call is not None:
        return Turn(tool_calls=[ToolCall(name, dict(args)) for name, args in step.call.items()])
    assert step.raw is not None
    return Turn(tool_calls=[ToolCall(name, text) for name, text in step.raw.items()])


def report(result: CaseResult) -> str:
    lines = [f"{result.scenario.name} on {result.engine}:"]
    lines += [f"  FAIL {failure}" for failure in result.failures]
    for turn in result.session.transcript:
        lines.append(f"  {turn.role}: {turn.text}")
    for event in result.session.trace:
        lines.append(f"  tool {event.name} {event.arguments} -> {event.ok} {event.result[:160]}")
    return "\n".join(lines)


async def play(
    scenario: Scenario,
    pms: PMSAdapter,
    script: CallScript,
    engine_for: Callable[[Clinic], Engine],
    before_turn: Callable[[int], None] | None = None,
) -> CaseResult:
    return await run_scenario(
        scenario,
        pms,
        script,
        engine_for,
        now=lambda: DEMO_NOW,
        people=DEMO_PATIENTS,
        before_turn=before_turn,
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_guided_engine(
    scenario: Scenario, scenario_pms: PMSAdapter, script: CallScript
) -> None:
    result = await play(scenario, scenario_pms, script, lambda clinic: GuidedEngine())
    assert result.passed, report(result)
    assert result.session.engines == ["guided"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_openai_engine_scripted(
    scenario: Scenario,
    scenario_pms: PMSAdapter,
    script: CallScript,
    fake_openai: FakeOpenAI,
    openai_client: openai.AsyncOpenAI,
) -> None:
    assert scenario.model is not None

    def engine_for(clinic: Clinic) -> Engine:
        return OpenAIChatEngine(
            openai_client, "gpt-test", instructions_for(clinic), chat_schemas(TOOLS)
        )

    def before_turn(index: int) -> None:
        assert scenario.model is not None
        assert fake_openai.pending == 0, f"turn {index}: earlier scripted turns unused"
        fake_openai.push(*(scripted_turn(step) for step in scenario.model[index]))

    result = await play(scenario, scenario_pms, script, engine_for, before_turn)
    assert result.passed, report(result)
    assert result.session.engines == ["openai"], "the engine fell back: " + report(result)


PHANTOM = Scenario.model_validate(
    {
        "name": "phantom-booking",
        "summary": "The model says it booked, but the only write it tried was refused.",
        "caller": ["Henry Lee, 3 March 1992, a follow-up with Sarah on Friday afternoon"],
        "model": [
            [
                {
                    "call": {
                        "identify_caller": {"full_name": "Henry Lee", "date_of_birth": "3/3/1992"}
                    }
                },
                {"call": {"book_appointment": {"slot": "s9", "confirmed": True}}},
                {"say": "All done, you're booked in with Sarah on Friday."},
            ]
        ],
        "expect": {"outcome": "abandoned", "identified": "Henry Lee"},
    }
)


async def test_a_phantom_booking_fails_the_case(
    demo_pms: PMSAdapter,
    script: CallScript,
    fake_openai: FakeOpenAI,
    openai_client: openai.AsyncOpenAI,
) -> None:
    """End to end on the OpenAI engine: nothing was written, so saying so fails the case."""
    assert PHANTOM.model is not None
    fake_openai.push(*(scripted_turn(step) for step in PHANTOM.model[0]))

    def engine_for(clinic: Clinic) -> Engine:
        return OpenAIChatEngine(
            openai_client, "gpt-test", instructions_for(clinic), chat_schemas(TOOLS)
        )

    result = await play(PHANTOM, demo_pms, script, engine_for)
    assert result.failures == ["phantom outcome: said booked with no such write"], report(result)
