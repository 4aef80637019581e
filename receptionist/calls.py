"""The call record: every call's session saved so staff can read it afterwards.

Two tables beside the diary's, in the same database: `calls` (one row per call, the transcript
and tool trace as JSON) and `call_messages` (messages taken for staff). They have their own
Alembic migrations (`receptionist/migrations`, version table `receptionist_alembic_version`),
applied at start-up and by `receptionist db upgrade`, so a PMS other than the diary still gets
a call record.
Saving runs in a worker thread: the event loop never waits on the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio
from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from diary.db import writing
from diary.models import UTCDateTime
from receptionist.agent.session import CallSession

metadata = MetaData()

calls = Table(
    "calls",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("clinic", String(100), nullable=False, index=True),
    Column("caller_number", String(32)),
    Column("mode", String(20), nullable=False),
    Column("engines", String(100), nullable=False, default=""),
    Column("started_at", UTCDateTime(), nullable=False, index=True),
    Column("ended_at", UTCDateTime()),
    Column("outcome", String(20), nullable=False),
    Column("patient_id", String(64)),
    Column("status", String(20)),
    Column("duration_s", Integer),
    Column("record", JSON, nullable=False),
)

call_messages = Table(
    "call_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(64), nullable=False, index=True),
    Column("clinic", String(100), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("caller_name", String(200), nullable=False),
    Column("callback_number", String(32)),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("recording_url", String(500)),
)


class CallStore:
    """Saves and reads call records."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writing(engine)

    def create_tables(self) -> None:
        """Apply the call record's migrations (idempotent; safe with several workers)."""
        from receptionist.migrate import upgrade

        upgrade(self._engine)

    async def save(self, session: CallSession) -> None:
        """Insert or replace the session's record (safe to call after every turn)."""
        record = session.summary()
        await anyio.to_thread.run_sync(self._save, session, record)

    def _save(self, session: CallSession, record: dict[str, Any]) -> None:
        row = {
            "id": session.id,
            "clinic": session.clinic,
            "caller_number": session.caller_number,
            "mode": session.mode,
            "engines": ",".join(session.engines),
            "started_at": session.started_at,
            "ended_at": session.ended_at,
            "outcome": record["outcome"],
            "patient_id": record["patient_id"],
            "status": session.status,
            "duration_s": session.duration_s,
            "record": record,
        }
        with self._writer.begin() as db:
            known = db.execute(
                select(calls.c.status, calls.c.duration_s, calls.c.ended_at).where(
                    calls.c.id == session.id
                )
            ).first()
            if known is not None and session.status is None and known[0] is not None:
                # The provider's final status arrived first: keep it, and the call's end.
                row["status"], row["duration_s"] = known[0], known[1]
                row["ended_at"] = row["ended_at"] or known[2]
                record["status"], record["duration_s"] = known[0], known[1]
            db.execute(delete(calls).where(calls.c.id == session.id))
            db.execute(insert(calls).values(**row))
            db.execute(
                delete(call_messages).where(
                    call_messages.c.call_id == session.id, call_messages.c.recording_url.is_(None)
                )
            )
            for seq, message in enumerate(session.messages):
                db.execute(
                    insert(call_messages).values(
                        call_id=session.id,
                        clinic=session.clinic,
                        seq=seq,
                        caller_name=message.caller_name,
                        callback_number=message.callback_number,
                        text=message.text,
                        at=message.at,
                    )
                )

    async def finish(self, call_id: str, status: str, duration_s: int | None, at: datetime) -> bool:
        """The provider says the call is over: complete its record once (replays change
        nothing). The outcome stays what the call's last saved state made it, so a caller
        who hung up mid-booking is `abandoned`. False when there is no such call."""
        return await anyio.to_thread.run_sync(self._finish, call_id, status, duration_s, at)

    def _finish(self, call_id: str, status: str, duration_s: int | None, at: datetime) -> bool:
        with self._writer.begin() as db:
            row = db.execute(
                select(calls.c.record, calls.c.ended_at).where(calls.c.id == call_id)
            ).first()
            if row is None:
                return False
            record, ended_at = dict(row[0]), row[1]
            if ended_at is not None and record.get("status") == status:
                return True
            record["status"] = status
            record["duration_s"] = duration_s
            record["ended_at"] = record.get("ended_at") or at.isoformat()
            db.execute(
                update(calls)
                .where(calls.c.id == call_id)
                .values(
                    ended_at=ended_at or at,
                    status=status,
                    duration_s=duration_s,
                    outcome=record["outcome"],
                    record=record,
                )
            )
        return True

    async def add_recording(self, call_id: str, url: str, at: datetime) -> bool:
        """A voicemail left on the call: kept with the call's messages for staff."""
        return await anyio.to_thread.run_sync(self._add_recording, call_id, url, at)

    def _add_recording(self, call_id: str, url: str, at: datetime) -> bool:
        with self._writer.begin() as db:
            row = db.execute(
                select(calls.c.clinic, calls.c.caller_number).where(calls.c.id == call_id)
            ).first()
            if row is None:
                return False
            exists = db.execute(
                select(call_messages.c.id).where(
                    call_messages.c.call_id == call_id, call_messages.c.recording_url == url
                )
            ).first()
            if exists is None:
                db.execute(
                    insert(call_messages).values(
                        call_id=call_id,
                        clinic=row[0],
                        seq=1000,
                        caller_name="(voicemail)",
                        callback_number=row[1],
                        text="Voicemail recording",
                        at=at,
                        recording_url=url,
                    )
                )
        return True

    async def fetch(self, call_id: str) -> dict[str, Any] | None:
        """`get`, from a worker thread (for use on the event loop)."""
        return await anyio.to_thread.run_sync(self.get, call_id)

    def get(self, call_id: str) -> dict[str, Any] | None:
        with self._engine.connect() as db:
            record = db.execute(select(calls.c.record).where(calls.c.id == call_id)).scalar()
        return dict(record) if record is not None else None

    def recent(self, limit: int = 20, clinic: str | None = None) -> list[dict[str, Any]]:
        """Newest first: id, clinic, caller, start, end, outcome (no transcript)."""
        query = select(
            calls.c.id,
            calls.c.clinic,
            calls.c.caller_number,
            calls.c.mode,
            calls.c.engines,
            calls.c.started_at,
            calls.c.ended_at,
            calls.c.outcome,
            calls.c.status,
        ).order_by(calls.c.started_at.desc())
        if clinic is not None:
            query = query.where(calls.c.clinic == clinic)
        with self._engine.connect() as db:
            rows = db.execute(query.limit(limit)).mappings().all()
        return [
            {
                key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in row.items()
            }
            for row in rows
        ]

    def messages(self, clinic: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Messages taken for staff, newest first."""
        query = select(call_messages).order_by(call_messages.c.at.desc()).limit(limit)
        if clinic is not None:
            query = query.where(call_messages.c.clinic == clinic)
        with self._engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return [
            {
                key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in row.items()
            }
            for row in rows
        ]
