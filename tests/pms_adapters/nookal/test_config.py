"""`create(settings)`: the settings keys and their checks."""

from __future__ import annotations

import pytest

from pms_adapters.budget import LocalTokenBucket
from pms_adapters.nookal import NookalConfig
from pms_adapters.nookal.config import DEFAULT_BASE_URL


def test_defaults_and_comma_separated_lists() -> None:
    config = NookalConfig.from_settings(
        {"api_key": "key-4711", "slot_secret": "s" * 16, "location_ids": " 1, 2,,2 "}
    )
    assert config.location_ids == ("1", "2")
    assert config.base_url == DEFAULT_BASE_URL
    assert isinstance(config.budget, LocalTokenBucket)
    assert config.move_method == "update" and config.slot_step_minutes is None
    assert "4711" not in repr(config)  # the key stays out of reprs


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"slot_secret": "s" * 16}, "api_key"),
        ({"api_key": "k"}, "slot_secret"),
        ({"api_key": "k", "slot_secret": "s" * 16, "move_method": "teleport"}, "move_method"),
        ({"api_key": "k", "slot_secret": "s" * 16, "budget": 5}, "budget"),
        ({"api_key": "k", "slot_secret": "s" * 16, "timeout": 0}, "timeout"),
    ],
)
def test_bad_settings_are_refused_by_name(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NookalConfig.from_settings(settings)
