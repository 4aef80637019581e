"""A fake OpenAI Chat Completions server that speaks the real HTTP protocol.

Tests point the real `openai` client at it (`AsyncOpenAI(base_url=fake.base_url, api_key=...)`)
and script the model's turns. The server validates requests the way the real API does for
the parts this project uses (auth, message ordering around tool calls, tool definitions, and
strict function schemas: see `openai_strict`), so a client bug that the real API would reject
with a 400 is rejected here too, and it streams `chat.completion.chunk` events the way the
real API does (text in word pieces, tool-call arguments in small fragments keyed by `index`)
so tests exercise reassembly. A scripted call to a strict function is sent as a strict model
sends it: every property, `null` for the ones the script leaves out.

Every request body is kept in `requests` (`functions()` gives one request's function
definitions by name, to assert `strict` and `tool_choice`), and every refusal's error body in
`rejections`.

    with FakeOpenAI([Turn(tool_calls=[ToolCall("find_slots", {"day": "monday"})]),
                     Turn(text="Monday at nine is free.")]) as fake:
        client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test")
        ...
        assert fake.requests[1]["messages"][-1]["role"] == "tool"

A request that fails validation does not consume a scripted turn; an error `Turn` (status
other than 200) does. When the script runs out, the server answers 500 with
"no scripted turn left" and `x-should-retry: false`, so the test fails loudly and at once.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.openai_strict import (
    INVALID_PARAMETERS,
    StrictSchemaError,
    check_strict,
    complete_arguments,
)

__all__ = ["FakeOpenAI", "ToolCall", "Turn", "Script"]


@dataclass(frozen=True)
class ToolCall:
    """One tool call the scripted model makes."""

    name: str
    arguments: str | dict[str, Any]  # dict is json.dumps'ed; a str is sent verbatim (malformed ok)
    id: str | None = None  # generated "call_..." if None

    def arguments_json(self) -> str:
        """The `function.arguments` string as sent on the wire (compact, like the models)."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Turn:
    """One scripted model response."""

    text: str = ""
    tool_calls: Sequence[ToolCall] = ()
    # Non-200: reply with OpenAI's error JSON shape {"error": {message, type, param, code}}.
    status: int = 200
    # Seconds before the first byte (before the response headers), to test client timeouts.
    delay: float = 0.0
    # Streaming: send this many `data:` chunks, then hang (mid-stream failure). Non-streaming:
    # send the response headers, then hang without a body.
    stall_after_chunks: int | None = None
    finish_reason: str | None = None  # default: "tool_calls" if tool_calls else "stop"
    # For error turns: fields merged over the default error object for `status`.
    error: Mapping[str, Any] | None = None
    # Extra response headers (e.g. {"retry-after": "1"} on a 429).
    headers: Mapping[str, str] | None = None


Script = Callable[[dict[str, Any]], Turn | None]
"""A function from the request body to the next turn; None means "no scripted turn left"."""

_ALNUM = string.ascii_letters + string.digits
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_KNOWN_PARAMS = frozenset(
    {
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "messages",
        "metadata",
        "modalities",
        "model",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "prompt_cache_retention",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    }
)
# Fragment sizes for streamed tool-call arguments, cycled so splits land at awkward places.
_ARG_PIECES = (3, 1, 4, 2, 5)
_WORDS_PER_CHUNK = 2
_POLL = 0.02


def _rand_id(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class _ApiError(Exception):
    """An OpenAI-shaped error response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "error": {"message": message, "type": type, "param": param, "code": code}
        }
        self.headers = dict(headers or {})


def _missing(param: str) -> _ApiError:
    return _ApiError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def _invalid_type(param: str, expected: str, value: object) -> _ApiError:
    article = "an" if expected[0] in "aeiou" else "a"
    got = _type_name(value)
    got_article = "an" if got[0] in "aeiou" else "a"
    return _ApiError(
        400,
        f"Invalid type for '{param}': expected {article} {expected},"
        f" but got {got_article} {got} instead.",
        param=param,
        code="invalid_type",
    )


def _empty_array(param: str) -> _ApiError:
    return _ApiError(
        400,
        f"Invalid '{param}': empty array. Expected an array with minimum length 1,"
        " but got an empty array instead.",
        param=param,
        code="empty_array",
    )


def _default_error(status: int, model: str) -> dict[str, Any]:
    if status == 400:
        return {"message": "Bad request (scripted).", "type": "invalid_request_error"}
    if status == 401:
        return {
            "message": "Incorrect API key provided.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    if status == 403:
        return {
            "message": "Country, region, or territory not supported",
            "type": "request_forbidden",
            "code": "unsupported_country_region_territory",
        }
    if status == 404:
        return {
            "message": f"The model `{model}` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "code": "model_not_found",
        }
    if status == 429:
        return {
            "message": f"Rate limit reached for {model} on tokens per min (TPM): Limit 30000,"
            " Used 29000, Requested 2000. Please try again in 2s. Visit"
            " https://platform.openai.com/account/rate-limits to learn more.",
            "type": "tokens",
            "code": "rate_limit_exceeded",
        }
    if status == 503:
        return {
            "message": "The engine is currently overloaded, please try again later",
            "type": "server_error",
        }
    if status >= 500:
        return {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
        }
    return {"message": f"Scripted error (HTTP {status}).", "type": "invalid_request_error"}


def _text_pieces(text: str) -> list[str]:
    """Split text into pieces of a few words; concatenating them gives `text` back exactly."""
    words = [w for w in re.split(r"(?<=\s)(?=\S)", text) if w]
    return [
        "".join(words[i : i + _WORDS_PER_CHUNK]) for i in range(0, len(words), _WORDS_PER_CHUNK)
    ]


def _arg_pieces(arguments: str) -> list[str]:
    pieces: list[str] = []
    i = 0
    k = 0
    while i < len(arguments):
        size = _ARG_PIECES[k % len(_ARG_PIECES)]
        pieces.append(arguments[i : i + size])
        i += size
        k += 1
    return pieces


def _rough_tokens(value: object) -> int:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return max(1, len(text) // 4) if text else 0


def _content_ok(content: object, *, allow_null: bool) -> bool:
    if content is None:
        return allow_null
    if isinstance(content, str):
        return True
    return isinstance(content, list) and all(isinstance(p, dict) and "type" in p for p in content)


def _validate_tools(body: dict[str, Any]) -> set[str]:
    """Validate `tools`, `tool_choice` and `parallel_tool_calls`; the declared function names."""
    tools = body.get("tools")
    names: set[str] = set()
    if tools is not None:
        if not isinstance(tools, list):
            raise _invalid_type("tools", "array", tools)
        if not tools:
            raise _empty_array("tools")
        for i, tool in enumerate(tools):
            where = f"tools[{i}]"
            if not isinstance(tool, dict):
                raise _invalid_type(where, "object", tool)
            if "type" not in tool:
                raise _missing(f"{where}.type")
            if tool["type"] != "function":
                raise _ApiError(
                    400,
                    f"Invalid value: '{tool['type']}'. Supported values are: 'function'"
                    " and 'custom'.",
                    param=f"{where}.type",
                    code="invalid_value",
                )
            function = tool.get("function")
            if function is None:
                raise _missing(f"{where}.function")
            if not isinstance(function, dict):
                raise _invalid_type(f"{where}.function", "object", function)
            unknown = set(function) - {"name", "description", "parameters", "strict"}
            if unknown:
                raise _ApiError(
                    400,
                    f"Unknown parameter: '{where}.function.{sorted(unknown)[0]}'.",
                    param=f"{where}.function.{sorted(unknown)[0]}",
                    code="unknown_parameter",
                )
            name = function.get("name")
            if name is None:
                raise _missing(f"{where}.function.name")
            if not isinstance(name, str):
                raise _invalid_type(f"{where}.function.name", "string", name)
            if len(name) > 64:
                raise _ApiError(
                    400,
                    f"Invalid '{where}.function.name': string too long. Expected a string with"
                    f" maximum length 64, but got a string with length {len(name)} instead.",
                    param=f"{where}.function.name",
                    code="string_above_max_length",
                )
            if not _TOOL_NAME.match(name):
                raise _ApiError(
                    400,
                    f"Invalid '{where}.function.name': string does not match pattern. Expected"
                    " a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                    param=f"{where}.function.name",
                    code="invalid_value",
                )
            if "description" in function and not isinstance(function["description"], str):
                raise _invalid_type(
                    f"{where}.function.description", "string", function["description"]
                )
            if "parameters" in function and not isinstance(function["parameters"], dict):
                raise _invalid_type(
                    f"{where}.function.parameters", "object", function["parameters"]
                )
            if "strict" in function and not isinstance(function["strict"], bool | None):
                raise _invalid_type(f"{where}.function.strict", "boolean", function["strict"])
            if function.get("strict") is True and "parameters" in function:
                try:
                    check_strict(function["parameters"])
                except StrictSchemaError as exc:
                    raise _ApiError(
                        400,
                        f"Invalid schema for function '{name}': {exc}",
                        param=f"{where}.function.parameters",
                        code=INVALID_PARAMETERS,
                    ) from exc
            names.add(name)

    choice = body.get("tool_choice")
    if choice is not None:
        if not names:
            raise _ApiError(
                400,
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools'"
                " are specified.",
                param="tool_choice",
            )
        if isinstance(choice, str):
            if choice not in ("auto", "none", "required"):
                raise _ApiError(
                    400,
                    f"Invalid value: '{choice}'. Supported values are: 'none', 'auto',"
                    " and 'required'.",
                    param="tool_choice",
                    code="invalid_value",
                )
        elif isinstance(choice, dict):
            function = choice.get("function")
            name = function.get("name") if isinstance(function, dict) else None
            if choice.get("type") != "function" or not isinstance(name, str):
                raise _missing("tool_choice.function.name")
            if name not in names:
                raise _ApiError(
                    400,
                    f"Invalid value for 'tool_choice': tool choice '{name}' not found in"
                    " 'tools' parameter.",
                    param="tool_choice",
                )
        else:
            raise _invalid_type("tool_choice", "object", choice)
    if body.get("parallel_tool_calls") is not None and not names:
        raise _ApiError(
            400,
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed"
            " when 'tools' are specified.",
            param="parallel_tool_calls",
        )
    return names


def _validate_messages(messages: object) -> None:
    if not isinstance(messages, list):
        raise _invalid_type("messages", "array", messages)
    if not messages:
        raise _empty_array("messages")
    # tool_call ids of the latest assistant message still waiting for a tool answer
    pending: dict[str, None] | None = None
    pending_at = -1
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise _invalid_type(where, "object", message)
        role = message.get("role")
        if role is None:
            raise _missing(f"{where}.role")
        if role not in _ROLES:
            raise _ApiError(
                400,
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user',"
                " 'function', 'tool', and 'developer'.",
                param=f"{where}.role",
                code="invalid_value",
            )
        if role == "tool":
            if pending is None:
                raise _ApiError(
                    400,
                    "Invalid parameter: messages with role 'tool' must be a response to a"
                    " preceeding message with 'tool_calls'.",
                    param=f"messages.[{i}].role",
                )
            call_id = message.get("tool_call_id")
            if call_id is None:
                raise _missing(f"{where}.tool_call_id")
            if call_id not in pending:
                raise _ApiError(
                    400,
                    f"Invalid parameter: 'tool_call_id' of '{call_id}' not found in"
                    " 'tool_calls' of previous message.",
                    param=f"messages.[{i}].tool_call_id",
                )
            if "content" not in message:
                raise _missing(f"{where}.content")
            if not _content_ok(message["content"], allow_null=False):
                raise _invalid_type(f"{where}.content", "string", message["content"])
            del pending[call_id]
            continue
        if pending:
            raise _ApiError(
                400,
                "An assistant message with 'tool_calls' must be followed by tool messages"
                " responding to each 'tool_call_id'. The following tool_call_ids did not have"
                f" response messages: {', '.join(pending)}",
                param=f"messages.[{i}].role",
            )
        pending = None
        if role == "assistant":
            pending = _validate_assistant(message, where)
            pending_at = i
        else:
            if "content" not in message:
                raise _missing(f"{where}.content")
            if not _content_ok(message["content"], allow_null=False):
                raise _invalid_type(f"{where}.content", "string", message["content"])
            if role == "function" and not isinstance(message.get("name"), str):
                raise _missing(f"{where}.name")
    if pending:
        raise _ApiError(
            400,
            "An assistant message with 'tool_calls' must be followed by tool messages"
            " responding to each 'tool_call_id'. The following tool_call_ids did not have"
            f" response messages: {', '.join(pending)}",
            param=f"messages.[{pending_at}].role",
        )


def _validate_assistant(message: dict[str, Any], where: str) -> dict[str, None] | None:
    content = message.get("content")
    if not _content_ok(content, allow_null=True):
        raise _invalid_type(f"{where}.content", "string", content)
    tool_calls = message.get("tool_calls")
    if tool_calls is None:
        if content is None and not any(
            message.get(k) is not None for k in ("function_call", "refusal", "audio")
        ):
            raise _ApiError(
                400,
                "Invalid value for 'content': expected a string, got null.",
                param=f"{where.replace('[', '.[')}.content",
            )
        return None
    if not isinstance(tool_calls, list):
        raise _invalid_type(f"{where}.tool_calls", "array", tool_calls)
    if not tool_calls:
        raise _empty_array(f"{where}.tool_calls")
    ids: dict[str, None] = {}
    for j, call in enumerate(tool_calls):
        at = f"{where}.tool_calls[{j}]"
        if not isinstance(call, dict):
            raise _invalid_type(at, "object", call)
        for key in ("id", "type", "function"):
            if key not in call:
                raise _missing(f"{at}.{key}")
        if call["type"] != "function":
            raise _ApiError(
                400,
                f"Invalid value: '{call['type']}'. Supported values are: 'function' and 'custom'.",
                param=f"{at}.type",
                code="invalid_value",
            )
        if not isinstance(call["id"], str):
            raise _invalid_type(f"{at}.id", "string", call["id"])
        function = call["function"]
        if not isinstance(function, dict):
            raise _invalid_type(f"{at}.function", "object", function)
        for key in ("name", "arguments"):
            if key not in function:
                raise _missing(f"{at}.function.{key}")
            if not isinstance(function[key], str):
                raise _invalid_type(f"{at}.function.{key}", "string", function[key])
        ids[call["id"]] = None
    return ids


def _strict_parameters(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The parameters of the request's strict functions, by name (the request is valid)."""
    found: dict[str, dict[str, Any]] = {}
    for tool in body.get("tools") or ():
        function = tool["function"]
        if function.get("strict") is True and isinstance(function.get("parameters"), dict):
            found[function["name"]] = function["parameters"]
    return found


def _arguments_sent(call: ToolCall, strict: Mapping[str, dict[str, Any]]) -> str:
    """A scripted call's arguments as the model sends them: a strict function gets every
    property (null for the ones the script leaves out); a str is sent verbatim."""
    if isinstance(call.arguments, dict) and call.name in strict:
        completed = complete_arguments(call.arguments, strict[call.name])
        return json.dumps(completed, ensure_ascii=False, separators=(",", ":"))
    return call.arguments_json()


def _validate(body: dict[str, Any]) -> set[str]:
    unknown = [key for key in body if key not in _KNOWN_PARAMS]
    if unknown:
        raise _ApiError(400, f"Unrecognized request argument supplied: {unknown[0]}")
    if "model" not in body or body["model"] in (None, ""):
        raise _ApiError(400, "you must provide a model parameter")
    if not isinstance(body["model"], str):
        raise _invalid_type("model", "string", body["model"])
    if "messages" not in body:
        raise _missing("messages")
    _validate_messages(body["messages"])
    names = _validate_tools(body)
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _invalid_type("stream", "boolean", stream)
    options = body.get("stream_options")
    if options is not None:
        if not stream:
            raise _ApiError(
                400,
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                param="stream_options",
            )
        if not isinstance(options, dict):
            raise _invalid_type("stream_options", "object", options)
    return names


class FakeOpenAI:
    """A scripted Chat Completions server on a loopback port (uvicorn in a daemon thread).

    `script` is either the turns to replay in order (more can be added with `push`) or a
    function from the request body to the turn (None: no turn left). Pushed turns are
    used first; the function is asked only when none are queued.
    """

    def __init__(
        self,
        script: Iterable[Turn] | Script = (),
        *,
        api_key: str = "test",
        model: str | None = None,
    ) -> None:
        self.api_key = api_key
        self.model = model
        self.requests: list[dict[str, Any]] = []
        # The error bodies of requests refused as the real API would (4xx before any turn).
        self.rejections: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._turns: deque[Turn] = deque()
        self._script: Script | None = None
        if callable(script):
            self._script = script
        else:
            self._turns.extend(script)
        self._stopping = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat_completions, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/models/{model_id:path}", self._model, methods=["GET"]),
                Route(
                    "/{path:path}",
                    self._not_found,
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                ),
            ]
        )

    # -- script -------------------------------------------------------------------------

    def push(self, *turns: Turn) -> None:
        """Append scripted turns."""
        with self._lock:
            self._turns.extend(turns)

    def clear(self) -> int:
        """Drop every queued turn; returns how many there were."""
        with self._lock:
            dropped = len(self._turns)
            self._turns.clear()
            return dropped

    @property
    def pending(self) -> int:
        """How many pushed turns are still queued (a function script is not counted)."""
        with self._lock:
            return len(self._turns)

    def functions(self, request: int = -1) -> dict[str, dict[str, Any]]:
        """The function definitions one recorded request carried, by name (name, description,
        parameters, strict as sent)."""
        with self._lock:
            body = self.requests[request]
        return {
            tool["function"]["name"]: tool["function"]
            for tool in body.get("tools") or ()
            if isinstance(tool, dict) and isinstance(tool.get("function"), dict)
        }

    def _next_turn(self, body: dict[str, Any]) -> Turn | None:
        with self._lock:
            if self._turns:
                return self._turns.popleft()
            script = self._script
        return script(body) if script is not None else None

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>/v1` once started."""
        if self._port is None:
            raise RuntimeError("FakeOpenAI is not started")
        return f"http://127.0.0.1:{self._port}/v1"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("FakeOpenAI is already started")
        self._stopping.clear()
        config = uvicorn.Config(
            self.app,
            loop="asyncio",
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="FakeOpenAI", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError("FakeOpenAI server did not start")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        self._port = int(server.servers[0].sockets[0].getsockname()[1])

    def stop(self) -> None:
        """Stop the server; hung (stalled or delayed) responses are abandoned."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.should_exit = True
        thread.join(timeout=10)
        self._server = self._thread = None
        self._port = None

    def __enter__(self) -> FakeOpenAI:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def _sleep(self, seconds: float) -> bool:
        """Sleep up to `seconds`; False if the server is stopping."""
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            await asyncio.sleep(min(left, _POLL))
        return False

    # -- routes -------------------------------------------------------------------------

    @staticmethod
    def _headers(extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"x-request-id": _rand_id("req_", 32), "openai-processing-ms": "1"}
        headers.update(extra or {})
        return headers

    def _error(self, err: _ApiError) -> JSONResponse:
        return JSONResponse(err.body, status_code=err.status, headers=self._headers(err.headers))

    def _check_auth(self, request: Request) -> None:
        auth = request.headers.get("authorization")
        if not auth or not auth.startswith("Bearer ") or not auth[len("Bearer ") :].strip():
            raise _ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an"
                " Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY),"
                " or as the password field (with blank username) if you're accessing the API"
                " from your browser and are prompted for a username and password. You can"
                " obtain an API key from https://platform.openai.com/account/api-keys.",
            )
        key = auth[len("Bearer ") :].strip()
        if key != self.api_key:
            shown = key if len(key) <= 8 else f"{key[:3]}*****{key[-4:]}"
            raise _ApiError(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key at"
                " https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )

    async def _not_found(self, request: Request) -> Response:
        return self._error(_ApiError(404, f"Invalid URL ({request.method} {request.url.path})"))

    def _model_object(self, model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": 1_700_000_000, "owned_by": "system"}

    async def _models(self, request: Request) -> Response:
        try:
            self._check_auth(request)
        except _ApiError as err:
            return self._error(err)
        data = [self._model_object(self.model)] if self.model is not None else []
        return JSONResponse({"object": "list", "data": data}, headers=self._headers())

    async def _model(self, request: Request) -> Response:
        try:
            self._check_auth(request)
        except _ApiError as err:
            return self._error(err)
        model_id = request.path_params["model_id"]
        if self.model is not None and model_id == self.model:
            return JSONResponse(self._model_object(model_id), headers=self._headers())
        return self._error(
            _ApiError(
                404,
                f"The model '{model_id}' does not exist",
                param="model",
                code="model_not_found",
            )
        )

    async def _chat_completions(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if isinstance(body, dict):
            with self._lock:
                self.requests.append(body)
        try:
            self._check_auth(request)
            if not isinstance(body, dict):
                raise _ApiError(
                    400,
                    "We could not parse the JSON body of your request. (HINT: This likely means"
                    " you aren't using your HTTP library correctly. The OpenAI API expects a"
                    " JSON payload, but what was sent was not valid JSON. If you have trouble"
                    " figuring out how to fix this, please contact us through our help center"
                    " at help.openai.com.)",
                )
            _validate(body)
            model: str = body["model"]
            if self.model is not None and model != self.model:
                raise _ApiError(
                    404,
                    f"The model `{model}` does not exist or you do not have access to it.",
                    code="model_not_found",
                )
        except _ApiError as err:
            with self._lock:
                self.rejections.append(err.body)
            return self._error(err)

        turn = self._next_turn(body)
        if turn is None:
            count = len(self.requests)
            return self._error(
                _ApiError(
                    500,
                    f"FakeOpenAI: no scripted turn left (request #{count} to"
                    " /v1/chat/completions). Script another Turn for this request.",
                    type="fake_script_exhausted",
                    code="no_scripted_turn_left",
                    headers={"x-should-retry": "false"},
                )
            )
        if turn.delay > 0 and not await self._sleep(turn.delay):
            return self._error(_ApiError(503, "FakeOpenAI is stopping", type="server_error"))
        if turn.status != 200:
            error = _default_error(turn.status, model) | dict(turn.error or {})
            full = {"message": "", "type": "invalid_request_error", "param": None, "code": None}
            return JSONResponse(
                {"error": full | error},
                status_code=turn.status,
                headers=self._headers(turn.headers),
            )
        strict = _strict_parameters(body)
        calls = [
            (call.id or _rand_id("call_", 24), call.name, _arguments_sent(call, strict))
            for call in turn.tool_calls
        ]
        finish = turn.finish_reason or ("tool_calls" if calls else "stop")
        usage = self._usage(body, turn, calls)
        completion_id = _rand_id("chatcmpl-", 29)
        created = int(time.time())
        headers = self._headers(turn.headers)
        if body.get("stream"):
            options = body.get("stream_options") or {}
            chunks = self._chunks(
                completion_id,
                created,
                model,
                turn.text,
                calls,
                finish,
                usage if options.get("include_usage") else None,
            )
            return StreamingResponse(
                self._stream(chunks, turn.stall_after_chunks),
                media_type="text/event-stream; charset=utf-8",
                headers=headers,
            )
        message: dict[str, Any] = {
            "role": "assistant",
            "content": turn.text if turn.text or not calls else None,
            "refusal": None,
            "annotations": [],
        }
        if calls:
            message["tool_calls"] = [
                {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
                for cid, name, args in calls
            ]
        completion = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
            "usage": usage,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }
        if turn.stall_after_chunks is not None:
            return StreamingResponse(
                self._stream([], 0), media_type="application/json", headers=headers
            )
        return JSONResponse(completion, headers=headers)

    @staticmethod
    def _usage(
        body: dict[str, Any], turn: Turn, calls: list[tuple[str, str, str]]
    ) -> dict[str, Any]:
        prompt = _rough_tokens(body["messages"]) + (
            _rough_tokens(body["tools"]) if body.get("tools") else 0
        )
        completion = _rough_tokens(turn.text) + sum(
            _rough_tokens(name) + _rough_tokens(args) for _, name, args in calls
        )
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    @staticmethod
    def _chunks(
        completion_id: str,
        created: int,
        model: str,
        text: str,
        calls: list[tuple[str, str, str]],
        finish: str,
        usage: dict[str, Any] | None,
    ) -> list[dict[str, Any]]:
        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            out: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "service_tier": "default",
                "system_fingerprint": "fp_fake",
                "choices": [
                    {
                        "index": 0,
                        "delta": delta,
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
            }
            if usage is not None:
                out["usage"] = None
            return out

        deltas: list[dict[str, Any]] = []
        if text or not calls:
            deltas.append({"role": "assistant", "content": "", "refusal": None})
            deltas.extend({"content": piece} for piece in _text_pieces(text))
        for index, (call_id, name, args) in enumerate(calls):
            first: dict[str, Any] = {
                "index": index,
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
            if deltas:
                deltas.append({"tool_calls": [first]})
            else:  # a tool-only turn: the role arrives with the first fragment, content null
                deltas.append(
                    {"role": "assistant", "content": None, "tool_calls": [first], "refusal": None}
                )
            deltas.extend(
                {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
                for piece in _arg_pieces(args)
            )
        chunks = [chunk(delta) for delta in deltas]
        chunks.append(chunk({}, finish))
        if usage is not None:
            final = chunk({})
            final["choices"] = []
            final["usage"] = usage
            chunks.append(final)
        return chunks

    async def _stream(
        self, chunks: list[dict[str, Any]], stall_after: int | None
    ) -> AsyncIterator[bytes]:
        for n, data in enumerate(chunks):
            if stall_after is not None and n >= stall_after:
                break
            yield f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
            await asyncio.sleep(0)  # let the transport flush, like a real token stream
        else:
            if stall_after is None or stall_after > len(chunks):
                yield b"data: [DONE]\n\n"
                return
        # Hang until the client gives up (disconnect cancels us) or the server stops.
        while await self._sleep(3600):
            pass
