"""The engines and the conversation: streaming, the tool loop, and hand-over to the guided
engine when the model fails mid-call. OpenAI is the fake server through the real client."""

from __future__ import annotations

import openai
import pytest

from receptionist.agent.conversation import HANDOVER, NO_ENGINE, Conversation
from receptionist.agent.engines.guided import GuidedEngine
from receptionist.agent.engines.openai_chat import OpenAIChatEngine
from receptionist.agent.runtime import instructions_for, start_call
from receptionist.agent.session import Outcome
from receptionist.agent.toolbox import Clinic, chat_schemas
from receptionist.agent.tools import TOOLS
from tests.fakes.openai_chat import FakeOpenAI, ToolCall, Turn

pytestmark = pytest.mark.anyio


def openai_call(clinic: Clinic, client: openai.AsyncOpenAI, **kwargs: object) -> Conversation:
    engine = OpenAIChatEngine(client, "gpt-test", instructions_for(clinic), chat_schemas(TOOLS))
    return start_call(clinic, engine, caller_number="+61412345678", **kwargs)  # type: ignore[arg-type]


async def say(conversation: Conversation, text: str) -> list[str]:
    return [piece async for piece in conversation.reply(text)]


async def test_text_streams_in_pieces_and_is_recorded(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    conversation = openai_call(clinic, openai_client)
    await conversation.greet()
    fake_openai.push(
        Turn(text="We open at seven in the morning on weekdays, and eight on Fridays.")
    )
    pieces = await say(conversation, "When do you open?")
    assert len(pieces) > 3
    assert "".join(pieces) == "We open at seven in the morning on weekdays, and eight on Fridays."
    agent = conversation.session.transcript[-1]
    assert agent.role == "agent" and agent.latency_ms is not None and agent.engine == "openai"
    request = fake_openai.requests[-1]
    assert request["stream"] is True
    assert request["messages"][0]["role"] == "system"
    assert "Harbourside Physio" in request["messages"][0]["content"]
    assert request["messages"][1] == {
        "role": "assistant",
        "content": clinic.script.greeting,
    }
    assert {t["function"]["name"] for t in request["tools"]} >= {"book_appointment"}


async def test_tool_calls_are_assembled_run_and_answered(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    conversation = openai_call(clinic, openai_client)
    fake_openai.push(
        Turn(
            tool_calls=[
                ToolCall("clinic_info", {"topic": "parking"}, id="call_a"),
                ToolCall("clinic_info", {"topic": "Saturday hours"}, id="call_b"),
            ]
        ),
        Turn(text="There's street parking, and Saturdays we're open eight till twelve."),
    )
    await say(conversation, "Where do I park, and are you open Saturday?")
    assert [e.name for e in conversation.session.trace] == ["clinic_info", "clinic_info"]
    follow_up = fake_openai.requests[-1]["messages"]
    assistant = follow_up[-3]
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_a", "call_b"]
    assert assistant["tool_calls"][0]["function"]["arguments"] == '{"topic":"parking"}'
    assert [m["tool_call_id"] for m in follow_up[-2:]] == ["call_a", "call_b"]
    assert "parking" in follow_up[-2]["content"].lower()


async def test_a_failing_model_hands_the_call_to_the_guided_engine(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    conversation = openai_call(clinic, openai_client)
    await conversation.greet()
    fake_openai.push(Turn(text="Sure, can I have your full name and date of birth?"))
    await say(conversation, "I'd like to book a follow-up with Sarah tomorrow morning")
    fake_openai.push(Turn(status=500))
    reply = "".join(await say(conversation, "Olivia Smith, 14 March 1988"))
    assert reply.startswith(HANDOVER)
    assert "Olivia" in reply
    assert conversation.session.engines == ["openai", "guided"]
    assert any("engine openai" in error for error in conversation.session.errors)
    # The rest of the call is the guided engine's: the model is not asked again.
    asked = len(fake_openai.requests)
    reply = "".join(await say(conversation, "The first one"))
    assert len(fake_openai.requests) == asked
    assert reply.startswith("Just to confirm") and "Sarah Chen" in reply


async def test_a_model_that_times_out_is_handed_over_too(
    clinic: Clinic, fake_openai: FakeOpenAI
) -> None:
    client = openai.AsyncOpenAI(
        base_url=fake_openai.base_url, api_key="test", max_retries=0, timeout=0.5
    )
    try:
        conversation = openai_call(clinic, client)
        fake_openai.push(Turn(text="never heard", delay=3))
        reply = "".join(await say(conversation, "What are your hours on Saturday?"))
        assert reply.startswith(HANDOVER) and "8 am" in reply
        assert conversation.engine.name == "guided"
    finally:
        await client.close()
        fake_openai.clear()


async def test_a_stream_that_stalls_is_handed_over(clinic: Clinic, fake_openai: FakeOpenAI) -> None:
    client = openai.AsyncOpenAI(
        base_url=fake_openai.base_url, api_key="test", max_retries=0, timeout=0.5
    )
    try:
        conversation = openai_call(clinic, client)
        fake_openai.push(Turn(text="Let me just check that for you now", stall_after_chunks=2))
        reply = "".join(await say(conversation, "How much is a massage?"))
        assert HANDOVER in reply and "$130" in reply
    finally:
        await client.close()
        fake_openai.clear()


async def test_an_unreachable_server_is_handed_over(clinic: Clinic) -> None:
    client = openai.AsyncOpenAI(base_url="http://127.0.0.1:9/v1", api_key="x", max_retries=0)
    try:
        conversation = openai_call(clinic, client)
        reply = "".join(await say(conversation, "Can I speak to someone?"))
        assert reply.startswith(HANDOVER)
        assert Outcome.TRANSFERRED in conversation.session.actions
    finally:
        await client.close()


async def test_a_model_looping_on_tools_is_stopped(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    conversation = openai_call(clinic, openai_client)
    fake_openai.push(*[Turn(tool_calls=[ToolCall("clinic_info", {"topic": "hours"})])] * 6)
    reply = "".join(await say(conversation, "hours?"))
    assert reply.startswith(HANDOVER)
    assert conversation.engine.name == "guided"


async def test_a_barge_in_keeps_only_what_the_caller_heard(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    conversation = openai_call(clinic, openai_client)
    fake_openai.push(Turn(text="We have parking on Crown Street and a paid car park nearby."))
    await say(conversation, "Parking?")
    conversation.interrupted("We have parking on Crown Street")
    assert conversation.session.transcript[-1].text == "We have parking on Crown Street"
    fake_openai.push(Turn(text="Sure."))
    await say(conversation, "Thanks")
    history = fake_openai.requests[-1]["messages"]
    assert {"role": "assistant", "content": "We have parking on Crown Street"} in history


async def test_without_a_fallback_the_caller_hears_an_apology(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    engine = OpenAIChatEngine(openai_client, "gpt-test", "brief", chat_schemas(TOOLS))
    conversation = start_call(clinic, engine)
    conversation._fallback = None
    fake_openai.push(Turn(status=503))
    reply = "".join(await say(conversation, "hello"))
    assert "trouble" in reply


async def test_guided_engine_greets_and_ends_politely(clinic: Clinic) -> None:
    conversation = start_call(clinic, GuidedEngine())
    greeting = await conversation.greet()
    assert greeting == clinic.script.greeting
    reply = "".join(await say(conversation, "That's all, bye"))
    assert "Bye" in reply and conversation.finished
    assert await conversation.close() is Outcome.INFO


# -- what the request carries -------------------------------------------------------------------


async def test_requests_carry_strict_tools_and_tool_choice_auto(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    conversation = openai_call(clinic, openai_client)
    fake_openai.push(
        Turn(tool_calls=[ToolCall("find_availability", {"appointment_type": "massage"})]),
        Turn(text="Tuesday has nine or ten."),
    )
    await say(conversation, "Any massage times?")
    assert fake_openai.rejections == []
    request = fake_openai.requests[-1]
    assert request["tool_choice"] == "auto"
    functions = fake_openai.functions()
    assert functions and all(f["strict"] is True for f in functions.values())
    # The strict model sent every argument, null where the caller said nothing; it ran.
    event = conversation.session.trace[0]
    assert event.arguments == {
        "appointment_type": "massage",
        "practitioner": None,
        "location": None,
        "when": None,
        "appointment": None,
    }
    assert event.ok, event.result


# -- who said what: turns, latency and the engines of the record ---------------------------------


def agent_turns(conversation: Conversation) -> list[tuple[str | None, str]]:
    return [(t.engine, t.text) for t in conversation.session.transcript if t.role == "agent"]


async def test_when_the_primary_answers_only_it_is_in_the_record(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    conversation = openai_call(clinic, openai_client)
    await conversation.greet()  # the fallback hears the greeting too, but did not take over
    fake_openai.push(Turn(text="We open at seven."))
    await say(conversation, "When do you open?")
    await conversation.close()
    assert conversation.session.engines == ["openai"]
    assert conversation.session.summary()["engines"] == ["openai"]
    assert agent_turns(conversation) == [
        ("openai", clinic.script.greeting),
        ("openai", "We open at seven."),
    ]


async def test_a_hand_over_is_attributed_to_the_fallback_with_the_callers_wait(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    conversation = openai_call(clinic, openai_client)
    await conversation.greet()
    fake_openai.push(Turn(text="There's street parking on Crown Street."))
    await say(conversation, "Is there parking?")
    assert conversation.session.engines == ["openai"]
    fake_openai.push(Turn(status=500, delay=0.3))  # the model takes a while, then fails
    reply = "".join(await say(conversation, "What are your hours on Saturday?"))
    assert reply.startswith(HANDOVER) and "8 am" in reply
    assert conversation.session.engines == ["openai", "guided"]
    engines = [engine for engine, _ in agent_turns(conversation)]
    assert engines == ["openai", "openai", "guided"]
    handed = conversation.session.transcript[-1]
    assert handed.text.startswith(HANDOVER.strip()) and "8 am" in handed.text
    # From the caller's words to the apology: the failed wait is the caller's wait too.
    assert handed.latency_ms is not None and handed.latency_ms >= 300
    # The rest of the call is the fallback's.
    await say(conversation, "Thanks, bye")
    assert conversation.session.transcript[-1].engine == "guided"
    assert conversation.session.engines == ["openai", "guided"]


async def test_words_said_before_a_stall_stay_the_primarys(
    clinic: Clinic, fake_openai: FakeOpenAI
) -> None:
    client = openai.AsyncOpenAI(
        base_url=fake_openai.base_url, api_key="test", max_retries=0, timeout=0.5
    )
    try:
        conversation = openai_call(clinic, client)
        fake_openai.push(Turn(text="Let me just check that for you now", stall_after_chunks=2))
        reply = "".join(await say(conversation, "How much is a massage?"))
        assert HANDOVER in reply and "$130" in reply
        (primary, first), (fallback, second) = agent_turns(conversation)
        assert primary == "openai" and not first.startswith(HANDOVER.strip())
        assert fallback == "guided" and second.startswith(HANDOVER.strip())
        said, handed = conversation.session.transcript[-2:]
        assert said.latency_ms is not None and handed.latency_ms is not None
        assert said.latency_ms < handed.latency_ms and handed.latency_ms >= 500
        # A barge-in during the apology keeps what was heard, across both turns.
        conversation.interrupted(f"{first} Sorry, bear with")
        assert agent_turns(conversation) == [
            ("openai", first),
            ("guided", "Sorry, bear with"),
        ]
        conversation.interrupted(first[:6])
        assert agent_turns(conversation) == [("openai", first[:6])]
    finally:
        await client.close()
        fake_openai.clear()


async def test_a_slow_primary_that_answers_keeps_the_call(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    conversation = openai_call(clinic, openai_client)
    fake_openai.push(Turn(text="There's street parking on Crown Street.", delay=0.6))
    reply = "".join(await say(conversation, "Parking?"))
    assert reply == "There's street parking on Crown Street."
    assert conversation.session.engines == ["openai"]
    assert not conversation.session.errors
    turn = conversation.session.transcript[-1]
    assert turn.engine == "openai" and turn.latency_ms is not None and turn.latency_ms >= 600


async def test_without_a_fallback_the_apology_is_the_failing_engines(
    clinic: Clinic, fake_openai: FakeOpenAI, openai_client: openai.AsyncOpenAI
) -> None:
    engine = OpenAIChatEngine(openai_client, "gpt-test", "brief", chat_schemas(TOOLS))
    conversation = Conversation(start_call(clinic, engine).box, engine)
    fake_openai.push(Turn(status=503))
    await say(conversation, "hello")
    assert agent_turns(conversation) == [("openai", NO_ENGINE)]
    assert conversation.session.engines == ["openai"]
