"""The Cliniko adapter: live availability, patients and bookings through Cliniko's API.

`create(settings)` is the entry point's factory (`cliniko = "pms_adapters.cliniko:create"`);
the settings keys are listed in `pms_adapters.cliniko.config`. `check.describe(adapter)`
reports what a connection can see, for `receptionist pms check`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pms_adapters.cliniko.adapter import ClinikoAdapter
from pms_adapters.cliniko.check import describe
from pms_adapters.cliniko.config import ClinikoConfig, base_url_for, shard_of


def create(settings: Mapping[str, Any]) -> ClinikoAdapter:
    """A `ClinikoAdapter` from a settings mapping (see `pms_adapters.cliniko.config`)."""
    return ClinikoAdapter(ClinikoConfig.from_settings(settings))


__all__ = ["ClinikoAdapter", "ClinikoConfig", "base_url_for", "create", "describe", "shard_of"]
