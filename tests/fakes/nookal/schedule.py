"""The fake's diary arithmetic: working time from weekly hours and dated changes, minus the
practitioner's live appointments, laid out as Nookal's availability grid.

The grid for a date runs from the practitioner's first working minute at the location to the
last, in `grid_step` steps: "available" where the whole step is working time and free,
"unavailable" elsewhere. A date with no working time is PHP's empty map, `[]`.
"""

from __future__ import annotations

from datetime import date

from tests.fakes.nookal.state import FakeNookal

Span = tuple[int, int]


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _subtract(spans: list[Span], taken: list[Span]) -> list[Span]:
    result = spans
    for t_start, t_end in taken:
        remaining: list[Span] = []
        for start, end in result:
            if t_end <= start or end <= t_start:
                remaining.append((start, end))
                continue
            if start < t_start:
                remaining.append((start, t_start))
            if t_end < end:
                remaining.append((t_end, end))
        result = remaining
    return result


def working_time(fake: FakeNookal, practitioner_id: str, location_id: str, day: date) -> list[Span]:
    """When the practitioner works at the location on `day` (local minutes)."""
    spans = [
        (h.start, h.end)
        for h in fake.hours
        if h.practitioner_id == practitioner_id
        and h.location_id == location_id
        and h.weekday == day.weekday()
        and (h.valid_from is None or h.valid_from <= day)
        and (h.valid_until is None or day <= h.valid_until)
    ]
    off: list[Span] = []
    for change in fake.changes:
        if change.day != day:
            continue
        whole = (change.start or 0, change.end or 24 * 60)
        if change.kind == "extra":
            if change.practitioner_id == practitioner_id and change.location_id == location_id:
                spans.append(whole)
        elif change.practitioner_id in (None, practitioner_id) and change.location_id in (
            None,
            location_id,
        ):
            off.append(whole)
    return _subtract(_merge(spans), off)


def busy_time(
    fake: FakeNookal, practitioner_id: str, day: date, ignoring: str | None = None
) -> list[Span]:
    """The practitioner's live appointments on `day`, anywhere (local minutes)."""
    return _merge(
        [
            (a.start, a.end)
            for a in fake.appointments.values()
            if a.practitioner_id == practitioner_id
            and a.day == day
            and not a.cancelled
            and a.id != ignoring
        ]
    )


def overlaps(
    fake: FakeNookal,
    practitioner_id: str,
    day: date,
    start: int,
    end: int,
    ignoring: str | None = None,
) -> bool:
    """Whether [start, end) overlaps one of the practitioner's live appointments."""
    return any(s < end and start < e for s, e in busy_time(fake, practitioner_id, day, ignoring))


def grid(
    fake: FakeNookal, practitioner_id: str, location_id: str, day: date
) -> dict[str, str] | list[object]:
    """The availability grid for one date ("HH:MM" -> status), or `[]` for a day off."""
    working = working_time(fake, practitioner_id, location_id, day)
    if not working:
        return []
    free = _subtract(working, busy_time(fake, practitioner_id, day))
    step = fake.grid_step
    first = working[0][0] - working[0][0] % step
    cells: dict[str, str] = {}
    for minute in range(first, working[-1][1], step):
        is_free = any(s <= minute and minute + step <= e for s, e in free)
        cells[f"{minute // 60:02d}:{minute % 60:02d}"] = "available" if is_free else "unavailable"
    return cells
