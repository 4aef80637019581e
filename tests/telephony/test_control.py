"""TwilioControl through the official twilio library against the fake Twilio REST API."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from email.utils import parsedate_to_datetime

import anyio
import httpx
import pytest

from receptionist.telephony.control import CallGone, SentMessage, TwilioControl, TwilioError
from tests.fakes.twilio_rest import FakeTwilio

CALL = "CA" + "c" * 32
OTHER_CALL = "CA" + "d" * 32
PATIENT = "+61412345678"
CLINIC = "+61255501234"
BODY = "Your physio follow-up is booked for Tue 3 Mar at 9:15am."


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as running:
        yield running


@pytest.fixture
async def control(fake: FakeTwilio) -> AsyncIterator[TwilioControl]:
    async with TwilioControl(
        fake.account_sid, fake.auth_token, api_base_url=fake.base_url, timeout=5
    ) as twilio:
        yield twilio


@pytest.mark.anyio
async def test_sms_lands_in_the_fake_with_twilios_fields(
    fake: FakeTwilio, control: TwilioControl
) -> None:
    sent = await control.send_sms(
        PATIENT, BODY, from_=CLINIC, status_callback="https://clinic.example.com/sms-status"
    )
    assert isinstance(sent, SentMessage)
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert sent.status == "queued"
    [message] = fake.messages
    assert message["To"] == PATIENT and message["From"] == CLINIC and message["Body"] == BODY
    assert message["StatusCallback"] == "https://clinic.example.com/sms-status"
    assert message["Sid"] == sent.sid
    assert fake.requests == [("POST", f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json")]


@pytest.mark.anyio
async def test_sms_from_an_alphanumeric_sender_or_a_messaging_service(
    fake: FakeTwilio, control: TwilioControl
) -> None:
    await control.send_sms(PATIENT, BODY, from_="Harbourside")
    service = "MG" + "e" * 32
    via_service = await control.send_sms(PATIENT, BODY, from_=service)
    assert via_service.status == "accepted"
    first, second = fake.messages
    assert first["From"] == "Harbourside" and "StatusCallback" not in first
    assert second["MessagingServiceSid"] == service and "From" not in second


@pytest.mark.anyio
async def test_hang_up_of_a_live_call_completes_it(
    fake: FakeTwilio, control: TwilioControl
) -> None:
    fake.add_call(CALL)
    await control.hang_up(CALL)
    assert fake.call_updates == [(CALL, {"Status": "completed"})]
    assert fake.call_status(CALL) == "completed"
    assert fake.requests == [("POST", f"/2010-04-01/Accounts/{fake.account_sid}/Calls/{CALL}.json")]


@pytest.mark.anyio
async def test_hang_up_of_an_unknown_or_ended_call_is_done_already(
    fake: FakeTwilio, control: TwilioControl
) -> None:
    await control.hang_up(OTHER_CALL)  # 404 / 20404
    fake.add_call(CALL)
    await control.hang_up(CALL)
    await control.hang_up(CALL)  # 400 / 21220: no longer in progress
    fake.add_call(OTHER_CALL, status="completed")
    await control.hang_up(OTHER_CALL)
    assert fake.call_updates == [(CALL, {"Status": "completed"})]
    assert len(fake.requests) == 4


@pytest.mark.anyio
async def test_redirect_sends_the_twiml(fake: FakeTwilio, control: TwilioControl) -> None:
    fake.add_call(CALL)
    twiml = "<Response><Dial>+61255509999</Dial></Response>"
    await control.redirect(CALL, twiml)
    assert fake.call_updates == [(CALL, {"Twiml": twiml})]
    assert fake.call_status(CALL) == "in-progress"


@pytest.mark.anyio
async def test_redirect_of_an_ended_call_raises_call_gone(
    fake: FakeTwilio, control: TwilioControl
) -> None:
    fake.add_call(CALL)
    await control.hang_up(CALL)
    with pytest.raises(CallGone) as ended:
        await control.redirect(CALL, "<Response><Hangup/></Response>")
    assert ended.value.code == 21220 and ended.value.status == 400
    with pytest.raises(CallGone) as unknown:
        await control.redirect(OTHER_CALL, "<Response><Hangup/></Response>")
    assert unknown.value.code == 20404 and unknown.value.status == 404
    assert fake.call_updates == [(CALL, {"Status": "completed"})]


@pytest.mark.anyio
async def test_wrong_auth_token_is_twilios_20003(fake: FakeTwilio) -> None:
    async with TwilioControl(
        fake.account_sid, "not-the-token", api_base_url=fake.base_url
    ) as control:
        with pytest.raises(TwilioError) as sms:
            await control.send_sms(PATIENT, BODY, from_=CLINIC)
        fake.add_call(CALL)
        with pytest.raises(TwilioError) as hang_up:
            await control.hang_up(CALL)  # an auth failure is not "already ended"
    for error in (sms.value, hang_up.value):
        assert not isinstance(error, CallGone)
        assert error.code == 20003 and error.status == 401
        assert "not-the-token" not in str(error)
    assert fake.messages == [] and fake.call_updates == []


def test_another_accounts_path_is_not_found(fake: FakeTwilio) -> None:
    other = "AC" + "9" * 32
    with httpx.Client(base_url=fake.base_url, trust_env=False) as http:
        response = http.post(
            f"/2010-04-01/Accounts/{other}/Messages.json",
            auth=(fake.account_sid, fake.auth_token),
            data={"To": PATIENT, "From": CLINIC, "Body": BODY},
        )
        unauthenticated = http.post(f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json")
    assert response.status_code == 404 and response.json()["code"] == 20404
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


@pytest.mark.anyio
async def test_invalid_to_is_21211_and_the_number_and_body_stay_out_of_errors_and_logs(
    fake: FakeTwilio, control: TwilioControl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="receptionist")
    with pytest.raises(TwilioError) as caught:
        await control.send_sms("0412 345 678", BODY, from_=CLINIC)
    error = caught.value
    assert error.code == 21211 and error.status == 400
    # (The number in any spelling; not a bare "412", which a random message SID can contain.)
    private = ("0412 345 678", "412 345 678", "412345678", BODY)
    assert not any(secret in str(error) for secret in private)
    assert error.__cause__ is None and error.__suppress_context__
    await control.send_sms(PATIENT, BODY, from_=CLINIC)
    for record in caplog.records:
        if record.name.startswith("receptionist"):
            text = record.getMessage()
            assert not any(secret in text for secret in (*private, fake.auth_token))
    assert len(fake.messages) == 1


@pytest.mark.anyio
async def test_an_injected_server_error_is_a_twilio_error(
    fake: FakeTwilio, control: TwilioControl
) -> None:
    fake.fail_next(500, 20500, "An internal server error has occurred")
    with pytest.raises(TwilioError) as caught:
        await control.send_sms(PATIENT, BODY, from_=CLINIC)
    assert caught.value.status == 500 and caught.value.code == 20500
    fake.add_call(CALL)
    fake.fail_next(503, 20503, "Service unavailable")
    with pytest.raises(TwilioError) as hang_up:
        await control.hang_up(CALL)
    assert not isinstance(hang_up.value, CallGone) and hang_up.value.code == 20503
    assert fake.messages == [] and fake.call_status(CALL) == "in-progress"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.anyio
async def test_an_unreachable_api_is_a_twilio_error_without_a_code() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    async with TwilioControl("AC" + "1" * 32, "token", api_base_url=url, timeout=1) as control:
        with pytest.raises(TwilioError) as caught:
            await control.send_sms(PATIENT, BODY, from_=CLINIC)
        with pytest.raises(TwilioError):
            await control.hang_up(CALL)  # not swallowed: nobody said the call had ended
    assert caught.value.code is None and caught.value.status is None
    assert time.monotonic() - started < 5


@pytest.mark.anyio
async def test_a_slow_api_times_out_as_a_twilio_error(fake: FakeTwilio) -> None:
    fake.add_call(CALL)
    fake.delay_next(1.5)
    async with TwilioControl(
        fake.account_sid, fake.auth_token, api_base_url=fake.base_url, timeout=0.3
    ) as control:
        started = time.monotonic()
        with pytest.raises(TwilioError) as caught:
            await control.redirect(CALL, "<Response><Hangup/></Response>")
    assert caught.value.code is None
    assert time.monotonic() - started < 1.2


@pytest.mark.anyio
async def test_the_event_loop_keeps_running_during_a_slow_rest_call(
    fake: FakeTwilio, control: TwilioControl
) -> None:
    fake.add_call(CALL)
    fake.delay_next(0.5)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(tick)
        started = time.monotonic()
        await control.hang_up(CALL)
        elapsed = time.monotonic() - started
        tasks.cancel_scope.cancel()
    assert elapsed >= 0.45
    assert ticks >= 20  # ~50 expected; a blocked loop would give 0 or 1
    assert fake.call_status(CALL) == "completed"


@pytest.mark.anyio
async def test_a_closed_control_refuses_and_bad_sids_never_reach_the_url(
    fake: FakeTwilio,
) -> None:
    control = TwilioControl(fake.account_sid, fake.auth_token, api_base_url=fake.base_url)
    with pytest.raises(ValueError):
        await control.hang_up("CA../../Messages")
    await control.aclose()
    await control.aclose()
    with pytest.raises(TwilioError):
        await control.send_sms(PATIENT, BODY, from_=CLINIC)
    assert fake.requests == []


def test_fake_dates_are_rfc_2822_and_parse_in_the_library(fake: FakeTwilio) -> None:
    fake.add_call(CALL)
    with httpx.Client(
        base_url=fake.base_url, auth=(fake.account_sid, fake.auth_token), trust_env=False
    ) as http:
        call = http.get(f"/2010-04-01/Accounts/{fake.account_sid}/Calls/{CALL}.json").json()
        wrong_method = http.delete(f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json")
    assert call["sid"] == CALL and call["status"] == "in-progress"
    assert parsedate_to_datetime(call["date_created"]).utcoffset() is not None
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == 20004
