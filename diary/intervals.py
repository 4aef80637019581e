"""Half-open intervals of epoch seconds: merge and subtract by a sorted sweep."""

from __future__ import annotations

Interval = tuple[int, int]


def merge(intervals: list[Interval]) -> list[Interval]:
    """Sorted, disjoint, non-empty intervals covering the same instants."""
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(base: list[Interval], remove: list[Interval]) -> list[Interval]:
    """`base` minus `remove`; both need not be sorted. Result is sorted and disjoint."""
    base = merge(base)
    remove = merge(remove)
    out: list[Interval] = []
    j = 0
    for start, end in base:
        while j < len(remove) and remove[j][1] <= start:
            j += 1
        cursor = start
        k = j
        while k < len(remove) and remove[k][0] < end:
            r_start, r_end = remove[k]
            if r_start > cursor:
                out.append((cursor, r_start))
            cursor = max(cursor, r_end)
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out
