"""a series member's last visit, so the retention purge can forget members who stopped coming

Revision ID: 0007_retention
Revises: 0006_blocked
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_retention"
down_revision = "0006_blocked"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # Members from before count as last seen when they came: the clock starts from what is known.
    op.execute("UPDATE member SET last_seen_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
