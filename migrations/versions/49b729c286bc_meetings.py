"""Meetings: scheduled meetings (with recurrence) and their invitees, users or guests.

Revision ID: 49b729c286bc
Revises: 12c1dfacf17e
Create Date: 2026-12-06 15:02:31.399294
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import courses.models.types

revision: str = "49b729c286bc"
down_revision: str | None = "12c1dfacf17e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=120), nullable=False),
        sa.Column("organizer_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("starts_at", courses.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", courses.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recurrence", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recurrence_count", sa.Integer(), nullable=True),
        sa.Column("recurrence_until", sa.Date(), nullable=True),
        sa.Column("sequence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("cancelled_at", courses.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", courses.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", courses.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organizer_id"], ["users.id"], name=op.f("fk_meetings_organizer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("uid", name=op.f("uq_meetings_uid")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meetings_organizer_id"), ["organizer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meetings_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "meeting_invitees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("guest_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", courses.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (email IS NULL)", name=op.f("ck_meeting_invitees_user_or_guest")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_invitees_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_meeting_invitees_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_invitees")),
        sa.UniqueConstraint("guest_token_hash", name=op.f("uq_meeting_invitees_guest_token_hash")),
        sa.UniqueConstraint("meeting_id", "email", name="uq_meeting_invitees_meeting_id_email"),
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_invitees_meeting_id_user_id"),
    )
    with op.batch_alter_table("meeting_invitees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_invitees_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meeting_invitees_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meeting_invitees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_invitees_user_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_invitees_meeting_id"))

    op.drop_table("meeting_invitees")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_starts_at"))
        batch_op.drop_index(batch_op.f("ix_meetings_organizer_id"))

    op.drop_table("meetings")
