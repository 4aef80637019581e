"""A fake Cliniko API for tests, served over real HTTP on 127.0.0.1.

`FakeCliniko` is one account (data, clock, fault switches, request log); `serve_fake` serves
it with uvicorn in a thread; `demo.load_diary_clinic` fills one with the diary's demo clinic.
It follows `../shared/specs/cliniko-api.md`: 19-digit string ids, absolute links, pagination,
`q[]` filters, Basic auth, the 7-day rule, 404 when online bookings are off, overlapping
creates, cancel reason codes, `/conflicts`, and injectable 429s, 5xx, slow and lost responses.
"""

from tests.fakes.cliniko.app import create_app
from tests.fakes.cliniko.server import FakeClinikoServer, serve_fake
from tests.fakes.cliniko.state import FakeCliniko
from tests.fakes.cliniko.switches import Fault

__all__ = ["FakeCliniko", "FakeClinikoServer", "Fault", "create_app", "serve_fake"]
