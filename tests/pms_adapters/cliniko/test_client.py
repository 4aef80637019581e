"""The Cliniko client and settings: shards, auth, error bodies, 429 waits, big ids."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import httpx
import pytest

from pms_adapters.budget import LocalTokenBucket
from pms_adapters.cliniko import ClinikoConfig, base_url_for, create, mapping, shard_of
from pms_adapters.cliniko.client import ClinikoClient
from pms_adapters.cliniko.config import DEFAULT_USER_AGENT
from pms_adapters.errors import (
    AuthFailed,
    InvalidRequest,
    NotFound,
    PMSUnavailable,
    RateLimited,
)
from pms_adapters.types import PatientQuery, Window
from tests.fakes.cliniko import FakeCliniko, FakeClinikoServer
from tests.pms_adapters.cliniko.conftest import API_KEY, SLOT_SECRET, AdapterFactory

pytestmark = pytest.mark.anyio

BIG_ID = 1390726237298631770  # above 2**53: a float would round it


def test_the_shard_comes_from_the_key_suffix() -> None:
    assert shard_of("abc123-uk1") == "uk1"
    assert shard_of("a-b-c-AU4") == "au4"
    assert shard_of("legacykeywithnosuffix") == "au1"
    assert shard_of("key-notashard") == "au1"
    assert base_url_for("xyz-ca1") == "https://api.ca1.cliniko.com/v1"


def test_settings_are_read_and_checked() -> None:
    config = ClinikoConfig.from_settings(
        {"api_key": "secret-key-eu1", "business_ids": "1, 22", "slot_secret": "s" * 16}
    )
    assert config.base_url == "https://api.eu1.cliniko.com/v1"
    assert config.business_ids == ("1", "22")
    assert config.user_agent == DEFAULT_USER_AGENT and "@" in config.user_agent
    assert "secret-key" not in repr(config)
    listed = ClinikoConfig.from_settings(
        {"api_key": "k", "business_ids": [1, "2"], "environment": "test"}
    )
    assert listed.business_ids == ("1", "2")
    assert isinstance(listed.budget, LocalTokenBucket)
    with pytest.raises(ValueError, match="api_key"):
        ClinikoConfig.from_settings({"slot_secret": "s" * 16})
    with pytest.raises(ValueError, match="slot_secret"):
        ClinikoConfig.from_settings({"api_key": "k"})
    with pytest.raises(ValueError, match="digits"):
        ClinikoConfig.from_settings({"api_key": "k", "environment": "test", "business_ids": "x"})


async def test_a_wrong_key_is_auth_failed_and_never_repeated(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = make_adapter(api_key="the-wrong-key-au1")
    with pytest.raises(AuthFailed) as failed:
        await adapter.locations()
    assert "the-wrong-key" not in str(failed.value)
    assert "the-wrong-key" not in caplog.text


async def test_a_429_is_waited_out_not_surfaced(
    make_adapter: AdapterFactory, fake: FakeCliniko
) -> None:
    budget = LocalTokenBucket(rate_per_minute=60_000, burst=100, max_wait=10)
    adapter = make_adapter(budget=budget)
    fake.rate_limit_next(reset_in=0.1)
    locations = await adapter.locations()
    assert len(locations) == 2
    first, second = fake.log[:2]
    assert (first.status, second.status) == (429, 200)
    # X-RateLimit-Reset is in whole seconds: the retry waited for the next one.
    assert int(second.at) > int(first.at)


async def test_logs_carry_no_patient_data_and_no_key(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = make_adapter()
    found = await adapter.find_patients(PatientQuery(name="Olivia Smith"))
    assert [p.last_name for p in found] == ["Smith"]
    assert "/v1/patients" in caplog.text  # httpx logged the request...
    for secret in ("Smith", "Olivia", API_KEY):
        assert secret not in caplog.text  # ...without its query string


async def test_a_429_past_the_cap_is_rate_limited(
    make_adapter: AdapterFactory, fake: FakeCliniko
) -> None:
    adapter = make_adapter(max_rate_limit_wait=1.0)
    fake.rate_limit_next(reset_in=30.0)
    with pytest.raises(RateLimited) as limited:
        await adapter.locations()
    assert limited.value.retry_after > 25


async def test_error_bodies_in_html_or_empty_map_cleanly(
    make_adapter: AdapterFactory, fake: FakeCliniko
) -> None:
    adapter = make_adapter()
    await adapter.locations()
    fake.fail_next(502, body="<html><body>Bad gateway</body></html>", content_type="text/html")
    fake.fail_next(500, body="<html><body>Oops</body></html>", content_type="text/html")
    with pytest.raises(PMSUnavailable) as down:
        await adapter.find_patients(PatientQuery(name="Olivia Smith"))
    assert "<html>" not in str(down.value) and "500" in str(down.value)
    fake.fail_next(404, path="^/patients/", body="")
    with pytest.raises(NotFound):
        await adapter.patients.get(next(iter(fake.patients)))
    fake.fail_next(
        404, path="^/patients/", body="<!DOCTYPE html><html>404</html>", content_type="text/html"
    )
    with pytest.raises(NotFound):
        await adapter.patients.get(next(iter(fake.patients)))
    fake.fail_next(
        422,
        path="^/patients$",
        body='{"message": "Validation Failed", "errors": {"base": "Something is wrong"}}',
    )
    with pytest.raises(InvalidRequest, match="base Something is wrong"):
        await adapter.find_patients(PatientQuery(name="Olivia Smith"))


async def test_a_non_json_success_or_a_foreign_link_is_unavailable() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/businesses"):
            return httpx.Response(200, text="<html>maintenance</html>")
        return httpx.Response(
            200, json={"patients": [], "links": {"next": "https://evil.example/x"}}
        )

    client = ClinikoClient(
        api_key=API_KEY,
        base_url="https://api.au1.cliniko.com/v1",
        user_agent=DEFAULT_USER_AGENT,
        timeout=1,
        budget=LocalTokenBucket(6000),
        transport=httpx.MockTransport(answer),
    )
    with pytest.raises(PMSUnavailable, match="non-JSON"):
        await client.get("/businesses")
    with pytest.raises(PMSUnavailable, match="another host"):
        await client.pages("/patients", "patients")
    await client.aclose()


async def test_big_ids_survive_as_strings_even_when_sent_as_json_numbers() -> None:
    base = "https://api.au1.cliniko.com/v1"
    record = {
        "id": BIG_ID,
        "starts_at": "2026-03-03T22:00:00Z",
        "ends_at": "2026-03-03T22:45:00Z",
        "patient": {"links": {"self": f"{base}/patients/{BIG_ID + 1}"}},
        "practitioner": {"links": {"self": f"{base}/practitioners/{BIG_ID + 2}"}},
        "business": {"links": {"self": f"{base}/businesses/{BIG_ID + 3}"}},
        "appointment_type": {"links": {"self": f"{base}/appointment_types/{BIG_ID + 4}"}},
        "cancelled_at": None,
    }
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        listing = {"individual_appointments": [record], "total_entries": 1, "links": {}}
        return httpx.Response(
            200, content=json.dumps(listing).encode(), headers={"content-type": "application/json"}
        )

    adapter = create({"api_key": API_KEY, "slot_secret": SLOT_SECRET})
    await adapter.client.aclose()
    adapter.client = ClinikoClient(
        api_key=API_KEY,
        base_url=base,
        user_agent=DEFAULT_USER_AGENT,
        timeout=1,
        budget=LocalTokenBucket(6000),
        transport=httpx.MockTransport(answer),
    )
    adapter.bookings._client = adapter.client
    window = Window(
        starts_at=datetime(2026, 3, 3, tzinfo=UTC), ends_at=datetime(2026, 3, 4, tzinfo=UTC)
    )
    (found,) = await adapter.appointments(str(BIG_ID + 1), window)
    assert found.id == str(BIG_ID)
    assert found.patient_id == str(BIG_ID + 1)
    assert found.appointment_type_id == str(BIG_ID + 4)
    assert ("q[]", f"patient_id:={BIG_ID + 1}") in seen[0].params.multi_items()
    with pytest.raises(mapping.BadRecord):
        mapping.cliniko_id(float(BIG_ID))
    with pytest.raises(PMSUnavailable):
        mapping.appointment({**record, "id": float(BIG_ID)})
    await adapter.aclose()


async def test_the_user_agent_and_accept_headers_are_sent(
    cliniko_server: FakeClinikoServer, fake: FakeCliniko, make_adapter: AdapterFactory
) -> None:
    fake.settings.require_user_agent = True
    adapter = make_adapter(user_agent="Receptionist at Harbourside (it@harbourside.example)")
    assert len(await adapter.practitioners()) == 4
    refused = make_adapter(user_agent="anonymous")
    with pytest.raises(AuthFailed):
        await refused.practitioners()


async def test_a_slow_read_is_retried_once_then_unavailable(
    make_adapter: AdapterFactory, fake: FakeCliniko
) -> None:
    adapter = make_adapter(timeout=0.2)
    fake.slow_next(0.5, "GET", "^/businesses$")
    assert len(await adapter.locations()) == 2  # the retry answered in time
    adapter.reference.invalidate()
    fake.slow_next(0.5, "GET", "^/businesses$", times=2)
    with pytest.raises(PMSUnavailable, match="did not answer in time"):
        await adapter.locations()
