"""The FastAPI application: health, and a read-only view of the demo clinic's free slots."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from diary import Diary, DiaryError, InvalidRequest, NotFound, SlotUnavailable
from diary.db import write_session
from diary.localtime import zone
from diary.seed import DEMO_CLINIC_NAME, ensure_demo_clinic, sydney_today
from receptionist import admin
from receptionist.calls import CallStore
from receptionist.settings import Settings
from receptionist.telephony import media, relay, webhooks
from receptionist.telephony.clinics import ClinicDirectory
from receptionist.telephony.control import TwilioControl
from receptionist.telephony.ledger import DatabaseLedger, Ledger, RedisLedger
from receptionist.telephony.service import Telephony

logger = logging.getLogger(__name__)


def get_diary(request: Request) -> Diary:
    """The diary opened at start-up."""
    diary: Diary = request.app.state.diary
    return diary


DiaryDep = Annotated[Diary, Depends(get_diary)]


class SlotView(BaseModel):
    """A free slot as the demo view shows it, in the location's local time."""

    practitioner: str
    location: str
    starts_at: datetime
    ends_at: datetime


class AppointmentTypeSlots(BaseModel):
    """One appointment type and its next free slots."""

    appointment_type_id: int
    appointment_type: str
    duration_minutes: int
    bookable_by_phone: bool
    slots: list[SlotView]


class ClinicSlots(BaseModel):
    """The demo clinic's next free slots, per appointment type."""

    clinic: str
    timezone: str
    appointment_types: list[AppointmentTypeSlots]


def build_ledger(settings: Settings, diary: Diary) -> Ledger:
    """What every worker shares: Redis when configured, else the service's database."""
    if settings.redis_url:
        return RedisLedger.from_url(settings.redis_url)
    return DatabaseLedger(diary.engine)


def build_telephony(settings: Settings, diary: Diary) -> Telephony:
    """The telephony layer's shared state: clinics, the call record, Twilio's REST API."""
    store = CallStore(diary.engine)
    store.create_tables()  # the ledger's table too (its migration is the call record's)
    control = None
    if settings.twilio_account_sid and settings.twilio_auth_token:
        control = TwilioControl(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            api_base_url=settings.twilio_api_base_url,
        )
    ledger = build_ledger(settings, diary)
    directory = ClinicDirectory(settings, diary, now=diary.clock.now, ledger=ledger)
    return Telephony(settings, directory, store, control, ledger, now=diary.clock.now)


def announce_development_token(settings: Settings) -> None:
    """Say once, at start, that webhooks are signed with a random token, and how to call in.

    Only in development without TWILIO_AUTH_TOKEN; the token is printed because it is made
    for this run alone and `receptionist call` (another process) needs it to sign.
    """
    if settings.environment != "development" or not settings.random_auth_token:
        return
    logger.warning(
        "TWILIO_AUTH_TOKEN is unset: webhooks are signed with a random development token for"
        " this run only. To phone in: receptionist call --auth-token %s"
        " (or set TWILIO_AUTH_TOKEN for both)",
        settings.webhook_auth_token,
    )


def create_app(settings: Settings | None = None, diary: Diary | None = None) -> FastAPI:
    """Build the app; opens (and migrates, and seeds) the diary at start-up unless given one."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = diary is None
        app.state.diary = diary or Diary.open(settings.database_url)
        app.state.settings = settings
        if settings.seed_demo:
            with write_session(app.state.diary.engine) as session:
                ensure_demo_clinic(session, sydney_today(app.state.diary.clock.now()))
        app.state.telephony = build_telephony(settings, app.state.diary)
        announce_development_token(settings)
        try:
            yield
        finally:
            await app.state.telephony.aclose()
            await app.state.telephony.ledger.aclose()
            if opened:
                app.state.diary.close()

    docs = settings.docs_enabled
    app = FastAPI(
        title="Clinic receptionist",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.include_router(webhooks.router)
    app.include_router(relay.router)
    app.include_router(media.router)
    app.include_router(admin.router)

    @app.exception_handler(DiaryError)
    async def diary_error(_request: Request, exc: DiaryError) -> JSONResponse:
        status = 400
        if isinstance(exc, NotFound):
            status = 404
        elif isinstance(exc, SlotUnavailable):
            status = 409
        elif isinstance(exc, InvalidRequest):
            status = 422
        return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=status)

    @app.get("/healthz")
    def healthz(diary: DiaryDep) -> dict[str, str]:
        with diary.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "database": diary.engine.dialect.name}

    @app.get(
        "/demo/slots",
        responses={404: {"description": "No such clinic or appointment type in the diary."}},
    )
    def demo_slots(
        diary: DiaryDep,
        count: Annotated[int, Query(ge=1, le=20)] = 5,
        appointment_type_id: int | None = None,
    ) -> ClinicSlots:
        clinic = next((c for c in diary.clinics() if c.name == DEMO_CLINIC_NAME), None)
        if clinic is None:
            raise NotFound("clinic", DEMO_CLINIC_NAME)
        names = {p.id: p.display_name for p in diary.practitioners(clinic.id)}
        places = {loc.id: (loc.name, zone(loc.timezone)) for loc in diary.locations(clinic.id)}
        types = diary.appointment_types(clinic.id)
        if appointment_type_id is not None:
            types = [t for t in types if t.id == appointment_type_id]
            if not types:
                raise NotFound("appointment type", appointment_type_id)
        out = []
        for appt_type in types:
            slots = diary.first_slots(clinic.id, appt_type.id, count)
            out.append(
                AppointmentTypeSlots(
                    appointment_type_id=appt_type.id,
                    appointment_type=appt_type.name,
                    duration_minutes=appt_type.duration_minutes,
                    bookable_by_phone=appt_type.bookable_by_phone,
                    slots=[
                        SlotView(
                            practitioner=names[s.practitioner_id],
                            location=places[s.location_id][0],
                            starts_at=s.starts_at.astimezone(places[s.location_id][1]),
                            ends_at=s.ends_at.astimezone(places[s.location_id][1]),
                        )
                        for s in slots
                    ],
                )
            )
        return ClinicSlots(clinic=clinic.name, timezone=clinic.timezone, appointment_types=out)

    return app
