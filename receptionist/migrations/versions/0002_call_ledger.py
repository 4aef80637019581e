"""The ledger: single-use call tokens, answered webhooks and counters every worker shares
(used when Redis is not configured; see receptionist/telephony/ledger.py).

Revision ID: r0002
Revises: r0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r0002"
down_revision: str | None = "r0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_ledger",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text()),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_call_ledger_expires_at", "call_ledger", ["expires_at"])


def downgrade() -> None:
    op.drop_table("call_ledger")
