"""The call record: saved as the call goes, readable afterwards, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, MetaData

from receptionist.agent.engines.guided import GuidedEngine
from receptionist.agent.runtime import start_call
from receptionist.agent.session import CallSession, Outcome
from receptionist.agent.toolbox import Clinic
from receptionist.calls import CallStore

pytestmark = pytest.mark.anyio


async def test_a_call_is_recorded_turn_by_turn(engine: Engine, clinic: Clinic) -> None:
    clinic.key = f"recorded-{uuid.uuid4().hex}"  # PostgreSQL is shared between tests
    store = CallStore(engine)
    store.create_tables()
    store.create_tables()  # idempotent
    conversation = start_call(clinic, GuidedEngine(), caller_number="+61400555669", save=store.save)
    await conversation.greet()
    saved = store.get(conversation.session.id)
    assert saved is not None and saved["outcome"] == "abandoned"
    for text in ["I'd like to leave a message", "Sam Jones", "Please call me back"]:
        async for _ in conversation.reply(text):
            pass
    assert await conversation.close() is Outcome.MESSAGE

    record = store.get(conversation.session.id)
    assert record is not None
    assert record["outcome"] == "message" and record["ended_at"] is not None
    assert record["caller_number"] == "+61400555669"
    assert [t["role"] for t in record["transcript"]][:3] == ["agent", "caller", "agent"]
    assert record["tool_calls"][0]["name"] == "take_message"
    assert record["tool_calls"][0]["arguments"]["message"] == "Please call me back"
    assert all(t["latency_ms"] is not None for t in record["transcript"][2::2])

    recent = store.recent(clinic=clinic.key)
    assert recent[0]["id"] == conversation.session.id and recent[0]["outcome"] == "message"
    assert "transcript" not in recent[0]
    messages = store.messages(clinic=clinic.key)
    assert [m["text"] for m in messages] == ["Please call me back"]
    assert messages[0]["callback_number"] == "+61400555669"


async def test_saving_again_replaces_the_record(engine: Engine) -> None:
    store = CallStore(engine)
    store.create_tables()
    session = CallSession(clinic=f"replace-{uuid.uuid4().hex}", caller_number=None)
    await store.save(session)
    session.add_turn("caller", "hello")
    session.close()
    await store.save(session)
    await store.save(session)
    assert len(store.recent(clinic=session.clinic)) == 1
    record = store.get(session.id)
    assert record is not None and len(record["transcript"]) == 1
    assert store.get("no-such-call") is None


async def test_a_failing_store_does_not_drop_the_call(clinic: Clinic) -> None:
    async def broken(session: CallSession) -> None:
        raise RuntimeError("database gone")

    conversation = start_call(clinic, GuidedEngine(), save=broken)
    await conversation.greet()
    reply = "".join([p async for p in conversation.reply("What are your hours on Saturday?")])
    assert "8 am" in reply


def test_call_record_migrations_match_the_models_and_repeat_safely(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from receptionist import migrate
    from receptionist.calls import metadata
    from receptionist.telephony.ledger import metadata as ledger_metadata

    store = CallStore(engine)
    store.create_tables()
    store.create_tables()
    assert migrate.current_revision(engine) == "r0002"
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": migrate.owns, "version_table": migrate.VERSION_TABLE}
        )
        both = MetaData()
        for table in (*metadata.tables.values(), *ledger_metadata.tables.values()):
            table.to_metadata(both)
        assert compare_metadata(context, both) == []
