"""The fake Cliniko's reference and availability endpoints.

Each takes the account and the parsed call and returns a response; they run under the
account's lock (see `app`), so each is atomic.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.responses import Response

from tests.fakes.cliniko import query
from tests.fakes.cliniko.query import DATETIME, ID
from tests.fakes.cliniko.records import stamp
from tests.fakes.cliniko.responses import Call, body, listing, message, not_found, stamps
from tests.fakes.cliniko.slots import available_times
from tests.fakes.cliniko.state import FakeCliniko

TIME_FRAME = "Invalid time frame definition. Please check from/to param limitations."
_REFERENCE_FILTERS = {"id": ID, "created_at": DATETIME, "updated_at": DATETIME}
_PRACTITIONER_FILTERS = {**_REFERENCE_FILTERS, "user_id": ID}


# -- reference data ---------------------------------------------------------------------------


def user(fake: FakeCliniko, call: Call) -> Response:
    return body(
        200,
        {
            "id": "1000000000000000001",
            "first_name": "Fake",
            "last_name": "Admin",
            "links": {"self": f"{call.base}/user"},
        },
    )


def list_businesses(fake: FakeCliniko, call: Call) -> Response:
    rows = [b for b in fake.businesses.values() if b.archived_at is None]
    return listing(call, "businesses", rows, _REFERENCE_FILTERS, stamps)


def get_business(fake: FakeCliniko, call: Call) -> Response:
    found = fake.businesses.get(call.ids["business"])
    return body(200, found.render(call.base)) if found else not_found()


def _practitioners(fake: FakeCliniko, call: Call, keep: Any) -> Response:
    rows = [p for p in fake.practitioners.values() if p.active and keep(p)]

    def values(p: Any) -> dict[str, Any]:
        return {**stamps(p), "user_id": None}

    return listing(call, "practitioners", rows, _PRACTITIONER_FILTERS, values)


def list_practitioners(fake: FakeCliniko, call: Call) -> Response:
    return _practitioners(fake, call, lambda p: True)


def business_practitioners(fake: FakeCliniko, call: Call) -> Response:
    business = call.ids["business"]
    if business not in fake.businesses:
        return not_found()
    return _practitioners(fake, call, lambda p: business in p.business_ids)


def type_practitioners(fake: FakeCliniko, call: Call) -> Response:
    kind = call.ids["kind"]
    if kind not in fake.appointment_types:
        return not_found()
    return _practitioners(fake, call, lambda p: kind in p.appointment_type_ids)


def get_practitioner(fake: FakeCliniko, call: Call) -> Response:
    found = fake.practitioners.get(call.ids["practitioner"])
    return body(200, found.render(call.base)) if found else not_found()


def _types(fake: FakeCliniko, call: Call, keep: Any) -> Response:
    rows = [t for t in fake.appointment_types.values() if t.archived_at is None and keep(t)]
    return listing(call, "appointment_types", rows, _REFERENCE_FILTERS, stamps)


def list_types(fake: FakeCliniko, call: Call) -> Response:
    return _types(fake, call, lambda t: True)


def practitioner_types(fake: FakeCliniko, call: Call) -> Response:
    practitioner = fake.practitioners.get(call.ids["practitioner"])
    if practitioner is None:
        return not_found()
    return _types(fake, call, lambda t: t.id in practitioner.appointment_type_ids)


def get_type(fake: FakeCliniko, call: Call) -> Response:
    found = fake.appointment_types.get(call.ids["kind"])
    return body(200, found.render(call.base)) if found else not_found()


# -- availability -------------------------------------------------------------------------------


def _bookable(fake: FakeCliniko, call: Call) -> tuple[Any, Any, Any] | None:
    """The business, practitioner and type if all are shown in online bookings together."""
    business = fake.businesses.get(call.ids["business"])
    practitioner = fake.practitioners.get(call.ids["practitioner"])
    kind = fake.appointment_types.get(call.ids["kind"])
    if business is None or practitioner is None or kind is None:
        return None
    shown = (
        business.show_in_online_bookings
        and practitioner.show_in_online_bookings
        and practitioner.active
        and kind.show_in_online_bookings
        and kind.archived_at is None
    )
    offered = (
        business.id in practitioner.business_ids
        and kind.id in practitioner.appointment_type_ids
        and kind.id in business.appointment_type_ids
    )
    return (business, practitioner, kind) if shown and offered else None


def _time_frame(fake: FakeCliniko, call: Call, zone: str) -> tuple[date, date] | None:
    try:
        first = date.fromisoformat(call.params["from"])
        last = date.fromisoformat(call.params["to"])
    except (KeyError, ValueError):
        return None
    today = fake.now().astimezone(ZoneInfo(zone)).date()
    if last < first or (last - first).days > fake.settings.max_span_days or first < today:
        return None
    return first, last


def available(fake: FakeCliniko, call: Call) -> Response:
    found = _bookable(fake, call)
    if found is None:
        return body(404, {"status": "404", "error": "Not Found"})
    business, practitioner, kind = found
    frame = _time_frame(fake, call, business.time_zone_identifier)
    if frame is None:
        return message(400, TIME_FRAME)
    starts = available_times(fake, business, practitioner, kind, *frame)
    page = query.paginate(starts, call.params, call.url)
    return body(
        200,
        {
            "available_times": [{"appointment_start": stamp(s)} for s in page.items],
            "total_entries": page.total,
            "links": page.links,
        },
    )


def next_available(fake: FakeCliniko, call: Call) -> Response:
    found = _bookable(fake, call)
    if found is None:
        return body(404, {"status": "404", "error": "Not Found"})
    business, practitioner, kind = found
    today = fake.now().astimezone(ZoneInfo(business.time_zone_identifier)).date()
    first = None
    for week in range(0, fake.settings.max_days_ahead + 1, 7):
        start = today + timedelta(days=week)
        starts = available_times(fake, business, practitioner, kind, start, start + timedelta(6))
        if starts:
            first = starts[0]
            break
    return body(200, {"appointment_start": stamp(first), "links": {"self": call.url}})
