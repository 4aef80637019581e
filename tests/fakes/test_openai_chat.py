"""The fake Chat Completions server, driven by the real `openai` client over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionChunk

from tests.fakes.openai_chat import FakeOpenAI, ToolCall, Turn

MODEL = "gpt-4o-mini"
USER = [{"role": "user", "content": "Can I book a physio appointment on Monday?"}]
TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "find_slots",
            "description": "Find free appointment slots.",
            "parameters": {
                "type": "object",
                "properties": {"day": {"type": "string"}, "practitioner": {"type": "string"}},
                "required": ["day"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "lookup_patient",
            "parameters": {"type": "object", "properties": {"phone": {"type": "string"}}},
            "strict": False,
        },
    },
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        base_url=fake.base_url, api_key="test", max_retries=0, timeout=5
    ) as sdk:
        yield sdk


async def _collect(stream: openai.AsyncStream[ChatCompletionChunk]) -> list[ChatCompletionChunk]:
    return [chunk async for chunk in stream]


def _reassemble(chunks: list[ChatCompletionChunk]) -> tuple[str, dict[int, dict[str, str]], str]:
    text = ""
    calls: dict[int, dict[str, str]] = {}
    finish = ""
    for chunk in chunks:
        for choice in chunk.choices:
            delta = choice.delta
            text += delta.content or ""
            for frag in delta.tool_calls or ():
                call = calls.setdefault(frag.index, {"id": "", "name": "", "arguments": ""})
                if frag.id:
                    assert not call["id"], "id sent twice for one index"
                    call["id"] = frag.id
                if frag.function and frag.function.name:
                    call["name"] += frag.function.name
                if frag.function and frag.function.arguments:
                    call["arguments"] += frag.function.arguments
            if choice.finish_reason:
                finish = choice.finish_reason
    return text, calls, finish


@pytest.mark.anyio
async def test_streamed_text_reassembles_from_several_chunks(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    text = "Yes, Monday at 9:00 with Sam is free.  Shall I book it for you?\n"
    fake.push(Turn(text=text))
    stream = await client.chat.completions.create(model=MODEL, messages=USER, stream=True)
    chunks = await _collect(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) >= 4
    got, calls, finish = _reassemble(chunks)
    assert (got, calls, finish) == (text, {}, "stop")
    assert chunks[-1].choices[0].delta.content is None and chunks[-1].usage is None
    assert {c.id for c in chunks} == {chunks[0].id} and chunks[0].id.startswith("chatcmpl-")
    assert all(c.object == "chat.completion.chunk" and c.model == MODEL for c in chunks)
    assert fake.requests == [{"model": MODEL, "messages": USER, "stream": True}]


@pytest.mark.anyio
async def test_streamed_parallel_tool_calls_reassemble_exactly(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    args0 = {"day": "2026-03-02", "practitioner": 'Sam O\'Brien — physio "senior"'}
    raw1 = '{"phone": "+61 2 9999 0000"}'
    fake.push(
        Turn(
            text="Let me check.",
            tool_calls=[
                ToolCall("find_slots", args0, id="call_fixed"),
                ToolCall("lookup_patient", raw1),
            ],
        )
    )
    stream = await client.chat.completions.create(
        model=MODEL,
        messages=USER,
        tools=TOOLS,
        stream=True,
    )
    chunks = await _collect(stream)
    text, calls, finish = _reassemble(chunks)
    assert text == "Let me check." and finish == "tool_calls"
    assert sorted(calls) == [0, 1]
    assert calls[0]["id"] == "call_fixed" and calls[0]["name"] == "find_slots"
    assert json.loads(calls[0]["arguments"]) == args0
    assert calls[1]["id"].startswith("call_") and calls[1]["name"] == "lookup_patient"
    assert calls[1]["arguments"] == raw1  # a str is sent verbatim
    fragments = [
        f for c in chunks if c.choices for f in c.choices[0].delta.tool_calls or () if f.index == 0
    ]
    assert len(fragments) > 5  # arguments arrive in small pieces
    assert fragments[0].type == "function" and fragments[0].function is not None
    assert fragments[0].function.arguments == ""
    assert all(f.id is None and f.function and f.function.name is None for f in fragments[1:])


@pytest.mark.anyio
async def test_tool_only_stream_and_the_sdk_stream_helper(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.push(Turn(tool_calls=[ToolCall("find_slots", {"day": "monday"})]))
    async with client.chat.completions.stream(
        model=MODEL,
        messages=USER,
        tools=TOOLS,
    ) as stream:
        async for _event in stream:
            pass
        final = await stream.get_final_completion()
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert message.content is None and message.tool_calls is not None
    assert message.tool_calls[0].function.name == "find_slots"
    assert message.tool_calls[0].function.arguments == '{"day":"monday"}'


@pytest.mark.anyio
async def test_non_stream_tool_call_parses_into_sdk_types_and_round_trips(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.push(
        Turn(tool_calls=[ToolCall("find_slots", {"day": "monday"})]),
        Turn(text="Monday at nine is free."),
    )
    first = await client.chat.completions.create(model=MODEL, messages=USER, tools=TOOLS)
    assert first.object == "chat.completion" and first.model == MODEL
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.role == "assistant" and choice.message.content is None
    assert choice.message.tool_calls is not None and len(choice.message.tool_calls) == 1
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "find_slots"
    assert json.loads(call.function.arguments) == {"day": "monday"}
    assert first.usage is not None
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens
    assert first._request_id is not None and first._request_id.startswith("req_")

    messages: list[Any] = [
        *USER,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"slots": ["09:00"]}'},
    ]
    second = await client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
    assert second.choices[0].message.content == "Monday at nine is free."
    assert second.choices[0].message.tool_calls is None
    assert second.choices[0].finish_reason == "stop"
    assert [r["messages"][-1]["role"] for r in fake.requests] == ["user", "tool"]


@pytest.mark.anyio
async def test_bad_api_key_is_an_authentication_error(fake: FakeOpenAI) -> None:
    fake.push(Turn(text="never sent"))
    async with openai.AsyncOpenAI(
        base_url=fake.base_url, api_key="sk-wrong-key", max_retries=0
    ) as bad:
        with pytest.raises(openai.AuthenticationError) as info:
            await bad.chat.completions.create(model=MODEL, messages=USER)
    assert info.value.status_code == 401 and info.value.code == "invalid_api_key"
    assert info.value.type == "invalid_request_error"
    assert fake.pending == 1  # a rejected request does not consume a turn


@pytest.mark.anyio
async def test_missing_tool_answer_is_a_bad_request(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.push(Turn(text="unused"))
    assistant = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_a",
                "type": "function",
                "function": {"name": "find_slots", "arguments": "{}"},
            },
            {
                "id": "call_b",
                "type": "function",
                "function": {"name": "lookup_patient", "arguments": "{}"},
            },
        ],
    }
    answer_a = {"role": "tool", "tool_call_id": "call_a", "content": "[]"}
    bad_histories: list[tuple[list[Any], str]] = [
        ([*USER, assistant, answer_a, {"role": "user", "content": "hello?"}], "call_b"),
        ([*USER, assistant, answer_a], "call_b"),
        ([*USER, assistant], "call_a, call_b"),
    ]
    for messages, missing in bad_histories:
        with pytest.raises(openai.BadRequestError) as info:
            await client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        assert "must be followed by tool messages" in info.value.message
        assert info.value.message.endswith(missing)
    orphan = [*USER, {"role": "tool", "tool_call_id": "call_x", "content": "x"}]
    with pytest.raises(openai.BadRequestError, match="preceeding message with 'tool_calls'"):
        await client.chat.completions.create(model=MODEL, messages=orphan)
    wrong_id = [*USER, assistant, {"role": "tool", "tool_call_id": "call_zz", "content": "x"}]
    with pytest.raises(openai.BadRequestError, match="'call_zz' not found"):
        await client.chat.completions.create(model=MODEL, messages=wrong_id, tools=TOOLS)
    dict_args = dict(
        assistant,
        tool_calls=[dict(assistant["tool_calls"][0], function={"name": "f", "arguments": {}})],
    )
    with pytest.raises(openai.BadRequestError, match="expected a string, but got an object"):
        await client.chat.completions.create(model=MODEL, messages=[*USER, dict_args, answer_a])
    ok = [*USER, assistant, answer_a, {"role": "tool", "tool_call_id": "call_b", "content": "{}"}]
    reply = await client.chat.completions.create(model=MODEL, messages=ok, tools=TOOLS)
    assert reply.choices[0].message.content == "unused"


@pytest.mark.anyio
async def test_request_validation(fake: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    bad_tools: list[Any] = [
        [{"type": "function", "function": {"name": "find slots"}}],
        [{"type": "function", "function": {"name": "x" * 65}}],
        [{"type": "function"}],
        [{"type": "retrieval", "function": {"name": "x"}}],
        [{"type": "function", "function": {"description": "no name"}}],
        [],
    ]
    for tools in bad_tools:
        with pytest.raises(openai.BadRequestError) as info:
            await client.chat.completions.create(model=MODEL, messages=USER, tools=tools)
        assert info.value.param is not None and info.value.param.startswith("tools")
    with pytest.raises(openai.BadRequestError, match="Supported values are"):
        await client.chat.completions.create(
            model=MODEL, messages=[{"role": "robot", "content": "x"}]
        )
    with pytest.raises(openai.BadRequestError, match="only allowed when 'tools'"):
        await client.chat.completions.create(model=MODEL, messages=USER, tool_choice="auto")
    with pytest.raises(openai.BadRequestError, match="Unrecognized request argument"):
        await client.chat.completions.create(model=MODEL, messages=USER, extra_body={"bogus": 1})
    # a tool the request did not declare is still sent: the client must cope
    fake.push(Turn(tool_calls=[ToolCall("cancel_everything", {})]))
    reply = await client.chat.completions.create(model=MODEL, messages=USER, tools=TOOLS)
    assert reply.choices[0].message.tool_calls[0].function.name == "cancel_everything"


@pytest.mark.anyio
async def test_scripted_errors_become_sdk_errors(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.push(
        Turn(status=500),
        Turn(status=429, headers={"retry-after": "1"}),
        Turn(status=503, error={"message": "overloaded!"}),
        Turn(text="recovered"),
    )
    with pytest.raises(openai.InternalServerError) as server_error:
        await client.chat.completions.create(model=MODEL, messages=USER)
    assert server_error.value.status_code == 500 and server_error.value.type == "server_error"
    with pytest.raises(openai.RateLimitError) as rate:
        await client.chat.completions.create(model=MODEL, messages=USER, stream=True)
    assert rate.value.code == "rate_limit_exceeded"
    assert rate.value.response.headers["retry-after"] == "1"
    with pytest.raises(openai.InternalServerError, match="overloaded!"):
        await client.chat.completions.create(model=MODEL, messages=USER)
    reply = await client.chat.completions.create(model=MODEL, messages=USER)
    assert reply.choices[0].message.content == "recovered"


@pytest.mark.anyio
async def test_sdk_retries_a_429_then_succeeds(fake: FakeOpenAI) -> None:
    fake.push(Turn(status=429, headers={"retry-after-ms": "10"}), Turn(text="ok"))
    async with openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=1) as sdk:
        reply = await sdk.chat.completions.create(model=MODEL, messages=USER)
    assert reply.choices[0].message.content == "ok"
    assert len(fake.requests) == 2


@pytest.mark.anyio
async def test_delay_longer_than_the_client_timeout_times_out(fake: FakeOpenAI) -> None:
    fake.push(Turn(text="too late", delay=3), Turn(text="slow but fine", delay=0.2))
    async with openai.AsyncOpenAI(
        base_url=fake.base_url, api_key="test", max_retries=0, timeout=0.3
    ) as sdk:
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            await sdk.chat.completions.create(model=MODEL, messages=USER)
        assert time.monotonic() - started < 2
        fast = await sdk.with_options(timeout=2).chat.completions.create(model=MODEL, messages=USER)
    assert fast.choices[0].message.content == "slow but fine"


@pytest.mark.anyio
async def test_stall_mid_stream_is_an_error_not_a_hang(fake: FakeOpenAI) -> None:
    fake.push(Turn(text="one two three four five six seven eight", stall_after_chunks=3))
    fake.push(Turn(text="never finishes", stall_after_chunks=0))
    async with openai.AsyncOpenAI(
        base_url=fake.base_url, api_key="test", max_retries=0, timeout=0.5
    ) as sdk:
        stream = await sdk.chat.completions.create(model=MODEL, messages=USER, stream=True)
        received: list[str] = []
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            async for chunk in stream:
                received.append(chunk.choices[0].delta.content or "")
        assert time.monotonic() - started < 3
        assert "".join(received) == "one two three four "  # tokens arrived before the stall
        with pytest.raises(openai.APITimeoutError):
            await sdk.chat.completions.create(model=MODEL, messages=USER)


@pytest.mark.anyio
async def test_include_usage_adds_a_final_usage_chunk(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.push(Turn(text="Hello there."), Turn(text="Again."))
    stream = await client.chat.completions.create(
        model=MODEL,
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = await _collect(stream)
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0 and chunks[-1].usage.prompt_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])
    assert chunks[-2].choices[0].finish_reason == "stop"
    plain = await _collect(
        await client.chat.completions.create(model=MODEL, messages=USER, stream=True)
    )
    assert all(c.choices and c.usage is None for c in plain)


@pytest.mark.anyio
async def test_exhausted_script_fails_loudly(fake: FakeOpenAI) -> None:
    fake.push(Turn(text="only one"))
    # default retries: the fake says x-should-retry: false so the failure is immediate
    async with openai.AsyncOpenAI(base_url=fake.base_url, api_key="test") as sdk:
        await sdk.chat.completions.create(model=MODEL, messages=USER)
        with pytest.raises(openai.InternalServerError, match="no scripted turn left"):
            await sdk.chat.completions.create(model=MODEL, messages=USER)
    assert len(fake.requests) == 2


@pytest.mark.anyio
async def test_callable_script_and_models_endpoint() -> None:
    def reply(body: dict[str, Any]) -> Turn | None:
        last = body["messages"][-1]["content"]
        return None if last == "stop" else Turn(text=f"echo: {last}")

    with FakeOpenAI(reply, api_key="sk-abc", model=MODEL) as fake:
        async with openai.AsyncOpenAI(
            base_url=fake.base_url, api_key="sk-abc", max_retries=0
        ) as sdk:
            models = await sdk.models.list()
            assert [m.id for m in models.data] == [MODEL]
            hi = await sdk.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "hi"}]
            )
            assert hi.choices[0].message.content == "echo: hi"
            with pytest.raises(openai.NotFoundError, match="does not exist"):
                await sdk.chat.completions.create(model="gpt-other", messages=USER)
            with pytest.raises(openai.InternalServerError, match="no scripted turn left"):
                await sdk.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": "stop"}]
                )


def test_lifecycle() -> None:
    fake = FakeOpenAI([Turn(text="x")])
    with pytest.raises(RuntimeError):
        _ = fake.base_url
    fake.start()
    try:
        assert fake.base_url.startswith("http://127.0.0.1:") and fake.base_url.endswith("/v1")
        response = httpx.post(
            f"{fake.base_url}/chat/completions",
            json={"model": MODEL, "messages": USER},
            headers={"Authorization": "Bearer test"},
        )
        assert response.json()["choices"][0]["message"]["content"] == "x"
        assert httpx.get(f"{fake.base_url}/nope").status_code == 404
        no_key = httpx.get(f"{fake.base_url}/models")
        assert no_key.status_code == 401
        assert "didn't provide an API key" in no_key.json()["error"]["message"]
        headers = {"Authorization": "Bearer test"}
        url = f"{fake.base_url}/chat/completions"
        assert httpx.post(url, json={"messages": USER}, headers=headers).status_code == 400
        missing = httpx.post(url, json={"model": MODEL}, headers=headers).json()["error"]
        assert missing["code"] == "missing_required_parameter" and missing["param"] == "messages"
        assert httpx.post(url, content=b"{nope", headers=headers).status_code == 400
        assert fake.requests[-1] == {"model": MODEL}  # recorded even when rejected
        assert fake.pending == 0
    finally:
        fake.stop()
    fake.stop()  # idempotent


STRICT_OK: dict[str, Any] = {
    "type": "object",
    "properties": {
        "day": {"description": "As said.", "type": "string"},
        "practitioner": {"type": ["string", "null"]},
        "reason": {"type": ["string", "null"], "enum": ["illness", "other", None]},
        "when": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
    },
    "required": ["day", "practitioner", "reason", "when"],
    "additionalProperties": False,
}


def _strict_tool(parameters: dict[str, Any], strict: bool = True) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": "find_slots", "parameters": parameters, "strict": strict},
        }
    ]


def _broken(**changes: Any) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(json.dumps(STRICT_OK))
    for path, value in changes.items():
        *head, last = path.split("__")
        node = schema
        for key in head:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return schema


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (_broken(additionalProperties=None), "'additionalProperties' is required"),
        (_broken(additionalProperties=True), "'additionalProperties' is required"),
        (_broken(required=["day"]), "Missing 'practitioner'"),
        (_broken(required=None), "Missing 'day'"),
        (
            _broken(required=["day", "practitioner", "reason", "when", "x"]),
            "Extra required key 'x'",
        ),
        (_broken(properties__day__default="monday"), "'default' is not permitted"),
        (_broken(properties__day__maxLength=200), "'maxLength' is not permitted"),
        (_broken(properties__day__minLength=1), "'minLength' is not permitted"),
        (_broken(properties__day__format="phone"), "'format' 'phone' is not supported"),
        (_broken(properties__reason__type="string"), "enum value None does not validate"),
        (_broken(properties__when__anyOf=[{"type": "string", "maxLength": 9}]), "'maxLength'"),
        ({"anyOf": [STRICT_OK]}, 'type: "object"\''),
        ({**STRICT_OK, "anyOf": [STRICT_OK]}, "not have 'oneOf'/'anyOf'"),
    ],
)
async def test_a_strict_schema_the_api_would_refuse_is_refused(
    fake: FakeOpenAI, client: openai.AsyncOpenAI, schema: dict[str, Any], message: str
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model=MODEL, messages=USER, tools=_strict_tool(schema))
    assert info.value.code == "invalid_function_parameters"
    assert info.value.param == "tools[0].function.parameters"
    assert str(info.value.message).find("Invalid schema for function 'find_slots': ") >= 0
    assert message in str(info.value.message)
    assert fake.rejections[-1]["error"]["code"] == "invalid_function_parameters"
    assert fake.pending == 0  # a refused request consumes no scripted turn
    # The same schema without strict is the model's problem, not the API's: accepted.
    fake.push(Turn(text="ok"))
    await client.chat.completions.create(
        model=MODEL, messages=USER, tools=_strict_tool(schema, strict=False)
    )


@pytest.mark.anyio
async def test_a_strict_call_carries_every_property_and_the_request_is_recorded(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.push(Turn(tool_calls=[ToolCall("find_slots", {"day": "monday"})]))
    reply = await client.chat.completions.create(
        model=MODEL, messages=USER, tools=_strict_tool(STRICT_OK), tool_choice="auto"
    )
    call = reply.choices[0].message.tool_calls[0]
    assert json.loads(call.function.arguments) == {
        "day": "monday",
        "practitioner": None,
        "reason": None,
        "when": None,
    }
    assert fake.requests[-1]["tool_choice"] == "auto"
    assert fake.functions()["find_slots"]["strict"] is True
    assert fake.rejections == []
    # Not strict: the scripted arguments go as written.
    fake.push(Turn(tool_calls=[ToolCall("find_slots", {"day": "monday"})]))
    reply = await client.chat.completions.create(
        model=MODEL, messages=USER, tools=_strict_tool(STRICT_OK, strict=False)
    )
    assert reply.choices[0].message.tool_calls[0].function.arguments == '{"day":"monday"}'
