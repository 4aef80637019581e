"""The database's own proof that no practitioner is ever double-booked.

PostgreSQL: a btree_gist exclusion constraint over (practitioner, blocked range) for every
appointment that is not cancelled. Half-open ranges let back-to-back bookings coexist; the
blocked range includes both buffers, so buffers never overlap either. A violation is SQLSTATE
23P01, which the diary maps to SlotUnavailable.

SQLite has no exclusion constraints; triggers raise on an overlapping insert or update, and the
diary's `BEGIN IMMEDIATE` serialises writers so the check-then-write cannot race. The trigger's
lower bound (a blocked range is at most 12 hours, a check constraint on appointment types) keeps
its index scan to one day of the practitioner's diary however much history there is.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OVERLAP_MESSAGE = "appointment_overlap"

_SQLITE_CHECK = f"""
    SELECT RAISE(ABORT, '{OVERLAP_MESSAGE}')
    WHERE EXISTS (
        SELECT 1 FROM appointments AS other
        WHERE other.practitioner_id = NEW.practitioner_id
          AND other.status <> 'cancelled'
          AND other.id IS NOT NEW.id
          AND other.blocked_from < NEW.blocked_until
          AND other.blocked_from >= datetime(NEW.blocked_from, '-12 hours')
          AND other.blocked_until > NEW.blocked_from
    );
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap "
            "EXCLUDE USING gist (practitioner_id WITH =, "
            "tstzrange(blocked_from, blocked_until, '[)') WITH &&) "
            "WHERE (status <> 'cancelled')"
        )
        return
    op.execute(
        "CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments "
        f"WHEN NEW.status <> 'cancelled' BEGIN {_SQLITE_CHECK} END"
    )
    op.execute(
        "CREATE TRIGGER appointments_no_overlap_update BEFORE UPDATE OF "
        "practitioner_id, blocked_from, blocked_until, status ON appointments "
        f"WHEN NEW.status <> 'cancelled' BEGIN {_SQLITE_CHECK} END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap")
        return
    op.execute("DROP TRIGGER appointments_no_overlap_insert")
    op.execute("DROP TRIGGER appointments_no_overlap_update")
