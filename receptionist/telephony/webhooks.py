"""Twilio's webhooks: the incoming call, its status, the hand-off after the socket, voicemail.

Every request must carry a valid `X-Twilio-Signature`, computed by Twilio over the public URL
it called (the configured `public_base_url`, so it holds behind a proxy). A forged or missing
signature gets 403 and nothing else happens: no session, no record, no clinic opened.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, Dial, VoiceResponse

from pms_adapters.errors import PMSError
from receptionist.agent.session import CallSession
from receptionist.telephony import tokens
from receptionist.telephony.service import Telephony, caller_e164

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/twilio", tags=["twilio"])

NOT_IN_SERVICE = "Sorry, this number is not set up to take calls right now. Goodbye."
CANNOT_ANSWER = (
    "Sorry, we can't take your call right now. Please call back a little later. Goodbye."
)
DISCONNECTED = "Sorry, we've been disconnected. Please call back if you need anything. Goodbye."


def telephony(request: Request) -> Telephony:
    service: Telephony = request.app.state.telephony
    return service


TelephonyDep = Annotated[Telephony, Depends(telephony)]


def signed_url(request: Request, service: Telephony) -> str:
    """The URL Twilio signed: the public base URL plus the path and query it requested."""
    if not service.settings.public_base_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return service.public_url(request.url.path) + query


async def twilio_form(request: Request, service: TelephonyDep) -> dict[str, str]:
    """The webhook's form fields, once the signature has been checked."""
    form = await request.form()
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(service.settings.webhook_auth_token)
    if not signature or not validator.validate(signed_url(request, service), form, signature):
        logger.warning("webhook refused: bad or missing signature on %s", request.url.path)
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    return {key: str(value) for key, value in form.items()}


FormDep = Annotated[dict[str, str], Depends(twilio_form)]


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), media_type="application/xml")


def say_and_hang_up(text: str) -> Response:
    response = VoiceResponse()
    response.say(text)
    response.hangup()
    return twiml(response)


def websocket_url(service: Telephony, request: Request, path: str) -> str:
    base = service.settings.public_base_url or f"{request.url.scheme}://{request.url.netloc}"
    return base.rstrip("/").replace("https://", "wss://", 1).replace("http://", "ws://", 1) + path


def action_url(service: Telephony, request: Request, path: str) -> str:
    base = service.settings.public_base_url or f"{request.url.scheme}://{request.url.netloc}"
    return base.rstrip("/") + path


@router.post("/voice")
async def voice(request: Request, form: FormDep, service: TelephonyDep) -> Response:
    """An incoming call: find the clinic by the number called, open the call, answer."""
    call_sid = form.get("CallSid", "")
    if not call_sid.startswith("CA"):
        raise HTTPException(status_code=400, detail="CallSid missing")
    config = service.directory.config_for_number(form.get("To", ""))
    if config is None:
        logger.warning("call to a number no clinic owns", extra={"call_sid": call_sid})
        return say_and_hang_up(NOT_IN_SERVICE)
    try:
        live = await service.directory.open(config)
    except (PMSError, OSError, ValueError):
        logger.exception("clinic %s could not be opened", config.key, extra={"call_sid": call_sid})
        return say_and_hang_up(CANNOT_ANSWER)
    if await service.store.fetch(call_sid) is None:  # Twilio may retry the webhook: one record
        session = CallSession(
            clinic=config.key,
            caller_number=caller_e164(form.get("From")),
            mode=config.mode,
            id=call_sid,
            started_at=service.now(),
        )
        await service.store.save(session)
    token = tokens.issue(
        call_sid, config.key, service.token_secret, service.settings.call_token_ttl
    )
    response = VoiceResponse()
    script = live.script
    if config.mode == "realtime":
        connect = Connect(action=action_url(service, request, "/twilio/relay-action"))
        stream = connect.stream(url=websocket_url(service, request, "/twilio/media"))
        stream.parameter(name="token", value=token)
        stream.parameter(name="caller", value=form.get("From", ""))
        response.append(connect)
        return twiml(response)
    connect = Connect(action=action_url(service, request, "/twilio/relay-action"))
    options: dict[str, object] = {
        "url": websocket_url(service, request, "/twilio/relay"),
        "welcome_greeting": script.greeting,
        "language": script.language,
        "interruptible": "any",
        "dtmf_detection": True,
    }
    if script.tts_voice:
        options["voice"] = script.tts_voice
    relay = connect.conversation_relay(**options)
    relay.parameter(name="token", value=token)
    response.append(connect)
    return twiml(response)


@router.post("/relay-action")
async def relay_action(request: Request, form: FormDep, service: TelephonyDep) -> Response:
    """After the socket ends: put the caller through, record a voicemail, or hang up."""
    try:
        handoff = json.loads(form.get("HandoffData") or "{}")
    except json.JSONDecodeError:
        handoff = {}
    if not isinstance(handoff, dict):
        handoff = {}
    if not handoff:  # a media stream ended: the call record says what was decided
        handoff = await _handoff_from_record(service, form.get("CallSid", ""))
    reason = handoff.get("reason")
    response = VoiceResponse()
    if reason == "transfer" and handoff.get("to"):
        response.say("Putting you through now.")
        dial = Dial(answer_on_bridge=True, timeout=25)
        whisper = action_url(service, request, f"/twilio/whisper?call={form.get('CallSid', '')}")
        dial.number(str(handoff["to"]), url=whisper)
        response.append(dial)
        response.say("Sorry, no one could take the call. Please call back later. Goodbye.")
        return twiml(response)
    if reason == "voicemail":
        response.say("Please leave your message after the tone, then hang up.")
        response.record(
            action=action_url(service, request, "/twilio/recording"),
            max_length=120,
            play_beep=True,
            trim="trim-silence",
        )
        return twiml(response)
    if reason == "hangup":
        response.hangup()
        return twiml(response)
    return say_and_hang_up(DISCONNECTED)


async def _handoff_from_record(service: Telephony, call_sid: str) -> dict[str, object]:
    record = await service.store.fetch(call_sid)
    if record is None:
        return {}
    if record.get("transfer_reason"):
        config = service.directory.config_for_key(str(record.get("clinic")))
        if config is not None:
            live = await service.directory.open(config)
            if live.transfer_number:
                return {"reason": "transfer", "to": live.transfer_number}
    if record.get("voicemail_requested"):
        return {"reason": "voicemail"}
    if record.get("ended_at") or record.get("outcome") in ("info", "booked", "moved", "cancelled"):
        return {"reason": "hangup"}
    return {}


@router.post("/whisper")
async def whisper(request: Request, form: FormDep, service: TelephonyDep) -> Response:
    """Said to the staff member who picks up a transfer, before the caller is connected."""
    record = await service.store.fetch(request.query_params.get("call", ""))
    response = VoiceResponse()
    summary = "A caller from the virtual receptionist."
    if record is not None and record.get("transfer_reason"):
        summary = f"Transfer from the virtual receptionist: {record['transfer_reason']}."
    response.say(summary[:200])
    return twiml(response)


@router.post("/recording")
async def recording(form: FormDep, service: TelephonyDep) -> Response:
    """A voicemail was recorded: keep it with the call for staff."""
    url = form.get("RecordingUrl")
    if url:
        await service.store.add_recording(form.get("CallSid", ""), url, service.now())
    response = VoiceResponse()
    response.say("Thank you, your message has been saved. Goodbye.")
    response.hangup()
    return twiml(response)


FINAL_STATUSES = {"completed", "busy", "no-answer", "canceled", "failed"}


@router.post("/status")
async def status(form: FormDep, service: TelephonyDep) -> Response:
    """Call status: a final one closes the live call (if here) and completes its record once."""
    call_sid = form.get("CallSid", "")
    call_status = form.get("CallStatus", "")
    if call_status in FINAL_STATUSES:
        service.live.end(call_sid)
        duration = form.get("CallDuration")
        found = await service.store.finish(
            call_sid,
            call_status,
            int(duration) if duration and duration.isdigit() else None,
            service.now(),
        )
        if not found:
            logger.warning("status for an unknown call", extra={"call_sid": call_sid})
    return Response(status_code=204)
