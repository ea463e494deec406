"""indicator_month and indicator_count: closed months' indicators, counted once (records/snapshots.py).

Revision ID: m19_indicator_months
Revises: h18b_file_chunks
"""
from alembic import op
import sqlalchemy as sa

revision = 'm19_indicator_months'
down_revision = 'h18b_file_chunks'
branch_labels = None
depends_on = None

def upgrade():
    op.create_table('indicator_month',
                    sa.Column('month', sa.String(length=7), nullable=False),
                    sa.Column('settings', sa.String(length=40), nullable=False),
                    sa.Column('written_at', sa.DateTime(), nullable=False),
                    sa.Column('hazards', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('month', name=op.f('pk_indicator_month')))
    op.create_table('indicator_count',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('month', sa.String(length=7), nullable=False),
                    sa.Column('kind', sa.String(length=12), nullable=False),
                    sa.Column('branch_id', sa.Integer(), nullable=True),
                    sa.Column('team_id', sa.Integer(), nullable=True),
                    sa.Column('klass', sa.String(length=20), nullable=True),
                    sa.Column('industry', sa.String(length=80), nullable=True),
                    sa.Column('severity', sa.String(length=12), nullable=True),
                    sa.Column('discovered', sa.Integer(), nullable=False),
                    sa.Column('filed', sa.Integer(), nullable=False),
                    sa.Column('unfiled', sa.Integer(), nullable=False),
                    sa.Column('to_eliminate', sa.Integer(), nullable=False),
                    sa.Column('open_at_start', sa.Integer(), nullable=False),
                    sa.Column('closed', sa.Integer(), nullable=False),
                    sa.Column('discovered_closed', sa.Integer(), nullable=False),
                    sa.Column('open_at_end', sa.Integer(), nullable=False),
                    sa.Column('monitored', sa.Integer(), nullable=False),
                    sa.Column('unmonitored', sa.Integer(), nullable=False),
                    sa.Column('overdue_at_end', sa.Integer(), nullable=False),
                    sa.Column('notified', sa.Integer(), nullable=False),
                    sa.Column('signed', sa.Integer(), nullable=False),
                    sa.Column('notified_in_time', sa.Integer(), nullable=False),
                    sa.Column('closed_on_time', sa.Integer(), nullable=False),
                    sa.Column('went_overdue', sa.Integer(), nullable=False),
                    sa.Column('supervised_in_time', sa.Integer(), nullable=False),
                    sa.Column('acceptance_due', sa.Integer(), nullable=False),
                    sa.Column('accepted_in_time', sa.Integer(), nullable=False),
                    sa.Column('reported', sa.Integer(), nullable=False),
                    sa.Column('major_discovered', sa.Integer(), nullable=False),
                    sa.Column('major_reported', sa.Integer(), nullable=False),
                    sa.Column('periodic_due', sa.Integer(), nullable=False),
                    sa.Column('periodic_on_time', sa.Integer(), nullable=False),
                    sa.Column('periodic_late', sa.Integer(), nullable=False),
                    sa.Column('tasks_due', sa.Integer(), nullable=False),
                    sa.Column('tasks_on_time', sa.Integer(), nullable=False),
                    sa.Column('completed', sa.Integer(), nullable=False),
                    sa.Column('grade_a', sa.Integer(), nullable=False),
                    sa.Column('grade_b', sa.Integer(), nullable=False),
                    sa.Column('grade_c', sa.Integer(), nullable=False),
                    sa.Column('grade_none', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_count')))
    op.create_index('ix_indicator_count_month', 'indicator_count', ['month', 'kind'])

def downgrade():
    op.drop_index('ix_indicator_count_month', table_name='indicator_count')
    op.drop_table('indicator_count')
    op.drop_table('indicator_month')
