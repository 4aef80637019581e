"""How many o200k_base tokens the demo clinic's prompt costs: instructions plus tool schemas.

The budget is 1,500 tokens for both together (issue: the agent). Tools are counted as the
JSON the Chat Completions request carries (`tools=[...]`, compact); the API's internal tool
rendering differs a little, so this is a close estimate rather than the billed figure.

Run: `.venv/bin/python bench/prompt_tokens.py`. The last line is one JSON object.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from o200k import count_tokens  # noqa: E402

from diary.seed import DEMO_TIMEZONE  # noqa: E402
from receptionist.agent.script import demo_script, render_instructions  # noqa: E402
from receptionist.agent.toolbox import chat_schemas, realtime_schemas  # noqa: E402
from receptionist.agent.tools import TOOLS  # noqa: E402

BUDGET = 1500
DEMO_TYPES = [
    "Initial physiotherapy consultation",
    "Physiotherapy follow-up",
    "Remedial massage",
    "Clinical pilates assessment",
]


def measure(count_tokens: Callable[[str], int] = count_tokens) -> dict[str, object]:
    instructions = render_instructions(
        demo_script(),
        today=date(2026, 3, 2),
        clinic_zone=DEMO_TIMEZONE,
        appointment_types=DEMO_TYPES,
    )
    chat_tools = json.dumps(chat_schemas(TOOLS), separators=(",", ":"))
    realtime_tools = json.dumps(realtime_schemas(TOOLS), separators=(",", ":"))
    per_tool = {
        schema["function"]["name"]: count_tokens(json.dumps(schema, separators=(",", ":")))
        for schema in chat_schemas(TOOLS)
    }
    instruction_tokens = count_tokens(instructions)
    chat_tool_tokens = count_tokens(chat_tools)
    total = instruction_tokens + chat_tool_tokens
    return {
        "instructions_tokens": instruction_tokens,
        "chat_tools_tokens": chat_tool_tokens,
        "realtime_tools_tokens": count_tokens(realtime_tools),
        "per_tool": per_tool,
        "total_tokens": total,
        "budget": BUDGET,
        "within_budget": total <= BUDGET,
    }


if __name__ == "__main__":
    figures = measure()
    for name, tokens in sorted(figures["per_tool"].items(), key=lambda kv: -kv[1]):  # type: ignore[union-attr]
        print(f"  {name:24} {tokens:5d}")
    print(f"instructions {figures['instructions_tokens']}, tools {figures['chat_tools_tokens']}")
    print(json.dumps(figures))
