"""Reading Nookal's availability grid: free runs, bookable starts, a moving appointment."""

from __future__ import annotations

from pms_adapters.nookal.grid import Run, bookable_starts, free_runs, is_free, with_freed


def test_runs_end_at_the_next_unavailable_key_or_one_step_after_the_last() -> None:
    day = {
        "09:00": "available",
        "09:15": "available",
        "09:30": "unavailable",
        "09:45": "available",
        "10:00": "available",
    }
    assert free_runs(day) == [Run(540, 570), Run(585, 615)]


def test_keys_in_any_order_with_seconds_and_gaps() -> None:
    day = {"10:30:00": "available", "10:00:00": "available", "10:15:00": "available"}
    assert free_runs(day) == [Run(600, 645)]
    gap = {"09:00": "available", "09:15": "available", "10:00": "available"}
    assert free_runs(gap) == [Run(540, 570), Run(600, 615)]


def test_an_empty_day_and_odd_statuses_are_not_free() -> None:
    assert free_runs({}) == []
    assert free_runs({"09:00": "booked", "09:15": "unavailable", "junk": "available"}) == []


def test_starts_come_every_duration_unless_a_step_is_given() -> None:
    runs = [Run(540, 720)]  # 09:00-12:00
    assert bookable_starts(runs, 45) == [540, 585, 630, 675]
    assert bookable_starts(runs, 60, step=30) == [540, 570, 600, 630, 660]
    assert bookable_starts([Run(540, 570)], 45) == []


def test_a_moving_appointment_frees_its_own_time() -> None:
    runs = [Run(540, 600), Run(630, 720)]  # 10:00-10:30 is the appointment being moved
    assert not is_free(runs, 585, 45)
    assert is_free(with_freed(runs, Run(600, 630)), 585, 45)
