"""A fake Nookal v2 API for tests: state, the ASGI app, a threaded server and the demo clinic.

    fake = FakeNookal()                      # or: fake, demo = demo_fake(DEMO_ANCHOR)
    with serve(fake) as base_url:            # http://127.0.0.1:<port>/production/v2
        adapter = create(demo.settings(base_url, slot_secret=..., clock=...))

Switches: `fake.misbehave("addAppointmentBooking", Misbehaviour(lose="timeout"))` and friends.
"""

from tests.fakes.nookal.app import create_app
from tests.fakes.nookal.demo import DemoClinic, demo_fake, seed_demo
from tests.fakes.nookal.server import serve
from tests.fakes.nookal.state import (
    DatedChange,
    FakeAppointment,
    FakeLocation,
    FakeNookal,
    FakePatient,
    FakePractitioner,
    FakeService,
    Misbehaviour,
    WeeklyHours,
)

__all__ = [
    "DatedChange",
    "DemoClinic",
    "FakeAppointment",
    "FakeLocation",
    "FakeNookal",
    "FakePatient",
    "FakePractitioner",
    "FakeService",
    "Misbehaviour",
    "WeeklyHours",
    "create_app",
    "demo_fake",
    "seed_demo",
    "serve",
]
