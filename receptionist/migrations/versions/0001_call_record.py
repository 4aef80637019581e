"""The call record: calls and the messages taken for staff.

Revision ID: r0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from diary.models import UTCDateTime

revision: str = "r0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("clinic", sa.String(100), nullable=False),
        sa.Column("caller_number", sa.String(32)),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("engines", sa.String(100), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime()),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("patient_id", sa.String(64)),
        sa.Column("status", sa.String(20)),
        sa.Column("duration_s", sa.Integer()),
        sa.Column("record", sa.JSON(), nullable=False),
    )
    op.create_index("ix_calls_clinic", "calls", ["clinic"])
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.create_table(
        "call_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("clinic", sa.String(100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("caller_name", sa.String(200), nullable=False),
        sa.Column("callback_number", sa.String(32)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("recording_url", sa.String(500)),
    )
    op.create_index("ix_call_messages_call_id", "call_messages", ["call_id"])
    op.create_index("ix_call_messages_clinic", "call_messages", ["clinic"])


def downgrade() -> None:
    op.drop_table("call_messages")
    op.drop_table("calls")
