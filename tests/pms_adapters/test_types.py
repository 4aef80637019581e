"""Contract types refuse bad input at the edge; slot ids have one spelling."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from pms_adapters.errors import SlotUnavailable
from pms_adapters.slot_ids import SlotCodec, SlotKey
from pms_adapters.types import Location, NewPatient, SlotQuery


def test_locations_need_a_real_zone() -> None:
    assert Location(id="1", name="Main", timezone="Australia/Sydney").timezone
    with pytest.raises(ValidationError):
        Location(id="1", name="Main", timezone="Sydney")


@pytest.mark.parametrize(
    "fields",
    [
        {"first_name": "Ann\x00", "last_name": "Lee"},
        {"first_name": "Ann", "last_name": "Lee\n"},
        {"first_name": "", "last_name": "Lee"},
        {"first_name": "Ann", "last_name": "Lee", "email": "a" * 321},
    ],
)
def test_new_patients_refuse_what_a_database_would(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        NewPatient(**fields)  # type: ignore[arg-type]


def test_slot_queries_are_unambiguous() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(ValidationError):
        SlotQuery(appointment_type_id="1", starts_after=now, ends_before=now)
    with pytest.raises(ValidationError):
        SlotQuery(
            appointment_type_id="1",
            starts_after=now,
            ends_before=now.replace(day=3),
            practitioner_ids=(),
        )
    with pytest.raises(ValidationError):
        SlotQuery(
            appointment_type_id="1",
            starts_after=datetime(2026, 3, 2),
            ends_before=now.replace(day=3),
        )


def test_slot_ids_round_trip_and_have_one_spelling() -> None:
    codec = SlotCodec(b"0123456789abcdef")
    key = SlotKey("1390726237298631770", "2", "3", datetime(2026, 3, 2, 22, 15, tzinfo=UTC))
    slot_id = codec.encode(key)
    assert codec.decode(slot_id) == key
    for variant in (slot_id + "=", slot_id + "==", slot_id[:-1], "x" + slot_id):
        with pytest.raises(SlotUnavailable):
            codec.decode(variant)
    with pytest.raises(SlotUnavailable):
        SlotCodec(b"another secret!!").decode(slot_id)
