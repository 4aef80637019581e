"""The client against the fake: the envelope, its quirks, pages, and the error mapping."""

from __future__ import annotations

import pytest

from pms_adapters.errors import AuthFailed, InvalidRequest, PMSUnavailable
from pms_adapters.nookal import NookalAdapter
from pms_adapters.nookal.client import NookalFailure, UnknownMethod
from tests.fakes.nookal import DemoClinic, FakeNookal, Misbehaviour
from tests.pms_adapters.nookal.conftest import adapter_for

pytestmark = pytest.mark.anyio


async def test_calls_are_form_posts_with_the_key_in_the_body(
    adapter: NookalAdapter, fake: FakeNookal, nookal_demo: DemoClinic
) -> None:
    await adapter.locations()
    assert fake.requests
    for request in fake.requests:
        assert request.http_method == "POST"
        assert request.content_type == "application/x-www-form-urlencoded; charset=UTF-8"
        assert "api_key" in request.form_fields
        assert (
            nookal_demo.api_key not in request.query_string
            and "api_key" not in request.query_string
        )


async def test_failure_with_http_200_is_an_error_with_its_code(adapter: NookalAdapter) -> None:
    with pytest.raises(NookalFailure) as raised:
        await adapter.client.call("getAppointmentAvailabilities", {"location_id": "1"})
    assert isinstance(raised.value, InvalidRequest)
    assert raised.value.code == "V000"
    assert "Missing variable: practitioner_id" in str(raised.value)


async def test_a_refused_key_is_auth_failed_and_never_repeated(
    nookal_demo: DemoClinic, nookal_url: str
) -> None:
    wrong = adapter_for(nookal_demo, nookal_url, api_key="not-the-key-4711")
    try:
        with pytest.raises(AuthFailed) as raised:
            await wrong.locations()
        assert "4711" not in str(raised.value)
    finally:
        await wrong.aclose()


async def test_string_numbers_and_integer_ids_are_coerced(
    adapter: NookalAdapter, nookal_demo: DemoClinic
) -> None:
    raw = await adapter.client.page("getAppointmentTypes", {}, 1, 100)
    assert raw.results["services"][0]["Duration"] == "45"  # the fake sends strings
    kinds = {k.name: k for k in await adapter.appointment_types()}
    assert kinds["Initial physiotherapy consultation"].duration_minutes == 45
    raw = await adapter.client.page("getPractitioners", {}, 1, 100)
    assert raw.results["practitioners"][0]["locations"] == [1, 2]  # integers here
    sarah = next(p for p in await adapter.practitioners() if p.name == "Sarah Chen")
    assert sarah.location_ids == ("1", "2")


async def test_pages_are_followed_until_next_page_is_null(
    adapter: NookalAdapter, fake: FakeNookal
) -> None:
    rows = await adapter.client.fetch_all("getPatients", "patients", page_length=3)
    assert sorted(int(r["ID"]) for r in rows) == list(range(1, 21))
    assert fake.calls("getPatients") == 7  # 3 a page: 7 pages, the last with nextPage null
    last = await adapter.client.page("getPatients", {}, 7, 3)
    assert last.next_page is None
    first = await adapter.client.page("getPatients", {}, 1, 3)
    assert first.next_page == 2


async def test_unknown_method_is_an_error_naming_it(adapter: NookalAdapter) -> None:
    with pytest.raises(UnknownMethod) as raised:
        await adapter.client.call("getServices")
    assert isinstance(raised.value, InvalidRequest)
    assert "getServices" in str(raised.value)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_pms_unavailable(
    adapter: NookalAdapter, fake: FakeNookal, status: int
) -> None:
    fake.misbehave("getLocations", Misbehaviour(status=status))
    with pytest.raises(PMSUnavailable, match=f"HTTP {status}"):
        await adapter.locations()
    assert await adapter.locations()  # the next call is fine


async def test_a_slow_answer_is_pms_unavailable(
    nookal_demo: DemoClinic, nookal_url: str, fake: FakeNookal
) -> None:
    impatient = adapter_for(nookal_demo, nookal_url, timeout=0.2)
    try:
        fake.misbehave("getLocations", Misbehaviour(delay=1.0))
        with pytest.raises(PMSUnavailable, match="did not answer getLocations within 0.2 s"):
            await impatient.locations()
    finally:
        await impatient.aclose()


async def test_unreachable_nookal_is_pms_unavailable(nookal_demo: DemoClinic) -> None:
    nowhere = adapter_for(nookal_demo, "http://127.0.0.1:9/production/v2")
    try:
        with pytest.raises(PMSUnavailable, match="could not reach Nookal for getLocations"):
            await nowhere.locations()
    finally:
        await nowhere.aclose()
