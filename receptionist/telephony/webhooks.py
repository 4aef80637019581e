"""Twilio's webhooks: the incoming call, its status, the hand-off after the socket, voicemail.

Every request must carry a valid `X-Twilio-Signature`, computed by Twilio over the public URL
it called (the configured `public_base_url`, so it holds behind a proxy). A forged or missing
signature gets 403 and nothing else happens: no session, no record, no clinic opened. Before
that, the body must be what Twilio sends: a form (else 415), no larger than
`max_webhook_bytes` (else 413, read no further), that parses (else 400).

The voice webhook answers a CallSid once: a replay, even a concurrent one, gets the same TwiML
(remembered in the ledger) and makes no second record. A clinic that cannot be opened still
gets its call recorded, and the caller is put through to the clinic or can leave a voicemail.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.datastructures import FormData, UploadFile
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, Dial, VoiceResponse

from receptionist.agent.session import CallSession
from receptionist.telephony import tokens
from receptionist.telephony.clinics import ClinicConfig, ClinicUnavailable, LiveClinic
from receptionist.telephony.ledger import LedgerUnavailable
from receptionist.telephony.service import Telephony, caller_e164

logger = logging.getLogger(__name__)

# Twilio's callbacks, not our API: signed form posts in Twilio's protocol, left out of the OpenAPI.
router = APIRouter(prefix="/twilio", tags=["twilio"], include_in_schema=False)

NOT_IN_SERVICE = "Sorry, this number is not set up to take calls right now. Goodbye."
CANNOT_ANSWER = (
    "Sorry, we can't take your call right now. Please call back a little later. Goodbye."
)
DISCONNECTED = "Sorry, we've been disconnected. Please call back if you need anything. Goodbye."
DIARY_UNREACHABLE = "Sorry, I can't reach the clinic's diary right now."
NOT_ANSWERING = "Sorry, I can't take your call properly right now."
NO_ONE_FREE = "Sorry, no one could take the call. Please call back later. Goodbye."
LEAVE_A_MESSAGE = "Please leave your message after the tone, then hang up."

FORM_TYPE = "application/x-www-form-urlencoded"
# Twilio's webhooks carry a few dozen fields; far more is not Twilio.
MAX_FORM_FIELDS = 200
# How long a voice webhook's answer is remembered: longer than any call, so a signed request
# replayed later cannot mint a fresh token for a call that exists.
VOICE_REPLAY_TTL_S = 24 * 3600.0
# Stands for the call token in a remembered answer (the ledger never holds a usable token).
TOKEN_MARK = "@@call-token@@"


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
    """The webhook's form fields, once the body is a form Twilio could have sent and the
    signature has been checked. Nothing is parsed beyond what that takes."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise HTTPException(status_code=415, detail=f"expected {FORM_TYPE}")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        logger.warning("webhook refused: missing signature on %s", request.url.path)
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    body = await _bounded_body(request, service.settings.max_webhook_bytes)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError:  # UnicodeDecodeError included
        logger.warning("webhook refused: unparseable form on %s", request.url.path)
        raise HTTPException(status_code=400, detail="unparseable form body") from None
    fields: list[tuple[str, str | UploadFile]] = [(key, value) for key, value in pairs]
    form = FormData(fields)
    validator = RequestValidator(service.settings.webhook_auth_token)
    if not validator.validate(signed_url(request, service), form, signature):
        logger.warning("webhook refused: bad signature on %s", request.url.path)
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    return {key: str(value) for key, value in form.items()}


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The body, read in chunks and given up on (413) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(status_code=413 if declared.isdigit() else 400, detail="body size")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            logger.warning("webhook refused: body over %d bytes on %s", limit, request.url.path)
            raise HTTPException(status_code=413, detail="body too large")
        chunks.append(chunk)
    return b"".join(chunks)


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
    """An incoming call: find the clinic by the number called, record the call, open the
    clinic, answer; a replay of the same CallSid gets the first answer again."""
    call_sid = form.get("CallSid", "")
    if not call_sid.startswith("CA"):
        raise HTTPException(status_code=400, detail="CallSid missing")
    config = service.directory.config_for_number(form.get("To", ""))
    if config is None:
        logger.warning("call to a number no clinic owns", extra={"call_sid": call_sid})
        return say_and_hang_up(NOT_IN_SERVICE)
    log = {"call_sid": call_sid, "clinic": config.key}
    session = CallSession(
        clinic=config.key,
        caller_number=caller_e164(form.get("From")),
        mode=config.mode,
        id=call_sid,
        started_at=service.now(),
    )
    try:
        first = await service.ledger.claim("voice-record:" + call_sid, VOICE_REPLAY_TTL_S)
    except LedgerUnavailable:
        # Without the ledger no socket is let in: the caller still reaches the clinic.
        logger.error("ledger unreachable: answering without the receptionist", extra=log)
        if await service.store.fetch(call_sid) is None:
            session.errors.append("ledger unavailable at answer")
            await service.store.save(session)
        return twiml(unavailable(service, request, config, call_sid, NOT_ANSWERING))
    if first:
        if await service.store.fetch(call_sid) is not None:
            # The ledger has forgotten this call (it outlived VOICE_REPLAY_TTL_S, or the store
            # was emptied): a new token would let a second socket take the call over.
            logger.warning("voice webhook for a call already recorded: refused", extra=log)
            return say_and_hang_up(DISCONNECTED)
        await service.store.save(session)  # before the clinic opens: a failure is recorded too
    try:
        live = await service.directory.open(config)
    except ClinicUnavailable as exc:
        logger.warning("clinic could not be opened (%s)", type(exc).__name__, extra=log)
        if first:
            session.errors.append(f"clinic unavailable at answer: {type(exc).__name__}")
            await service.store.save(session)
        answer, token = str(unavailable(service, request, config, call_sid, DIARY_UNREACHABLE)), ""
    else:
        token = tokens.issue(
            call_sid, config.key, service.token_secret, service.settings.call_token_ttl
        )
        answer = str(connect_call(service, request, config, live, token, form))
    return await _answer_once(service, call_sid, answer, token)


async def _answer_once(service: Telephony, call_sid: str, answer: str, token: str) -> Response:
    """The first answer given for this call: this one, or the one a replay finds stored.

    Stored without its token's MAC (re-made from the claims when replayed), so the ledger
    never holds a token someone could open a socket with."""
    stored_form = (
        tokens.unsealed(token) + "\n" + (answer.replace(token, TOKEN_MARK) if token else answer)
    )
    try:
        found = await service.ledger.put_if_absent(
            "voice-answer:" + call_sid, stored_form, VOICE_REPLAY_TTL_S
        )
    except LedgerUnavailable:
        logger.error(
            "ledger unreachable: voice answer not remembered", extra={"call_sid": call_sid}
        )
        found = None
    if found is not None:
        claims, _, remembered = found.partition("\n")
        answer = remembered.replace(TOKEN_MARK, tokens.seal(claims, service.token_secret))
    return Response(answer, media_type="application/xml")


def connect_call(
    service: Telephony,
    request: Request,
    config: ClinicConfig,
    live: LiveClinic,
    token: str,
    form: dict[str, str],
) -> VoiceResponse:
    """The answer that hands the call to the receptionist's socket, `token` its key."""
    response = VoiceResponse()
    script = live.script
    connect = Connect(action=action_url(service, request, "/twilio/relay-action"))
    if config.mode == "realtime":
        stream = connect.stream(url=websocket_url(service, request, "/twilio/media"))
        stream.parameter(name="token", value=token)
        stream.parameter(name="caller", value=form.get("From", ""))
        response.append(connect)
        return response
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
    return response


def unavailable(
    service: Telephony, request: Request, config: ClinicConfig, call_sid: str, opening: str
) -> VoiceResponse:
    """The receptionist cannot take the call: say so plainly, then put the caller through to
    the clinic if it has a number for that, else take a voicemail for the call's record."""
    response = VoiceResponse()
    response.say(opening)
    if config.transfer_number:
        response.say("I'll put you through to the clinic.")
        put_through(response, service, request, config.transfer_number, call_sid)
    else:
        take_voicemail(response, service, request)
    return response


def put_through(
    response: VoiceResponse, service: Telephony, request: Request, to: str, call_sid: str
) -> None:
    dial = Dial(answer_on_bridge=True, timeout=25)
    whisper = action_url(service, request, f"/twilio/whisper?call={call_sid}")
    dial.number(to, url=whisper)
    response.append(dial)
    response.say(NO_ONE_FREE)


def take_voicemail(response: VoiceResponse, service: Telephony, request: Request) -> None:
    response.say(LEAVE_A_MESSAGE)
    response.record(
        action=action_url(service, request, "/twilio/recording"),
        max_length=120,
        play_beep=True,
        trim="trim-silence",
    )


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
        put_through(response, service, request, str(handoff["to"]), form.get("CallSid", ""))
        return twiml(response)
    if reason == "voicemail":
        take_voicemail(response, service, request)
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
            try:
                live = await service.directory.open(config)
            except ClinicUnavailable:
                live = None
            transfer = live.transfer_number if live else config.transfer_number
            if transfer:
                return {"reason": "transfer", "to": transfer}
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
