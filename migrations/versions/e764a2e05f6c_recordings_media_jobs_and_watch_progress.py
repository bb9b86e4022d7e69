"""Recordings, media jobs and watch progress; live sessions may record automatically.

Revision ID: e764a2e05f6c
Revises: 6d41ea65ab83
Create Date: 2026-11-28 10:35:13.233414
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import courses.models.types

revision: str = 'e764a2e05f6c'
down_revision: str | None = '6d41ea65ab83'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('visibility', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('layout', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('raw_path', sa.String(length=300), nullable=False),
    sa.Column('output_path', sa.String(length=300), nullable=False),
    sa.Column('started_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('duration_seconds', sa.Float(), nullable=True),
    sa.Column('chapters_json', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('verified_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('raw_removed_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_activity_id', sa.Integer(), nullable=True),
    sa.Column('published_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_recordings_activity_id_activities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_recordings_course_id_courses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['published_activity_id'], ['activities.id'], name=op.f('fk_recordings_published_activity_id_activities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_recordings_started_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings'))
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_published_activity_id'), ['published_activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_state'), ['state'], unique=False)

    op.create_table('media_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('queue_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('worker', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_media_jobs_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_jobs'))
    )
    with op.batch_alter_table('media_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_jobs_recording_id'), ['recording_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_jobs_state'), ['state'], unique=False)

    op.create_table('recording_participants',
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_recording_participants_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recording_participants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('recording_id', 'user_id', name=op.f('pk_recording_participants'))
    )
    op.create_table('watch_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('intervals_json', sa.Text(), nullable=False),
    sa.Column('watched_seconds', sa.Float(), nullable=False),
    sa.Column('duration_seconds', sa.Float(), nullable=False),
    sa.Column('position_seconds', sa.Float(), nullable=False),
    sa.Column('last_heartbeat_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_watch_progress_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_watch_progress_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_progress')),
    sa.UniqueConstraint('recording_id', 'user_id', name='uq_watch_progress_recording_id_user_id')
    )
    with op.batch_alter_table('watch_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watch_progress_recording_id'), ['recording_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_watch_progress_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_record', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('auto_record')

    with op.batch_alter_table('watch_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watch_progress_user_id'))
        batch_op.drop_index(batch_op.f('ix_watch_progress_recording_id'))

    op.drop_table('watch_progress')
    op.drop_table('recording_participants')
    with op.batch_alter_table('media_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_jobs_state'))
        batch_op.drop_index(batch_op.f('ix_media_jobs_recording_id'))

    op.drop_table('media_jobs')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_state'))
        batch_op.drop_index(batch_op.f('ix_recordings_room_id'))
        batch_op.drop_index(batch_op.f('ix_recordings_published_activity_id'))
        batch_op.drop_index(batch_op.f('ix_recordings_course_id'))
        batch_op.drop_index(batch_op.f('ix_recordings_activity_id'))

    op.drop_table('recordings')
