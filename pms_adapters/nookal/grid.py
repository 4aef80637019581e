"""Nookal's availability grid, read as free runs of time and cut into bookable starts.

`getAppointmentAvailabilities` answers with a map per date from "HH:MM" to a status (spec 7.5):
a grid of small steps, not slots. A run is a stretch of consecutive `available` keys; it ends
where the next key is not `available` or is missing (see `assumptions.run_end_minutes`). A
bookable start is a point in a run from which an appointment of the type's duration fits;
starts are offered every `step` minutes from the start of each run (the type's duration by
default, the production algorithm quoted in the spec). All times here are local wall-clock
minutes since midnight on one date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pms_adapters.nookal import assumptions


@dataclass(frozen=True, slots=True)
class Run:
    """Free local time on one date: [start, end) in minutes since midnight."""

    start: int
    end: int


def _minutes(key: str) -> int | None:
    parts = key.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    if hours > 24 or minutes > 59:
        return None
    return hours * 60 + minutes


def grid_step(times: list[int]) -> int:
    """The grid's step in minutes: the smallest gap between keys (the default with one key)."""
    gaps = [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
    return min(gaps) if gaps else assumptions.DEFAULT_GRID_STEP_MINUTES


def free_runs(day: Mapping[str, object]) -> list[Run]:
    """The runs of `available` time in one date's grid, in order."""
    cells: dict[int, bool] = {}
    for key, status in day.items():
        minute = _minutes(str(key))
        if minute is not None:
            cells[minute] = str(status).strip().casefold() == assumptions.AVAILABLE
    times = sorted(cells)
    step = grid_step(times)
    runs: list[Run] = []
    start: int | None = None
    previous: int | None = None
    for minute in times:
        free = cells[minute]
        contiguous = previous is not None and minute - previous == step
        if start is not None and (not free or not contiguous):
            assert previous is not None
            runs.append(Run(start, assumptions.run_end_minutes(previous, step)))
            start = None
        if free and start is None:
            start = minute
        previous = minute if free else None
    if start is not None and previous is not None:
        runs.append(Run(start, assumptions.run_end_minutes(previous, step)))
    return runs


def bookable_starts(runs: list[Run], duration: int, step: int | None = None) -> list[int]:
    """Starts (minutes since midnight) where `duration` minutes fit, every `step` minutes from
    each run's start (`step` defaults to `duration`)."""
    spacing = step or duration
    starts: list[int] = []
    for run in runs:
        minute = run.start
        while minute + duration <= run.end:
            starts.append(minute)
            minute += spacing
    return starts


def is_free(runs: list[Run], start: int, duration: int) -> bool:
    """Whether [start, start + duration) lies inside one free run."""
    return any(run.start <= start and start + duration <= run.end for run in runs)


def with_freed(runs: list[Run], freed: Run) -> list[Run]:
    """The runs as they would be if `freed` were free too (an appointment being moved frees its
    own time), merged where they touch."""
    spans = sorted([(r.start, r.end) for r in runs] + [(freed.start, freed.end)])
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [Run(start, end) for start, end in merged]
