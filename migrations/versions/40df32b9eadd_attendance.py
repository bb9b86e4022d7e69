"""Attendance of live sessions: one span per media connection, and admins' corrections.

Revision ID: 40df32b9eadd
Revises: e764a2e05f6c
Create Date: 2026-11-28 12:05:40.416974
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import courses.models.types

revision: str = '40df32b9eadd'
down_revision: str | None = 'e764a2e05f6c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attendance_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('starts_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_attendance_adjustments_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_attendance_adjustments_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attendance_adjustments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_adjustments'))
    )
    with op.batch_alter_table('attendance_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_adjustments_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_adjustments_user_id'), ['user_id'], unique=False)

    op.create_table('attendance_spans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=100), nullable=False),
    sa.Column('room_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('joined_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('left_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('leave_reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_attendance_spans_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attendance_spans_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_spans')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_attendance_spans_participant_id'))
    )
    with op.batch_alter_table('attendance_spans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_spans_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_spans_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attendance_spans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_spans_user_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_spans_activity_id'))

    op.drop_table('attendance_spans')
    with op.batch_alter_table('attendance_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_adjustments_user_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_adjustments_activity_id'))

    op.drop_table('attendance_adjustments')
