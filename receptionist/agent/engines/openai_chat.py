"""The OpenAI Chat Completions engine: streaming replies and the tool loop.

Works with any OpenAI-compatible server (`base_url` and model come from settings). Tools go
as strict function schemas (`receptionist.agent.schemas`) with `tool_choice="auto"`; a server
that ignores `strict` still gets a valid schema, and `Toolbox.call` validates every call
anyway. Text deltas are passed on as they arrive, so the caller hears the first words while
the model is still writing. Tool calls arrive as fragments keyed by index; they are assembled,
parsed only after the stream ends, run through the `Toolbox` (which validates, enforces the
guardrails and never raises), answered with one `tool` message each, and the model is asked
again.

Any transport failure (connection refused, timeout, 5xx, a stream that stalls) becomes
`EngineUnavailable`, so the conversation can hand the call to the guided engine.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import openai

from receptionist.agent.engines import EngineUnavailable
from receptionist.agent.speech import speakable
from receptionist.agent.toolbox import Toolbox

logger = logging.getLogger(__name__)

MAX_TOOL_ROUNDS = 6


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class OpenAIChatEngine:
    """One call's conversation with a Chat Completions model."""

    name = "openai"

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        instructions: str,
        tools: Sequence[dict[str, Any]],
        *,
        temperature: float | None = None,
        max_tool_rounds: int = MAX_TOOL_ROUNDS,
    ) -> None:
        self._client = client
        self._model = model
        self._tools = list(tools)
        self._temperature = temperature
        self._max_rounds = max_tool_rounds
        self.messages: list[dict[str, Any]] = [{"role": "system", "content": instructions}]

    def said(self, text: str) -> None:
        self.messages.append({"role": "assistant", "content": text})

    def heard_only(self, text: str) -> None:
        """The caller interrupted: keep in the history only what they heard of the last reply."""
        for message in reversed(self.messages):
            if message["role"] == "assistant" and message.get("content"):
                message["content"] = text
                return

    async def respond(self, box: Toolbox, caller_text: str) -> AsyncIterator[str]:
        self.messages.append({"role": "user", "content": caller_text})
        for _ in range(self._max_rounds):
            text: list[str] = []
            calls: dict[int, _PendingCall] = {}
            async for piece in self._stream(text, calls):
                yield piece
            assistant: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
            ordered = [calls[index] for index in sorted(calls)]
            if ordered:
                assistant["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": "".join(call.arguments)},
                    }
                    for call in ordered
                ]
            self.messages.append(assistant)
            if not ordered:
                return
            for call in ordered:
                result = await box.call(call.name, "".join(call.arguments))
                self.messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": result.say}
                )
        logger.warning("model exceeded %d tool rounds in one turn", self._max_rounds)
        raise EngineUnavailable("too many tool rounds in one turn")

    async def _stream(self, text: list[str], calls: dict[int, _PendingCall]) -> AsyncIterator[str]:
        try:
            stream = await self._client.chat.completions.create(
                model=self._model,
                messages=self.messages,  # type: ignore[arg-type]
                tools=self._tools,  # type: ignore[arg-type]
                # Said outright, not left to the server: some OpenAI-compatible servers
                # default to "none" or ignore tools unless asked.
                tool_choice="auto" if self._tools else openai.omit,
                stream=True,
                temperature=openai.omit if self._temperature is None else self._temperature,
            )
            assert isinstance(stream, openai.AsyncStream)
            async with stream:  # closed even when the reply is cancelled (a barge-in)
                async for chunk in stream:
                    if not chunk.choices:
                        continue
                    delta = chunk.choices[0].delta
                    if delta.content:
                        piece = speakable(delta.content)
                        text.append(piece)
                        yield piece
                    for fragment in delta.tool_calls or ():
                        pending = calls.setdefault(fragment.index, _PendingCall())
                        if fragment.id:
                            pending.id = fragment.id
                        if fragment.function is not None:
                            if fragment.function.name:
                                pending.name = fragment.function.name
                            if fragment.function.arguments:
                                pending.arguments.append(fragment.function.arguments)
        except openai.OpenAIError as exc:
            logger.warning("chat completions failed: %s", type(exc).__name__)
            raise EngineUnavailable(type(exc).__name__) from exc
        for index, pending in calls.items():
            if not pending.id:
                pending.id = f"call_{index}"
