"""Finding PMS adapters: every one, built-in or a vendor's, is an entry point in one group.

A package makes an adapter available by declaring, in its `pyproject.toml`::

    [project.entry-points."receptionist.pms_adapters"]
    mypms = "mypms_adapter:create"      # an AdapterFactory: settings in, PMSAdapter out

The diary registers itself the same way (`diary = "pms_adapters.diary_adapter:create"`).

Each entry point is loaded on its own: one that fails to import, or names something that is not
callable, is skipped and the others still work. The skip is reported with `logging.warning`
(logger `pms_adapters.registry`), not `warnings.warn`, on purpose: a warning category would be
shown once per process at best and, where warnings are errors (our pytest settings, `-W error`
deployments), would turn someone else's broken plugin back into a crash, which is what skipping
it is meant to prevent. Operators read logs; the log record names the plugin, its entry-point
value and its distribution, with the traceback attached.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pms_adapters.contract import AdapterFactory, PMSAdapter

ENTRY_POINT_GROUP = "receptionist.pms_adapters"
"""The entry-point group adapters register in."""

logger = logging.getLogger(__name__)


class UnknownAdapter(LookupError):
    """No usable adapter has the requested name (not installed, or it failed to load)."""


def _distribution(entry_point: EntryPoint) -> str:
    dist = entry_point.dist
    return f"{dist.name} {dist.version}" if dist is not None else "an unknown distribution"


def _load(entry_point: EntryPoint) -> AdapterFactory | None:
    """The factory an entry point names, or None (with a logged warning) if it is unusable."""
    try:
        factory = entry_point.load()
    except Exception:  # any failure inside a plugin's import is the plugin's, not ours
        logger.warning(
            "skipping PMS adapter plugin %r (%s, from %s): it failed to load",
            entry_point.name,
            entry_point.value,
            _distribution(entry_point),
            exc_info=True,
        )
        return None
    if not callable(factory):
        logger.warning(
            "skipping PMS adapter plugin %r (%s, from %s): it names a %s, not a factory",
            entry_point.name,
            entry_point.value,
            _distribution(entry_point),
            type(factory).__name__,
        )
        return None
    return factory  # type: ignore[no-any-return]


def installed() -> list[str]:
    """Names registered in the group, loadable or not, sorted (nothing is imported)."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def available() -> dict[str, AdapterFactory]:
    """Every adapter factory that loads, by name; broken plugins are skipped with a warning."""
    factories: dict[str, AdapterFactory] = {}
    origins: dict[str, EntryPoint] = {}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name in origins:
            logger.warning(
                "PMS adapter name %r is registered twice (%s, from %s; and %s, from %s);"
                " using the first",
                entry_point.name,
                origins[entry_point.name].value,
                _distribution(origins[entry_point.name]),
                entry_point.value,
                _distribution(entry_point),
            )
            continue
        origins[entry_point.name] = entry_point
        factory = _load(entry_point)
        if factory is not None:
            factories[entry_point.name] = factory
    return factories


def create(name: str, settings: Mapping[str, Any] | None = None) -> PMSAdapter:
    """The adapter registered as `name`, built from `settings`; UnknownAdapter if there is none."""
    factories = available()
    if name not in factories:
        usable = ", ".join(sorted(factories)) or "none"
        if name in installed():
            raise UnknownAdapter(
                f"PMS adapter {name!r} is installed but failed to load (see the logged"
                f" warning); usable adapters: {usable}"
            )
        raise UnknownAdapter(
            f"no PMS adapter named {name!r}; installed adapters: {usable}"
            f" (adapters register in the entry-point group {ENTRY_POINT_GROUP!r})"
        )
    adapter = factories[name](settings or {})
    if not isinstance(adapter, PMSAdapter):
        raise TypeError(
            f"PMS adapter plugin {name!r} returned a {type(adapter).__name__},"
            " which does not implement pms_adapters.contract.PMSAdapter"
        )
    return adapter
