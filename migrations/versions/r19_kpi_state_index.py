"""The indicators' index over the hazards a period concerns: closed_at first (the open ones, and those
closed since the period's start), then the columns their sets read, so that a count reads the index
instead of the table (records/kpi.py). It replaces the index on closed_at alone, its prefix.

Revision ID: r19_kpi_state_index
Revises: r19_render_jobs
"""
from alembic import op

revision = 'r19_kpi_state_index'
down_revision = 'r19_render_jobs'
branch_labels = None
depends_on = None

COLUMNS = ['closed_at', 'opened_at', 'cancelled_at', 'status', 'deadline', 'notified_at', 'customer_id', 'severity',
           'team_id', 'branch_id']


def upgrade():
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_kpi_state', COLUMNS, unique=False)
        batch_op.drop_index('ix_hazard_closed')


def downgrade():
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_closed', ['closed_at'], unique=False)
        batch_op.drop_index('ix_hazard_kpi_state')
