"""The demo clinic's instructions plus tool schemas stay within 1,500 o200k_base tokens.

The schemas counted are the ones sent: strict (every property required, optional ones
nullable), so the budget cannot be met by quietly sending looser ones.

The tokenizer's ranks come from the cache `make test` fills before the tests run (tiktoken's
own download is not reachable here); the test itself touches no network.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from receptionist.agent.toolbox import chat_schemas
from receptionist.agent.tools import TOOLS
from tests.conftest import IN_CI

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_instructions_and_tools_fit_the_budget() -> None:
    o200k = _module("o200k")
    ranks = o200k.CACHE_DIR / o200k.RANKS_RELATIVE
    if not ranks.is_file():
        reason = f"o200k ranks not cached at {ranks} (make test fetches them)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    encoding = o200k.encoding_from_js(ranks)
    assert encoding.encode("hello world") == [24912, 2375]
    figures = _module("prompt_tokens").measure(
        lambda text: len(encoding.encode(text, disallowed_special=()))
    )
    assert all(schema["function"]["strict"] is True for schema in chat_schemas(TOOLS))
    assert figures["total_tokens"] <= 1500, figures
    assert figures["instructions_tokens"] > 300  # the brief is really there
