"""The admin API: recent calls and one call's full record, behind a bearer token."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request

from receptionist.calls import CallStore
from receptionist.settings import Settings

router = APIRouter(
    prefix="/api",
    tags=["admin"],
    responses={
        401: {"description": "The admin token is missing or wrong."},
        404: {"description": "No such record, or the admin API is off (no admin token set)."},
    },
)


def admin(request: Request, authorization: Annotated[str | None, Header()] = None) -> CallStore:
    """The call store, for a request bearing the admin token (constant-time compared)."""
    settings: Settings = request.app.state.settings
    if settings.admin_token is None:
        raise HTTPException(status_code=404, detail="the admin API is off: set the admin token")
    expected = f"Bearer {settings.admin_token.get_secret_value()}"
    if authorization is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(
            status_code=401, detail="admin token required", headers={"WWW-Authenticate": "Bearer"}
        )
    store: CallStore = request.app.state.telephony.store
    return store


AdminDep = Annotated[CallStore, Depends(admin)]


@router.get("/calls")
async def list_calls(
    store: AdminDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    clinic: str | None = None,
) -> list[dict[str, Any]]:
    """Recent calls, newest first (no transcripts)."""
    return await anyio.to_thread.run_sync(lambda: store.recent(limit, clinic))


@router.get("/calls/{call_id}")
async def get_call(call_id: str, store: AdminDep) -> dict[str, Any]:
    """One call's record: transcript, tool calls, outcome, latency, errors."""
    record = await store.fetch(call_id)
    if record is None:
        raise HTTPException(status_code=404, detail="no such call")
    return record


@router.get("/messages")
async def list_messages(
    store: AdminDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    clinic: str | None = None,
) -> list[dict[str, Any]]:
    """Messages taken for staff (and voicemails), newest first."""
    return await anyio.to_thread.run_sync(lambda: store.messages(clinic, limit))
