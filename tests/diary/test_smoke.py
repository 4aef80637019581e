from __future__ import annotations

from diary import Diary


def test_demo_clinic_has_slots(diary: Diary, demo: int) -> None:
    types = diary.appointment_types(demo)
    assert len(types) == 4
    for appt_type in types:
        assert len(diary.first_slots(demo, appt_type.id, 5)) == 5
