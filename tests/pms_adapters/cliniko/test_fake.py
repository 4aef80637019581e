"""The fake Cliniko behaves as the spec says the real one does (warts included)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.cliniko import FakeCliniko, FakeClinikoServer
from tests.fakes.cliniko.demo import DemoClinic
from tests.pms_adapters.cliniko.conftest import API_KEY

HEADERS = {"User-Agent": "tests (tests@example.org)", "Accept": "application/json"}


@pytest.fixture
def http(cliniko_server: FakeClinikoServer, demo: DemoClinic) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=cliniko_server.url, auth=(API_KEY, ""), headers=HEADERS, timeout=5
    ) as client:
        yield client


def _ids(fake: FakeCliniko) -> tuple[str, str, str, str]:
    """A business, a practitioner working there, a type they offer online, a patient."""
    practitioner = next(p for p in fake.practitioners.values() if p.first_name == "Sarah")
    business = practitioner.business_ids[0]
    kind = next(t for t in fake.appointment_types.values() if t.name.startswith("Initial physio"))
    patient = next(iter(fake.patients))
    return business, practitioner.id, kind.id, patient


def test_auth_is_basic_with_the_key_with_or_without_its_shard(
    cliniko_server: FakeClinikoServer, demo: DemoClinic
) -> None:
    url = cliniko_server.url + "/businesses"
    for key in (API_KEY, API_KEY.rsplit("-", 1)[0]):
        assert httpx.get(url, auth=(key, ""), headers=HEADERS).status_code == 200
    refused = httpx.get(url, auth=("wrong-key-au1", ""), headers=HEADERS)
    assert refused.status_code == 401
    assert refused.text == "HTTP Basic: Access denied.\n"
    assert httpx.get(url, headers=HEADERS).status_code == 401
    anonymous = httpx.get(url, auth=(API_KEY, ""), headers={"User-Agent": "curl"})
    assert anonymous.status_code == 403


def test_ids_are_19_digit_strings_and_links_are_absolute(
    http: httpx.Client, cliniko_server: FakeClinikoServer
) -> None:
    body = http.get("/practitioners").json()
    assert body["total_entries"] == 4
    for row in body["practitioners"]:
        assert isinstance(row["id"], str) and len(row["id"]) == 19 and int(row["id"]) > 2**53
        assert row["links"]["self"] == f"{cliniko_server.url}/practitioners/{row['id']}"


def test_pagination_follows_links_next(http: httpx.Client) -> None:
    first = http.get("/patients", params={"per_page": 8}).json()
    assert len(first["patients"]) == 8 and first["total_entries"] == 20
    assert "previous" not in first["links"]
    second = http.get(first["links"]["next"]).json()
    third = http.get(second["links"]["next"]).json()
    assert len(third["patients"]) == 4 and "next" not in third["links"]
    assert "previous" in third["links"]
    capped = http.get("/patients", params={"per_page": 500}).json()
    assert len(capped["patients"]) == 20


def test_filters_and_their_operators(http: httpx.Client) -> None:
    def names(*filters: str) -> list[str]:
        params = [("q[]", f) for f in filters] + [("sort", "last_name")]
        return [p["last_name"] for p in http.get("/patients", params=params).json()["patients"]]

    assert names("last_name:=Smith") == ["Smith"]
    assert names("last_name:~SMI") == ["Smith"]
    assert names("last_name:~~W%") == ["Walker", "White", "Williams", "Wilson"]
    assert names("date_of_birth:>=2001-01-01") == ["Hall", "O'Connor", "Thompson"]
    assert names("date_of_birth:=****-12-**") == ["Brown", "Young"]
    assert names("first_name:=Ava", "last_name:!=Hall") == []
    refused = http.get("/patients", params={"q[]": "notes:~x"})
    assert refused.status_code == 400
    assert refused.json() == {"message": "notes is not filterable"}
    local = http.get("/individual_appointments", params={"q[]": "starts_at:>2026-03-02T10:00"})
    assert local.status_code == 400


def test_available_times_rules(http: httpx.Client, fake: FakeCliniko) -> None:
    business, practitioner, kind, _ = _ids(fake)
    path = (
        f"/businesses/{business}/practitioners/{practitioner}"
        f"/appointment_types/{kind}/available_times"
    )
    ok = http.get(path, params={"from": "2026-03-02", "to": "2026-03-09"})
    assert ok.status_code == 200 and ok.json()["available_times"]
    start = ok.json()["available_times"][0]["appointment_start"]
    assert start.endswith("Z")
    for bad in (
        {"from": "2026-03-02", "to": "2026-03-10"},  # eight days apart
        {"from": "2026-03-01", "to": "2026-03-03"},  # before today
        {"from": "2026-03-05", "to": "2026-03-04"},
        {"from": "2026-03-05"},
    ):
        response = http.get(path, params=bad)
        assert response.status_code == 400
        assert response.json()["message"].startswith("Invalid time frame definition")
    fake.practitioners[practitioner].show_in_online_bookings = False
    assert http.get(path, params={"from": "2026-03-02", "to": "2026-03-03"}).status_code == 404


def test_create_allows_overlaps_and_conflicts_report_them(
    http: httpx.Client, fake: FakeCliniko
) -> None:
    business, practitioner, kind, patient = _ids(fake)
    body = {
        "starts_at": "2026-03-06T22:00:00Z",
        "patient_id": patient,
        "practitioner_id": int(practitioner),  # an exact JSON integer is accepted too
        "appointment_type_id": kind,
        "business_id": business,
    }
    first = http.post("/individual_appointments", json=body)
    second = http.post("/individual_appointments", json=body)
    assert first.status_code == second.status_code == 201
    assert first.headers["Location"].endswith(first.json()["id"])
    assert first.json()["ends_at"] == "2026-03-06T22:45:00Z"
    conflicts = http.get(f"/individual_appointments/{first.json()['id']}/conflicts").json()
    assert conflicts == {"conflicts": {"exist": True}}
    blank = http.post("/individual_appointments", json={"patient_id": patient})
    assert blank.status_code == 422
    assert blank.json()["errors"]["starts_at"] == "can’t be blank"
    rounded = http.post(
        "/individual_appointments", json={**body, "appointment_type_id": float(kind)}
    )
    assert rounded.status_code == 422


def test_update_keeps_the_end_unless_told_and_cancel_needs_a_reason(
    http: httpx.Client, fake: FakeCliniko
) -> None:
    business, practitioner, kind, patient = _ids(fake)
    created = http.post(
        "/individual_appointments",
        json={
            "starts_at": "2026-03-06T22:00:00Z",
            "patient_id": patient,
            "practitioner_id": practitioner,
            "appointment_type_id": kind,
            "business_id": business,
        },
    ).json()
    path = f"/individual_appointments/{created['id']}"
    kept = http.patch(path, json={"starts_at": "2026-03-06T21:30:00Z"}).json()
    assert kept["ends_at"] == "2026-03-06T22:45:00Z"  # the old end stays: send ends_at
    moved = http.patch(path, json={"starts_at": "2026-03-06T23:00:00Z", "ends_at": None}).json()
    assert moved["ends_at"] == "2026-03-06T23:45:00Z"
    assert http.patch(path + "/cancel", json={}).status_code == 422
    assert http.patch(path + "/cancel", json={"cancellation_reason": 11}).status_code == 422
    done = http.patch(path + "/cancel", json={"cancellation_reason": 30})
    assert done.status_code == 204 and done.content == b""
    cancelled = http.get(path).json()
    assert cancelled["cancellation_reason_description"] == "Sick"
    window = ["q[]", f"patient_id:={patient}"]
    listed = http.get("/individual_appointments", params=[tuple(window)]).json()
    assert created["id"] not in [a["id"] for a in listed["individual_appointments"]]
    everything = http.get(
        "/individual_appointments", params=[tuple(window), ("q[]", "cancelled_at:*")]
    ).json()
    assert created["id"] in [a["id"] for a in everything["individual_appointments"]]


def test_errors_come_in_every_shape(http: httpx.Client) -> None:
    unknown_route = http.get("/no/such/thing")
    assert unknown_route.status_code == 404
    assert unknown_route.headers["content-type"].startswith("text/html")
    unknown_record = http.get("/patients/1234567890123456789")
    assert unknown_record.status_code == 404 and unknown_record.content == b""
    invalid = http.post("/patients", json={"first_name": "Ann", "email": "nope"})
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == {"last_name": "can’t be blank", "email": "is invalid"}


def test_fault_switches(http: httpx.Client, fake: FakeCliniko) -> None:
    fake.rate_limit_next(reset_in=2)
    limited = http.get("/businesses")
    assert limited.status_code == 429
    reset = int(limited.headers["X-RateLimit-Reset"])
    assert 0 < reset - datetime.now(UTC).timestamp() <= 3
    fake.fail_next(503, path="^/businesses$", body="<html>down</html>", content_type="text/html")
    assert http.get("/businesses").status_code == 503
    assert http.get("/businesses").status_code == 200
    fake.settings.lost_response_hang = 0.5
    fake.lose_next_response("POST", "^/patients$")
    with pytest.raises(httpx.ReadTimeout):
        http.post("/patients", json={"first_name": "Lost", "last_name": "Answer"}, timeout=0.2)
    assert [p.last_name for p in fake.patients.values()].count("Answer") == 1


def test_rate_limit_counts_requests_per_key_per_window(
    http: httpx.Client, fake: FakeCliniko
) -> None:
    fake.settings.rate_limit = 3
    fake.settings.rate_window = 3600.0
    statuses = [http.get("/user").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert fake.max_requests_per_window(3600.0) == 5


def test_clone_is_independent(fake: FakeCliniko) -> None:
    copy = fake.clone()
    some = next(iter(copy.appointments.values()))
    some.cancelled_at = datetime.now(UTC)
    assert fake.appointments[some.id].cancelled_at is None
    assert int(copy.new_id()) > max(int(i) for i in fake.appointments)
    assert timedelta(0) <= fake.now() - copy.now() < timedelta(seconds=1)
