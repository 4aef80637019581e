"""`describe`: what `receptionist pms check` shows for a Nookal connection."""

from __future__ import annotations

import pytest

from pms_adapters.nookal import NookalAdapter
from pms_adapters.nookal.check import describe
from tests.fakes.nookal import DemoClinic, FakeNookal, Misbehaviour
from tests.pms_adapters.nookal.conftest import adapter_for

pytestmark = pytest.mark.anyio


async def test_describe_reports_the_clinic_and_readable_availability(
    adapter: NookalAdapter,
) -> None:
    report = await describe(adapter)
    assert report["adapter"] == "nookal"
    assert report["key_verified"] is True
    assert report["problems"] == []
    assert [loc["name"] for loc in report["locations"]] == ["Surry Hills", "Parramatta"]
    assert {p["name"]: p["appointment_type_ids"] for p in report["practitioners"]} == {
        "Sarah Chen": ["1", "2", "4"],
        "James O'Brien": ["1", "2"],
        "Priya Patel": ["3"],
        "Tom Nguyen": ["4"],
    }
    kinds = {k["name"]: k for k in report["appointment_types"]}
    assert kinds["Clinical pilates assessment"]["bookable_by_phone"] is False
    assert kinds["Physiotherapy follow-up"]["new_patients_allowed"] is False
    assert report["practitioner_types_source"] == "getPractitionerAppointmentTypes"
    assert len(report["availability"]) == 6
    assert all(entry["readable"] for entry in report["availability"])
    assert report["capabilities"]["native_idempotency"] is False


async def test_describe_names_what_is_missing_or_unreadable(
    nookal_demo: DemoClinic, nookal_url: str, fake: FakeNookal
) -> None:
    fake.custom_methods = False
    adapter = adapter_for(nookal_demo, nookal_url, location_ids="1,2,99")
    try:
        fake.misbehave("getAppointmentAvailabilities", Misbehaviour(status=500))
        report = await describe(adapter)
    finally:
        await adapter.aclose()
    assert report["missing_locations"] == ["99"]
    assert "getPractitionerAppointmentTypes" in report["practitioner_types_source"]
    assert report["practitioner_types_source"].startswith("everyone delivers every type")
    unreadable = [e for e in report["availability"] if not e["readable"]]
    assert len(unreadable) == 1 and "HTTP 500" in unreadable[0]["error"]
    assert any("99" in line for line in report["problems"])


async def test_describe_with_a_refused_key(nookal_demo: DemoClinic, nookal_url: str) -> None:
    adapter = adapter_for(nookal_demo, nookal_url, api_key="wrong")
    try:
        report = await describe(adapter)
    finally:
        await adapter.aclose()
    assert report["key_verified"] is False
    assert report["problems"] and "refused" in report["problems"][0]
