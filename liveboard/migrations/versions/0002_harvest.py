"""harvest: note curation and themes, support, the attendance log, note-taker keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:50:45
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("pitch_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("action IN ('join', 'leave')", name="attendance_action"),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["pitch_id"], ["pitch.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index("attendance_event_at", ["event_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_session_id"), ["session_id"], unique=False)

    op.create_table(
        "note_theme",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["note.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("note_id", "theme"),
    )
    op.create_table(
        "support",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["note.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("note_id", "participant_id"),
    )
    with op.batch_alter_table("support", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_participant_id"), ["participant_id"], unique=False)

    with op.batch_alter_table("note", schema=None) as batch_op:
        # Server defaults fill the notes already taken.
        batch_op.add_column(
            sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=8), server_default="phone", nullable=False)
        )
        batch_op.add_column(sa.Column("highlighted", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key("note_merged_into", "note", ["merged_into_id"], ["id"], ondelete="SET NULL")
        batch_op.create_check_constraint("note_source", "source IN ('phone', 'taker', 'host')")
        batch_op.create_check_constraint(
            "note_not_merged_into_itself", "merged_into_id IS NULL OR merged_into_id <> id"
        )

    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_unique_constraint("session_note_key_unique", ["note_key"])


def downgrade() -> None:
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.drop_constraint("session_note_key_unique", type_="unique")
        batch_op.drop_column("note_key")

    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.drop_constraint("note_not_merged_into_itself", type_="check")
        batch_op.drop_constraint("note_source", type_="check")
        batch_op.drop_constraint("note_merged_into", type_="foreignkey")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("highlighted")
        batch_op.drop_column("source")

    with op.batch_alter_table("support", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_participant_id"))
    op.drop_table("support")
    op.drop_table("note_theme")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_session_id"))
        batch_op.drop_index("attendance_event_at")
    op.drop_table("attendance")
