"""Continuing-education credit: accreditation (statements, designations, breaks, disclosures),
assessments, and the immutable claim and certificate records.

Revision ID: b9ad2d5d21bd
Revises: 40df32b9eadd
Create Date: 2026-12-06 13:54:43.934422
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import courses.models.types

revision: str = 'b9ad2d5d21bd'
down_revision: str | None = '40df32b9eadd'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('provider_statements',
    sa.Column('credit_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_provider_statements_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('credit_type', name=op.f('pk_provider_statements'))
    )
    op.create_table('activity_breaks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('starts_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_breaks_activity_id_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_breaks'))
    )
    with op.batch_alter_table('activity_breaks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_breaks_activity_id'), ['activity_id'], unique=False)

    op.create_table('assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('pass_percent', sa.Integer(), nullable=True),
    sa.Column('max_attempts', sa.Integer(), nullable=True),
    sa.Column('shuffle', sa.Boolean(), nullable=False),
    sa.Column('created_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_assessments_activity_id_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('activity_id', 'kind', name='uq_assessments_activity_id_kind')
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_activity_id'), ['activity_id'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('learner_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('activity_title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('course_title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('activity_format', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('activity_dates', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('credits_json', sa.Text(), nullable=False),
    sa.Column('statements_json', sa.Text(), nullable=False),
    sa.Column('provider_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('issued_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_certificates_activity_id_activities'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_certificates_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supersedes_id'], ['certificates.id'], name=op.f('fk_certificates_supersedes_id_certificates'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_certificates_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_certificates_supersedes_id'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_user_id'), ['user_id'], unique=False)

    op.create_table('credit_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('credit_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('credits', courses.models.types.DecimalText(length=24), nullable=False),
    sa.Column('ceus', courses.models.types.DecimalText(length=24), nullable=True),
    sa.Column('earned', courses.models.types.DecimalText(length=24), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('claimed_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_credit_claims_activity_id_activities'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_credit_claims_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supersedes_id'], ['credit_claims.id'], name=op.f('fk_credit_claims_supersedes_id_credit_claims'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_credit_claims_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_claims')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_credit_claims_supersedes_id'))
    )
    with op.batch_alter_table('credit_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_claims_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_claims_user_id'), ['user_id'], unique=False)

    op.create_table('credit_designations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('credit_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('maximum', courses.models.types.DecimalText(length=24), nullable=False),
    sa.Column('full_attendance', sa.Boolean(), nullable=True),
    sa.Column('tolerance_minutes', sa.Integer(), nullable=False),
    sa.Column('uan', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('created_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_credit_designations_activity_id_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_designations')),
    sa.UniqueConstraint('activity_id', 'credit_type', name='uq_credit_designations_activity_id_credit_type')
    )
    with op.batch_alter_table('credit_designations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_designations_activity_id'), ['activity_id'], unique=False)

    op.create_table('disclosures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('relationships', sa.Text(), nullable=False),
    sa.Column('mitigation', sa.Text(), nullable=False),
    sa.Column('created_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_disclosures_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_disclosures_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosures'))
    )
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosures_activity_id'), ['activity_id'], unique=False)

    op.create_table('assessment_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('order_json', sa.Text(), nullable=False),
    sa.Column('answers_json', sa.Text(), nullable=False),
    sa.Column('score_percent', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('started_at', courses.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', courses.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_attempts_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assessment_attempts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_attempts')),
    sa.UniqueConstraint('assessment_id', 'user_id', 'number', name='uq_assessment_attempts_assessment_id_user_id_number')
    )
    with op.batch_alter_table('assessment_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_attempts_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_attempts_user_id'), ['user_id'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('options_json', sa.Text(), nullable=False),
    sa.Column('correct_index', sa.Integer(), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_questions_assessment_id_assessments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_assessment_id'), ['assessment_id'], unique=False)

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live_started_at', courses.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('live_ended_at', courses.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=200), server_default=sa.text("''"), nullable=False))
        batch_op.add_column(sa.Column('commercial_support', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('commercial_supporters', sa.Text(), server_default=sa.text("''"), nullable=False))
        batch_op.add_column(sa.Column('competencies', sqlmodel.sql.sqltypes.AutoString(length=500), server_default=sa.text("''"), nullable=False))
        batch_op.add_column(sa.Column('credit_threshold_percent', sa.Integer(), nullable=True))

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accme_provider_id', sqlmodel.sql.sqltypes.AutoString(length=20), server_default=sa.text("''"), nullable=False))
        batch_op.add_column(sa.Column('acpe_provider_number', sqlmodel.sql.sqltypes.AutoString(length=4), server_default=sa.text("''"), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('acpe_provider_number')
        batch_op.drop_column('accme_provider_id')

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('credit_threshold_percent')
        batch_op.drop_column('competencies')
        batch_op.drop_column('commercial_supporters')
        batch_op.drop_column('commercial_support')
        batch_op.drop_column('location')
        batch_op.drop_column('live_ended_at')
        batch_op.drop_column('live_started_at')

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_assessment_id'))

    op.drop_table('questions')
    with op.batch_alter_table('assessment_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_attempts_user_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_attempts_assessment_id'))

    op.drop_table('assessment_attempts')
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosures_activity_id'))

    op.drop_table('disclosures')
    with op.batch_alter_table('credit_designations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_designations_activity_id'))

    op.drop_table('credit_designations')
    with op.batch_alter_table('credit_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_claims_user_id'))
        batch_op.drop_index(batch_op.f('ix_credit_claims_activity_id'))

    op.drop_table('credit_claims')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_user_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_code'))
        batch_op.drop_index(batch_op.f('ix_certificates_activity_id'))

    op.drop_table('certificates')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_activity_id'))

    op.drop_table('assessments')
    with op.batch_alter_table('activity_breaks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_breaks_activity_id'))

    op.drop_table('activity_breaks')
    op.drop_table('provider_statements')
