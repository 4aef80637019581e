"""Strict tool schemas, and the Toolbox taking what a strict model sends (null for "not given")."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from receptionist.agent.schemas import STRICT_KEYWORDS, strict_parameters
from receptionist.agent.session import CallSession
from receptionist.agent.toolbox import (
    Clinic,
    Tool,
    Toolbox,
    ToolResult,
    chat_schemas,
    realtime_schemas,
)
from receptionist.agent.tools import TOOLS
from tests.fakes.openai_strict import check_strict

pytestmark = pytest.mark.anyio


class _Probe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=20, description="A property called title.")
    when: str | None = Field(default=None, max_length=200)
    confirmed: bool = False
    mood: Literal["calm", "cross"] | None = None
    reason: Literal["a", "b"] = "a"


def _walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for key, value in node.items():
            if key == "properties":
                for child in value.values():
                    found += _walk(child)
            elif key in ("items", "anyOf"):
                found += _walk(value)
    elif isinstance(node, list):
        for item in node:
            found += _walk(item)
    return found


def test_every_tool_schema_is_one_the_strict_api_accepts() -> None:
    for schema in chat_schemas(TOOLS):
        function = schema["function"]
        assert function["strict"] is True, function["name"]
        check_strict(function["parameters"])  # raises where the real API would refuse
        for node in _walk(function["parameters"]):
            assert set(node) <= STRICT_KEYWORDS - {"title"}, (function["name"], node)
            assert "default" not in node and "maxLength" not in node
            if node.get("type") == "object":
                assert node["additionalProperties"] is False
                assert node["required"] == list(node["properties"])


def test_realtime_gets_the_same_parameters_flat_and_without_strict() -> None:
    chat = {s["function"]["name"]: s["function"] for s in chat_schemas(TOOLS)}
    for flat in realtime_schemas(TOOLS):
        assert set(flat) == {"type", "name", "description", "parameters"}  # no "strict"
        assert flat["parameters"] == chat[flat["name"]]["parameters"]


def test_optional_arguments_are_nullable_and_required_ones_are_not() -> None:
    schema = strict_parameters(_Probe)
    props = schema["properties"]
    assert schema["required"] == ["title", "when", "confirmed", "mood", "reason"]
    assert props["title"] == {"description": "A property called title.", "type": "string"}
    assert props["when"] == {"type": ["string", "null"]}
    assert props["mood"] == {"type": ["string", "null"], "enum": ["calm", "cross", None]}
    # A default that is a value is said as that value: plain, not nullable.
    assert props["confirmed"] == {"type": "boolean"}
    assert props["reason"] == {"type": "string", "enum": ["a", "b"]}
    check_strict(schema)


class _Nested(BaseModel):
    inner: _Probe | None = None
    tags: list[str] = Field(default_factory=list, max_length=3)


def test_nested_objects_and_arrays_are_strict_too() -> None:
    schema = strict_parameters(_Nested)
    check_strict(schema)
    inner = schema["properties"]["inner"]
    assert inner["type"] == ["object", "null"] and inner["additionalProperties"] is False
    # A list's length limit is an array keyword strict mode does not take as maxLength.
    assert schema["properties"]["tags"]["type"] == ["array", "null"]


def test_a_keyword_strict_mode_refuses_fails_loudly_at_generation() -> None:
    class Odd(BaseModel):
        code: str = Field(json_schema_extra={"uniqueItems": True})

    with pytest.raises(ValueError, match="uniqueItems"):
        strict_parameters(Odd)


# -- Toolbox.call with what a strict model sends -----------------------------------------------


async def _echo(box: Toolbox, args: _Probe) -> ToolResult:
    return ToolResult(True, "ok", args.model_dump())


ECHO = Tool("echo", "Echo the arguments.", _Probe, _echo)


def _box(clinic: Clinic) -> Toolbox:
    session = CallSession(clinic="demo", caller_number="+61412345678")
    return Toolbox(session, clinic, [ECHO, *TOOLS])


async def test_null_for_an_optional_argument_means_not_given(clinic: Clinic) -> None:
    box = _box(clinic)
    result = await box.call(
        "echo", '{"title":"x","when":null,"confirmed":null,"mood":null,"reason":null}'
    )
    assert result.ok, result.say
    assert result.data == {
        "title": "x",
        "when": None,
        "confirmed": False,
        "mood": None,
        "reason": "a",
    }
    # What the model sent is what the trace shows.
    assert box.session.trace[-1].arguments == {
        "title": "x",
        "when": None,
        "confirmed": None,
        "mood": None,
        "reason": None,
    }


async def test_null_for_a_required_argument_is_an_error_the_model_can_act_on(
    clinic: Clinic,
) -> None:
    box = _box(clinic)
    result = await box.call("echo", {"title": None, "when": None})
    assert not result.ok
    assert result.say.startswith("Invalid arguments (title:") and "call again" in result.say
    wrong = await box.call("echo", {"title": "x", "confirmed": "perhaps"})
    assert not wrong.ok and "confirmed" in wrong.say
    extra = await box.call("echo", {"title": "x", "colour": "red"})
    assert not extra.ok and "colour" in extra.say
    too_long = await box.call("echo", {"title": "x" * 21})
    assert not too_long.ok and "title" in too_long.say


async def test_a_strict_read_back_call_to_a_real_tool(clinic: Clinic) -> None:
    """A strict model sends every property to the real tools, null where nothing was said."""
    box = _box(clinic)
    result = await box.call(
        "find_availability",
        {
            "appointment_type": "follow-up",
            "practitioner": None,
            "location": None,
            "when": "Tuesday",
            "appointment": None,
        },
    )
    assert result.ok, result.say
    assert result.data["offers"]
    message = await box.call(
        "take_message",
        {
            "caller_name": "Sam Lee",
            "message": "Please call me back",
            "callback_number": None,
            "voicemail": None,
        },
    )
    assert message.ok, message.say
