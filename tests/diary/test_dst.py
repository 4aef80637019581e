"""Availability across daylight-saving changes, half-hour zones and two-zone practitioners.

The expected instants are worked out from hard-coded UTC offsets (the oracle below), not from
`zoneinfo`, so a test cannot agree with the diary by making the same mistake. The DST changes of
2026 used throughout:

- Australia/Sydney: 5 April fold (03:00 AEDT -> 02:00 AEST), 4 October gap (02:00 -> 03:00 AEDT);
- Australia/Adelaide: the same days and wall times, on half-hour offsets (+10:30 / +09:30);
- Australia/Lord_Howe: the same days, but the clocks move by half an hour (+11 / +10:30);
- Australia/Brisbane: no DST; the Sydney dates prove nothing shifts;
- Europe/London: 29 March gap (01:00 GMT -> 02:00 BST), 25 October fold (02:00 BST -> 01:00 GMT);
- America/New_York: 8 March gap (02:00 EST -> 03:00 EDT), 1 November fold (02:00 EDT -> 01:00).

Every test runs on SQLite and PostgreSQL (the `engine` fixture).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from diary import Diary, FixedClock, InvalidRequest, Slot, SlotChoice, SlotUnavailable
from diary.db import write_session
from diary.models import (
    AppointmentType,
    Clinic,
    ExceptionKind,
    Location,
    Practitioner,
    ScheduleException,
    WorkingHours,
)

# Well before every day tested, so minimum notice (zero anyway) never hides a slot.
EARLY = datetime(2026, 1, 1, tzinfo=UTC)
RULES_FROM = date(2026, 1, 1)
ALL_WEEK = (0, 1, 2, 3, 4, 5, 6)
MIDNIGHT = time(0)


# -- building a clinic --------------------------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    """A weekly rule: work at `location` (an index into the zones) from `starts` to `ends`."""

    location: int
    starts: time
    ends: time
    weekdays: tuple[int, ...] = ALL_WEEK


@dataclass(frozen=True)
class Setup:
    clinic_id: int
    practitioner_id: int
    location_ids: tuple[int, ...]
    type_id: int
    zones: tuple[ZoneInfo, ...]

    def choice(self, location: int, starts_at: datetime) -> SlotChoice:
        return SlotChoice(
            self.practitioner_id, self.location_ids[location], self.type_id, starts_at
        )


def build_clinic(
    diary: Diary,
    zones: Sequence[str],
    shifts: Sequence[Shift],
    *,
    duration_minutes: int = 30,
    step_minutes: int = 15,
) -> Setup:
    """One clinic, one location per zone, one practitioner working at all of them."""
    with write_session(diary.engine) as session:
        clinic = Clinic(
            name="Daylight Saving Medical",
            country="AU",
            timezone=zones[0],
            slot_step_minutes=step_minutes,
            min_notice_minutes=0,
            max_window_days=31,
            hold_minutes=5,
        )
        session.add(clinic)
        session.flush()
        locations = [
            Location(clinic_id=clinic.id, name=f"Rooms in {name}", timezone=name) for name in zones
        ]
        appt_type = AppointmentType(
            clinic_id=clinic.id,
            name=f"{duration_minutes}-minute consultation",
            duration_minutes=duration_minutes,
            buffer_before_minutes=0,
            buffer_after_minutes=0,
        )
        session.add_all([*locations, appt_type])
        session.flush()
        practitioner = Practitioner(
            clinic_id=clinic.id,
            display_name="Dr Ada Offset",
            title="GP",
            locations=locations,
            appointment_types=[appt_type],
        )
        session.add(practitioner)
        session.flush()
        session.add_all(
            WorkingHours(
                practitioner_id=practitioner.id,
                location_id=locations[shift.location].id,
                weekday=weekday,
                starts_at=shift.starts,
                ends_at=shift.ends,
                valid_from=RULES_FROM,
                valid_until=None,
            )
            for shift in shifts
            for weekday in shift.weekdays
        )
        return Setup(
            clinic_id=clinic.id,
            practitioner_id=practitioner.id,
            location_ids=tuple(location.id for location in locations),
            type_id=appt_type.id,
            zones=tuple(ZoneInfo(name) for name in zones),
        )


def add_patient(diary: Diary, setup: Setup) -> int:
    return diary.create_patient(setup.clinic_id, first_name="Dana", last_name="Traveller").id


# -- the oracle: hard-coded offsets -------------------------------------------------------------


def fixed(offset_minutes: int) -> timezone:
    return timezone(timedelta(minutes=offset_minutes))


def at(day: date, wall: time, offset_minutes: int) -> datetime:
    """The instant of wall time `wall` on `day` at a known UTC offset."""
    return datetime.combine(day, wall, tzinfo=fixed(offset_minutes))


def clock_times(first: str, last: str, step_minutes: int = 15) -> list[time]:
    """Wall times from `first` to `last` inclusive, every `step_minutes`."""
    start = datetime.combine(date(2000, 1, 1), time.fromisoformat(first))
    stop = datetime.combine(date(2000, 1, 1), time.fromisoformat(last))
    out: list[time] = []
    while start <= stop:
        out.append(start.time())
        start += timedelta(minutes=step_minutes)
    return out


def plus(wall: time, delta: timedelta) -> time:
    return (datetime.combine(date(2000, 1, 1), wall) + delta).time()


@dataclass(frozen=True)
class Change:
    """A zone's clock change on `day` (or, with equal offsets, a day on which nothing happens)."""

    zone: str
    day: date
    before: int  # UTC offset in minutes at the start of the day
    after: int  # UTC offset in minutes at the end of the day
    switch: time  # the wall time, on the old offset, at which the clocks change

    def __str__(self) -> str:
        return f"{self.zone}-{self.day}-{self.kind}"

    @property
    def kind(self) -> str:
        if self.after > self.before:
            return "gap"
        return "fold" if self.after < self.before else "none"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def jump(self) -> timedelta:
        """How far the clocks move: +1 hour in spring, -1 hour in autumn."""
        return timedelta(minutes=self.after - self.before)

    @property
    def inside(self) -> time:
        """A wall time inside the gap (which never happens) or the fold (which happens twice)."""
        return plus(self.switch, self.jump / 2)

    @property
    def switch_at(self) -> datetime:
        return at(self.day, self.switch, self.before)

    def offset_at(self, instant: datetime) -> int:
        return self.after if instant >= self.switch_at else self.before

    def wall(self, instant: datetime) -> time:
        """The wall time at `instant`, from the hard-coded offsets."""
        return instant.astimezone(fixed(self.offset_at(instant))).time()

    def starts(
        self, first: time, last: time, step_minutes: int, duration_minutes: int
    ) -> list[datetime]:
        """Every step of real time from wall `first` (old offset) while a slot fits before wall
        `last` (new offset): the slots of a shift that spans the change."""
        step, duration = timedelta(minutes=step_minutes), timedelta(minutes=duration_minutes)
        instant, end = at(self.day, first, self.before), at(self.day, last, self.after)
        out: list[datetime] = []
        while instant + duration <= end:
            out.append(instant)
            instant += step
        return out


CHANGES = [
    Change("Australia/Sydney", date(2026, 4, 5), 660, 600, time(3)),
    Change("Australia/Sydney", date(2026, 10, 4), 600, 660, time(2)),
    Change("Australia/Adelaide", date(2026, 4, 5), 630, 570, time(3)),
    Change("Australia/Adelaide", date(2026, 10, 4), 570, 630, time(2)),
    Change("Australia/Lord_Howe", date(2026, 4, 5), 660, 630, time(2)),
    Change("Australia/Lord_Howe", date(2026, 10, 4), 630, 660, time(2)),
    Change("Australia/Brisbane", date(2026, 4, 5), 600, 600, time(2)),
    Change("Australia/Brisbane", date(2026, 10, 4), 600, 600, time(2)),
    Change("Europe/London", date(2026, 3, 29), 0, 60, time(1)),
    Change("Europe/London", date(2026, 10, 25), 60, 0, time(2)),
    Change("America/New_York", date(2026, 3, 8), -300, -240, time(2)),
    Change("America/New_York", date(2026, 11, 1), -240, -300, time(2)),
]
GAPS = [c for c in CHANGES if c.kind == "gap"]
FOLDS = [c for c in CHANGES if c.kind == "fold"]


# -- reading slots ------------------------------------------------------------------------------


def find(
    diary: Diary, setup: Setup, start: datetime, end: datetime, location: int | None = None
) -> list[Slot]:
    return diary.find_slots(
        setup.clinic_id,
        setup.type_id,
        start,
        end,
        location_id=None if location is None else setup.location_ids[location],
    )


def walls(slots: Sequence[Slot], tz: ZoneInfo) -> list[time]:
    """The slots' local wall-clock start times in `tz`."""
    return [slot.starts_at.astimezone(tz).time() for slot in slots]


def starts(slots: Sequence[Slot]) -> list[datetime]:
    return [slot.starts_at for slot in slots]


def at_location(slots: Sequence[Slot], setup: Setup, location: int) -> list[Slot]:
    return [slot for slot in slots if slot.location_id == setup.location_ids[location]]


@pytest.fixture(autouse=True)
def _clock_well_before_the_days_tested(clock: FixedClock) -> None:
    clock.set(EARLY)


# -- a normal working day on the change day -----------------------------------------------------


@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_working_day_on_the_change_day_has_the_same_local_slots_as_the_day_before(
    diary: Diary, change: Change
) -> None:
    setup = build_clinic(diary, [change.zone], [Shift(0, time(9), time(17))])
    eve = change.day - timedelta(days=1)
    slots = find(
        diary,
        setup,
        at(eve, MIDNIGHT, change.before),
        at(change.day + timedelta(days=1), MIDNIGHT, change.after),
    )

    day_before = [s for s in slots if s.starts_at.astimezone(change.tz).date() == eve]
    change_day = [s for s in slots if s.starts_at.astimezone(change.tz).date() == change.day]
    assert len(day_before) + len(change_day) == len(slots)
    nine_to_five = clock_times("09:00", "16:30")
    assert walls(day_before, change.tz) == nine_to_five
    assert walls(change_day, change.tz) == nine_to_five
    # The wall times agree; the instants carry each day's own offset.
    assert starts(day_before) == [at(eve, w, change.before) for w in nine_to_five]
    assert starts(change_day) == [at(change.day, w, change.after) for w in nine_to_five]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)


# -- a shift that spans the change --------------------------------------------------------------


def night(change: Change) -> tuple[datetime, datetime]:
    """A window from local midnight to local noon on the change day."""
    return at(change.day, MIDNIGHT, change.before), at(change.day, time(12), change.after)


def overnight_clinic(diary: Diary, change: Change, duration_minutes: int = 15) -> Setup:
    """A 00:00-06:00 shift every day, which spans the clock change, on a 15-minute grid."""
    return build_clinic(
        diary,
        [change.zone],
        [Shift(0, MIDNIGHT, time(6))],
        duration_minutes=duration_minutes,
        step_minutes=15,
    )


@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_shift_spanning_the_change_has_one_slot_per_real_quarter_hour(
    diary: Diary, change: Change
) -> None:
    setup = overnight_clinic(diary, change)
    slots = find(diary, setup, *night(change))

    expected = change.starts(MIDNIGHT, time(6), step_minutes=15, duration_minutes=15)
    assert starts(slots) == expected
    assert walls(slots, change.tz) == [change.wall(s) for s in expected]
    # Six hours on the wall are five real hours in spring and seven in autumn.
    real_minutes = 6 * 60 - change.jump // timedelta(minutes=1)
    assert len(slots) == real_minutes // 15
    assert len(set(starts(slots))) == len(slots)
    assert all(b - a == timedelta(minutes=15) for a, b in pairwise(starts(slots)))
    assert all(s.ends_at - s.starts_at == timedelta(minutes=15) for s in slots)


@pytest.mark.parametrize("change", GAPS, ids=str)
def test_no_slot_starts_at_a_wall_time_inside_the_spring_gap(diary: Diary, change: Change) -> None:
    setup = overnight_clinic(diary, change)
    slots = find(diary, setup, *night(change))

    gap_start, gap_end = change.switch, plus(change.switch, change.jump)
    local = walls(slots, change.tz)
    assert [w for w in local if gap_start <= w < gap_end] == []
    assert len(set(local)) == len(local)
    # The last slot before the gap is followed, 15 real minutes later, by the first after it.
    last_before = local.index(plus(gap_start, -timedelta(minutes=15)))
    assert local[last_before + 1] == gap_end
    assert slots[last_before + 1].starts_at == change.switch_at
    assert slots[last_before + 1].starts_at - slots[last_before].starts_at == timedelta(minutes=15)


@pytest.mark.parametrize("change", FOLDS, ids=str)
def test_the_repeated_autumn_hour_has_its_slots_twice(diary: Diary, change: Change) -> None:
    setup = overnight_clinic(diary, change)
    slots = find(diary, setup, *night(change))

    repeated = clock_times(
        plus(change.switch, change.jump).isoformat("minutes"),
        plus(change.switch, -timedelta(minutes=15)).isoformat("minutes"),
    )
    counts = Counter(walls(slots, change.tz))
    assert sorted(w for w, n in counts.items() if n == 2) == repeated
    assert set(counts.values()) == {1, 2}
    for wall in repeated:
        first, second = [
            s.starts_at for s in slots if s.starts_at.astimezone(change.tz).time() == wall
        ]
        assert first == at(change.day, wall, change.before)
        assert second == at(change.day, wall, change.after)
        assert second - first == -change.jump


# -- shifts that start or end inside the gap or the fold ---------------------------------------


@pytest.mark.parametrize("change", GAPS, ids=str)
def test_shift_starting_inside_the_gap_starts_at_the_jump(diary: Diary, change: Change) -> None:
    # e.g. Sydney 02:30-05:00 on 4 October: 02:30 never happens, so work starts at 03:00 AEDT.
    shift_start = change.inside
    shift_end = plus(change.switch, timedelta(hours=3))
    setup = build_clinic(diary, [change.zone], [Shift(0, shift_start, shift_end)])
    slots = find(diary, setup, *night(change))

    after_jump = plus(change.switch, change.jump)
    assert slots[0].starts_at == change.switch_at
    assert slots[0].starts_at == at(change.day, after_jump, change.after)
    expected = clock_times(
        after_jump.isoformat("minutes"),
        plus(shift_end, -timedelta(minutes=30)).isoformat("minutes"),
    )
    assert walls(slots, change.tz) == expected
    assert starts(slots) == [at(change.day, w, change.after) for w in expected]


@pytest.mark.parametrize("change", GAPS, ids=str)
def test_shift_ending_inside_the_gap_ends_at_the_jump(diary: Diary, change: Change) -> None:
    # e.g. Sydney 00:00-02:30 on 4 October: work stops when the clocks jump (02:00 AEST).
    setup = build_clinic(diary, [change.zone], [Shift(0, MIDNIGHT, change.inside)])
    slots = find(diary, setup, *night(change))

    expected = clock_times(
        "00:00", plus(change.switch, -timedelta(minutes=30)).isoformat("minutes")
    )
    assert walls(slots, change.tz) == expected
    assert starts(slots) == [at(change.day, w, change.before) for w in expected]
    assert slots[-1].ends_at == change.switch_at


@pytest.mark.parametrize("change", FOLDS, ids=str)
def test_shift_starting_inside_the_fold_starts_at_its_first_occurrence(
    diary: Diary, change: Change
) -> None:
    # e.g. London 01:30-03:00 on 25 October: from 01:30 BST, through both 01:xx hours, to 03:00 GMT.
    shift_start = change.inside
    shift_end = plus(change.switch, timedelta(hours=1))
    setup = build_clinic(diary, [change.zone], [Shift(0, shift_start, shift_end)])
    slots = find(diary, setup, *night(change))

    expected = change.starts(shift_start, shift_end, step_minutes=15, duration_minutes=30)
    assert slots[0].starts_at == at(change.day, shift_start, change.before)
    assert starts(slots) == expected
    assert walls(slots, change.tz) == [change.wall(s) for s in expected]


@pytest.mark.parametrize("change", FOLDS, ids=str)
def test_shift_ending_inside_the_fold_ends_at_its_first_occurrence(
    diary: Diary, change: Change
) -> None:
    # e.g. London 00:00-01:30 on 25 October ends at 01:30 BST, before the clocks go back.
    shift_end = change.inside
    setup = build_clinic(diary, [change.zone], [Shift(0, MIDNIGHT, shift_end)])
    slots = find(diary, setup, *night(change))

    expected = clock_times("00:00", plus(shift_end, -timedelta(minutes=30)).isoformat("minutes"))
    assert walls(slots, change.tz) == expected
    assert starts(slots) == [at(change.day, w, change.before) for w in expected]
    assert slots[-1].ends_at == at(change.day, shift_end, change.before)


# -- windows, first_slots and whole days around the change -------------------------------------


@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_window_straddling_the_change_equals_the_union_of_its_halves(
    diary: Diary, change: Change
) -> None:
    setup = overnight_clinic(diary, change, duration_minutes=30)
    start, end = night(change)
    whole = find(diary, setup, start, end)
    assert starts(whole) == change.starts(MIDNIGHT, time(6), step_minutes=15, duration_minutes=30)

    for minutes in (-61, -60, -30, -1, 0, 1, 7, 15, 30, 45, 59, 60, 61, 90):
        middle = change.switch_at + timedelta(minutes=minutes)
        if not start < middle < end:  # London's spring change is only an hour after midnight
            continue
        left, right = find(diary, setup, start, middle), find(diary, setup, middle, end)
        assert all(s.starts_at < middle for s in left)
        assert all(s.starts_at >= middle for s in right)
        assert left + right == whole, f"split at {minutes:+} minutes from the change"

    # Many small windows that do not line up with the grid add up to the same slots.
    pieces: list[Slot] = []
    cursor = start
    while cursor < end:
        pieces += find(diary, setup, cursor, min(cursor + timedelta(minutes=7), end))
        cursor += timedelta(minutes=7)
    assert pieces == whole


@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_first_slots_run_straight_across_the_change(diary: Diary, change: Change) -> None:
    setup = overnight_clinic(diary, change)
    after = change.switch_at - timedelta(minutes=15)

    found = diary.first_slots(setup.clinic_id, setup.type_id, 4, after=after)

    expected = change.starts(MIDNIGHT, time(6), step_minutes=15, duration_minutes=15)
    position = expected.index(after)
    assert starts(found) == expected[position : position + 4]
    assert walls(found, change.tz) == [change.wall(s) for s in expected[position : position + 4]]


@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_whole_day_time_off_covers_the_whole_23_or_25_hour_day(
    diary: Diary, change: Change
) -> None:
    setup = build_clinic(
        diary, [change.zone], [Shift(0, MIDNIGHT, time(23, 45))], duration_minutes=15
    )
    eve, morrow = change.day - timedelta(days=1), change.day + timedelta(days=1)
    window = (
        at(eve, MIDNIGHT, change.before),
        at(morrow + timedelta(days=1), MIDNIGHT, change.after),
    )

    def per_day() -> Counter[date]:
        slots = find(diary, setup, *window)
        assert len(set(starts(slots))) == len(slots)
        return Counter(s.starts_at.astimezone(change.tz).date() for s in slots)

    real_minutes = 23 * 60 + 45 - change.jump // timedelta(minutes=1)
    assert per_day() == {eve: 95, change.day: real_minutes // 15, morrow: 95}

    with write_session(diary.engine) as session:
        session.add(
            ScheduleException(
                clinic_id=setup.clinic_id,
                practitioner_id=setup.practitioner_id,
                on_date=change.day,
                kind=ExceptionKind.TIME_OFF.value,
                note="Away for the clock change",
            )
        )
    assert per_day() == {eve: 95, morrow: 95}


@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_time_off_across_the_change_removes_every_wall_time_it_names(
    diary: Diary, change: Change
) -> None:
    # Off from an hour before the change to an hour after it on the wall, e.g. London 01:00-03:00
    # on 25 October: from 01:00 BST to 03:00 GMT, so both 01:xx hours go.
    setup = overnight_clinic(diary, change)
    off_from = plus(change.switch, -timedelta(hours=1))
    off_until = plus(change.switch, timedelta(hours=1))
    with write_session(diary.engine) as session:
        session.add(
            ScheduleException(
                clinic_id=setup.clinic_id,
                practitioner_id=setup.practitioner_id,
                on_date=change.day,
                kind=ExceptionKind.TIME_OFF.value,
                starts_at=off_from,
                ends_at=off_until,
            )
        )

    slots = find(diary, setup, *night(change))

    everything = change.starts(MIDNIGHT, time(6), step_minutes=15, duration_minutes=15)
    kept = [s for s in everything if not off_from <= change.wall(s) < off_until]
    assert starts(slots) == kept
    assert [w for w in walls(slots, change.tz) if off_from <= w < off_until] == []


# -- bookings around the change -----------------------------------------------------------------


@pytest.mark.parametrize("change", FOLDS, ids=str)
def test_booking_one_occurrence_of_a_repeated_hour_leaves_the_other_free(
    diary: Diary, change: Change
) -> None:
    setup = overnight_clinic(diary, change, duration_minutes=30)
    patient = add_patient(diary, setup)
    wall = change.inside  # e.g. 01:30 in London
    first, second = at(change.day, wall, change.before), at(change.day, wall, change.after)
    before = starts(find(diary, setup, *night(change)))
    assert first in before and second in before

    booked = diary.book(setup.clinic_id, setup.choice(0, second), patient)

    stored = diary.appointment(setup.clinic_id, booked.id)
    assert stored.starts_at == second
    assert stored.ends_at == second + timedelta(minutes=30)
    assert stored.starts_at.astimezone(change.tz).time() == wall
    half_hour = timedelta(minutes=30)
    left = starts(find(diary, setup, *night(change)))
    assert left == [s for s in before if not second - half_hour < s < second + half_hour]
    assert first in left

    # The first occurrence, earlier in real time, can still be booked.
    diary.book(setup.clinic_id, setup.choice(0, first), patient)
    day_start, day_end = night(change)
    booked_starts = [
        a.starts_at
        for a in diary.patient_appointments(setup.clinic_id, patient, day_start, day_end)
    ]
    assert booked_starts == [first, second]


@pytest.mark.parametrize("change", GAPS, ids=str)
def test_booking_across_the_gap_lasts_its_real_duration(diary: Diary, change: Change) -> None:
    setup = overnight_clinic(diary, change, duration_minutes=60)
    patient = add_patient(diary, setup)
    begins = change.switch_at - timedelta(minutes=30)  # e.g. 01:30 AEST in Sydney
    before = starts(find(diary, setup, *night(change)))

    booked = diary.book(setup.clinic_id, setup.choice(0, begins), patient)

    assert booked.ends_at - booked.starts_at == timedelta(hours=1)
    # 01:30 AEST plus an hour is 03:30 AEDT: on the wall it looks like two hours.
    assert booked.ends_at.astimezone(change.tz).time() == plus(
        change.switch, change.jump + timedelta(minutes=30)
    )
    hour = timedelta(hours=1)
    left = find(diary, setup, *night(change))
    assert starts(left) == [s for s in before if not begins - hour < s < begins + hour]
    local = walls(left, change.tz)
    assert plus(change.switch, change.jump + timedelta(minutes=30)) in local
    assert plus(change.switch, change.jump + timedelta(minutes=15)) not in local


# -- one practitioner, two locations in different zones ----------------------------------------


@dataclass(frozen=True)
class TwoZones:
    name: str
    zones: tuple[str, str]
    hours: tuple[tuple[str, str], tuple[str, str]]  # local working hours at each location
    day: date
    offsets: tuple[int, int]  # UTC offsets (minutes) of the two locations on `day`
    book_at: int  # which location the booking is made at
    book_wall: str  # local time of the booking (a 60-minute appointment)
    left: tuple[list[time], list[time]]  # local slot starts left at each location afterwards

    def __str__(self) -> str:
        return self.name


SYDNEY_BRISBANE = ("Australia/Sydney", "Australia/Brisbane")
LONDON_NEW_YORK = ("Europe/London", "America/New_York")
EIGHT_TO_NOON = (("08:00", "12:00"), ("08:00", "12:00"))
LONDON_AFTERNOON_NEW_YORK_MORNING = (("13:00", "18:00"), ("08:00", "13:00"))

TWO_ZONE_CASES = [
    # Sydney on AEDT (+11), Brisbane on AEST (+10): 09:00 in Brisbane is 10:00 in Sydney.
    TwoZones(
        "sydney-dst-booked-in-brisbane",
        SYDNEY_BRISBANE,
        EIGHT_TO_NOON,
        date(2026, 11, 2),
        (660, 600),
        1,
        "09:00",
        (clock_times("08:00", "09:00") + [time(11)], [time(8)] + clock_times("10:00", "11:00")),
    ),
    TwoZones(
        "sydney-dst-booked-in-sydney",
        SYDNEY_BRISBANE,
        EIGHT_TO_NOON,
        date(2026, 11, 2),
        (660, 600),
        0,
        "09:00",
        ([time(8)] + clock_times("10:00", "11:00"), clock_times("09:00", "11:00")),
    ),
    # The Sunday Sydney's clocks go forward: the offset difference applies from that morning.
    TwoZones(
        "sydney-spring-forward-day",
        SYDNEY_BRISBANE,
        EIGHT_TO_NOON,
        date(2026, 10, 4),
        (660, 600),
        1,
        "09:00",
        (clock_times("08:00", "09:00") + [time(11)], [time(8)] + clock_times("10:00", "11:00")),
    ),
    # Winter: both on +10, the same wall times collide.
    TwoZones(
        "sydney-winter-booked-in-brisbane",
        SYDNEY_BRISBANE,
        EIGHT_TO_NOON,
        date(2026, 6, 15),
        (600, 600),
        1,
        "09:00",
        ([time(8)] + clock_times("10:00", "11:00"), [time(8)] + clock_times("10:00", "11:00")),
    ),
    # GMT and EST: New York 09:00 is London 14:00.
    TwoZones(
        "gmt-est-booked-in-new-york",
        LONDON_NEW_YORK,
        LONDON_AFTERNOON_NEW_YORK_MORNING,
        date(2026, 2, 23),
        (0, -300),
        1,
        "09:00",
        ([time(13)] + clock_times("15:00", "17:00"), [time(8)] + clock_times("10:00", "12:00")),
    ),
    # New York has sprung forward, London not yet: New York 09:00 is London 13:00.
    TwoZones(
        "gmt-edt-booked-in-new-york",
        LONDON_NEW_YORK,
        LONDON_AFTERNOON_NEW_YORK_MORNING,
        date(2026, 3, 16),
        (0, -240),
        1,
        "09:00",
        (clock_times("14:00", "17:00"), [time(8)] + clock_times("10:00", "12:00")),
    ),
    TwoZones(
        "gmt-edt-booked-in-london",
        LONDON_NEW_YORK,
        LONDON_AFTERNOON_NEW_YORK_MORNING,
        date(2026, 3, 16),
        (0, -240),
        0,
        "16:00",
        (clock_times("13:00", "15:00") + [time(17)], clock_times("08:00", "11:00")),
    ),
    # Both on summer time: five hours apart again.
    TwoZones(
        "bst-edt-booked-in-new-york",
        LONDON_NEW_YORK,
        LONDON_AFTERNOON_NEW_YORK_MORNING,
        date(2026, 4, 6),
        (60, -240),
        1,
        "09:00",
        ([time(13)] + clock_times("15:00", "17:00"), [time(8)] + clock_times("10:00", "12:00")),
    ),
]


@pytest.mark.parametrize("case", TWO_ZONE_CASES, ids=str)
def test_practitioner_in_two_zones_has_local_slots_and_one_booking_blocks_both(
    diary: Diary, case: TwoZones
) -> None:
    shifts = [
        Shift(i, time.fromisoformat(first), time.fromisoformat(last), (case.day.weekday(),))
        for i, (first, last) in enumerate(case.hours)
    ]
    setup = build_clinic(diary, case.zones, shifts, duration_minutes=60)
    patient = add_patient(diary, setup)
    # Wide enough for the whole local day in both zones; the rules are for that weekday only.
    window = at(case.day, MIDNIGHT, 14 * 60), at(case.day + timedelta(days=1), MIDNIGHT, -12 * 60)

    everything = find(diary, setup, *window)
    offered: list[list[time]] = []
    for i, (first, last) in enumerate(case.hours):
        here = at_location(everything, setup, i)
        expected = clock_times(
            first, plus(time.fromisoformat(last), -timedelta(hours=1)).isoformat()
        )
        assert walls(here, setup.zones[i]) == expected
        assert starts(here) == [at(case.day, w, case.offsets[i]) for w in expected]
        assert find(diary, setup, *window, location=i) == here
        offered.append(expected)

    booked_at = at(case.day, time.fromisoformat(case.book_wall), case.offsets[case.book_at])
    diary.book(setup.clinic_id, setup.choice(case.book_at, booked_at), patient)

    after = find(diary, setup, *window)
    for i in (0, 1):
        assert walls(at_location(after, setup, i), setup.zones[i]) == case.left[i]
    # The practitioner cannot be in two places: the other location's overlapping time is gone.
    other = 1 - case.book_at
    taken = [w for w in offered[other] if w not in case.left[other]]
    assert taken, "the booking should overlap time offered at the other location"
    with pytest.raises(SlotUnavailable):
        diary.book(
            setup.clinic_id,
            setup.choice(other, at(case.day, taken[0], case.offsets[other])),
            patient,
        )


# -- half-hour and 45-minute offsets: the grid is the local clock's ---------------------------


@pytest.mark.parametrize(
    ("zone_name", "day", "offset", "step", "duration", "hours", "expected"),
    [
        # +05:30 with hourly slots: 10:00 IST is 04:30 UTC; a UTC grid would give 09:30 IST.
        (
            "Asia/Kolkata",
            date(2026, 6, 15),
            330,
            60,
            30,
            ("09:10", "13:00"),
            ["10:00", "11:00", "12:00"],
        ),
        (
            "Asia/Kolkata",
            date(2026, 6, 15),
            330,
            15,
            30,
            ("09:10", "10:30"),
            ["09:15", "09:30", "09:45", "10:00"],
        ),
        # +05:45 with half-hourly slots: 09:30 NPT is 03:45 UTC.
        (
            "Asia/Kathmandu",
            date(2026, 6, 15),
            345,
            30,
            30,
            ("09:10", "11:00"),
            ["09:30", "10:00", "10:30"],
        ),
        # Adelaide in winter (+09:30) and in summer (+10:30).
        (
            "Australia/Adelaide",
            date(2026, 6, 15),
            570,
            60,
            60,
            ("07:40", "12:00"),
            ["08:00", "09:00", "10:00", "11:00"],
        ),
        (
            "Australia/Adelaide",
            date(2026, 1, 12),
            630,
            60,
            60,
            ("07:40", "12:00"),
            ["08:00", "09:00", "10:00", "11:00"],
        ),
    ],
    ids=[
        "kolkata-hourly",
        "kolkata-quarter-hourly",
        "kathmandu-half-hourly",
        "adelaide-winter",
        "adelaide-summer",
    ],
)
def test_slots_are_aligned_to_the_local_clock_in_half_hour_zones(
    diary: Diary,
    zone_name: str,
    day: date,
    offset: int,
    step: int,
    duration: int,
    hours: tuple[str, str],
    expected: list[str],
) -> None:
    setup = build_clinic(
        diary,
        [zone_name],
        [Shift(0, time.fromisoformat(hours[0]), time.fromisoformat(hours[1]))],
        duration_minutes=duration,
        step_minutes=step,
    )
    slots = find(
        diary, setup, at(day, MIDNIGHT, offset), at(day + timedelta(days=1), MIDNIGHT, offset)
    )

    local = walls(slots, setup.zones[0])
    assert local == [time.fromisoformat(w) for w in expected]
    assert all(w.minute % step == 0 and w.second == 0 for w in local)
    assert starts(slots) == [at(day, time.fromisoformat(w), offset) for w in expected]


def change_on(zone_name: str, day: date) -> Change:
    return next(c for c in CHANGES if c.zone == zone_name and c.day == day)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # Spring forward at 02:00 ACST (+09:30) to 03:00 ACDT (+10:30).
        (
            change_on("Australia/Adelaide", date(2026, 10, 4)),
            [("00:00", 570), ("01:00", 570), ("03:00", 630), ("04:00", 630), ("05:00", 630)],
        ),
        # Fall back at 03:00 ACDT to 02:00 ACST: the 02:00 slot happens twice.
        (
            change_on("Australia/Adelaide", date(2026, 4, 5)),
            [
                ("00:00", 630),
                ("01:00", 630),
                ("02:00", 630),
                ("02:00", 570),
                ("03:00", 570),
                ("04:00", 570),
                ("05:00", 570),
            ],
        ),
        # Lord Howe springs forward half an hour, 02:00 -> 02:30: the instant after the gap is
        # not on the hourly grid, so the next slot is 03:00, an hour and a half after 01:00.
        (
            change_on("Australia/Lord_Howe", date(2026, 10, 4)),
            [("00:00", 630), ("01:00", 630), ("03:00", 660), ("04:00", 660), ("05:00", 660)],
        ),
        # Lord Howe falls back half an hour, 02:00 -> 01:30: only 01:30-01:59 repeats, so no
        # hourly slot repeats; after 01:00 (+11) comes 02:00 (+10:30), an hour and a half later.
        (
            change_on("Australia/Lord_Howe", date(2026, 4, 5)),
            [
                ("00:00", 660),
                ("01:00", 660),
                ("02:00", 630),
                ("03:00", 630),
                ("04:00", 630),
                ("05:00", 630),
            ],
        ),
    ],
    ids=str,
)
def test_hourly_grid_stays_on_the_local_clock_across_offset_changes(
    diary: Diary, change: Change, expected: list[tuple[str, int]]
) -> None:
    setup = build_clinic(
        diary, [change.zone], [Shift(0, MIDNIGHT, time(6))], duration_minutes=60, step_minutes=60
    )
    slots = find(diary, setup, *night(change))

    assert walls(slots, change.tz) == [time.fromisoformat(w) for w, _ in expected]
    assert starts(slots) == [at(change.day, time.fromisoformat(w), o) for w, o in expected]
    assert len(set(starts(slots))) == len(slots)


def test_booking_must_start_on_the_local_grid_not_the_utc_one(diary: Diary) -> None:
    setup = build_clinic(diary, ["Asia/Kolkata"], [Shift(0, time(9), time(13))], step_minutes=60)
    patient = add_patient(diary, setup)
    day = date(2026, 6, 15)

    with pytest.raises(InvalidRequest):  # 04:00 UTC is 09:30 IST, between two hourly slots
        diary.book(setup.clinic_id, setup.choice(0, datetime(2026, 6, 15, 4, tzinfo=UTC)), patient)

    booked = diary.book(setup.clinic_id, setup.choice(0, at(day, time(10), 330)), patient)
    assert booked.starts_at == datetime(2026, 6, 15, 4, 30, tzinfo=UTC)
