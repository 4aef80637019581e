"""Engines turn what the caller said into replies and tool calls.

Every engine speaks through the same `Toolbox`, so the guardrails hold whichever one runs:
- `openai_chat.OpenAIChatEngine`: Chat Completions, streaming, the tool loop;
- `guided.GuidedEngine`: a deterministic receptionist with no LLM, the embedded default and
  the fallback when the LLM fails mid-call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from receptionist.agent.toolbox import Toolbox


class EngineUnavailable(Exception):
    """The engine cannot go on (the LLM is unreachable, timed out or misbehaved)."""


class Engine(Protocol):
    """Turns one caller utterance into streamed reply text, calling tools as it goes."""

    name: str

    def respond(self, box: Toolbox, caller_text: str) -> AsyncIterator[str]:
        """Reply to the caller, as text chunks in speaking order."""
        ...

    def said(self, text: str) -> None:
        """The receptionist said `text` outside this engine (greeting, hand-over)."""
        ...
