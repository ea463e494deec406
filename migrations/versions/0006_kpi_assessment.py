"""KPI indexes, team performance assessments

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-28 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assessment_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('started_by', sa.String(length=60), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=True),
    sa.Column('published_by', sa.String(length=60), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_run')),
    sa.UniqueConstraint('period', name=op.f('uq_assessment_run_period'))
    )
    with op.batch_alter_table('assessment_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_run_instance_id'), ['instance_id'], unique=False)

    op.create_table('team_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('team_code', sa.String(length=40), nullable=False),
    sa.Column('team_name', sa.String(length=100), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('computed_score', sa.Float(), nullable=True),
    sa.Column('leader_score', sa.Float(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['assessment_run.id'], name=op.f('fk_team_score_run_id_assessment_run'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_score_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_score')),
    sa.UniqueConstraint('run_id', 'team_id', name=op.f('uq_team_score_run_id'))
    )
    with op.batch_alter_table('team_score', schema=None) as batch_op:
        batch_op.create_index('ix_team_score_team', ['team_id', 'run_id'], unique=False)

    # the indicator queries (records/kpi.py)
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_closed', ['closed_at'], unique=False)
    with op.batch_alter_table('hazard_event', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_event_kind', ['hazard_id', 'kind', 'at'], unique=False)
        batch_op.create_index('ix_hazard_event_at', ['hazard_id', 'at'], unique=False)
        batch_op.create_index('ix_hazard_event_kind_at', ['kind', 'at', 'hazard_id'], unique=False)
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index('ix_document_hazard_kind', ['hazard_id', 'kind', 'created_at'], unique=False)
    with op.batch_alter_table('customer_grade', schema=None) as batch_op:
        batch_op.create_index('ix_customer_grade_history', ['customer_id', 'computed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('customer_grade', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_grade_history')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_hazard_kind')
    with op.batch_alter_table('hazard_event', schema=None) as batch_op:
        batch_op.drop_index('ix_hazard_event_kind_at')
        batch_op.drop_index('ix_hazard_event_at')
        batch_op.drop_index('ix_hazard_event_kind')
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.drop_index('ix_hazard_closed')
    with op.batch_alter_table('team_score', schema=None) as batch_op:
        batch_op.drop_index('ix_team_score_team')
    op.drop_table('team_score')
    with op.batch_alter_table('assessment_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_run_instance_id'))
    op.drop_table('assessment_run')
