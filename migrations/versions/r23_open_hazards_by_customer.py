"""SQLite only: the open hazards by customer (a partial index holding every column the indicator sets read), so
that a grouping by class is counted customer by customer in the class index's order instead of sorting every
open hazard by class (records.kpi._count, records.kpi_conditions.in_written_order): by class over the year to
date at 200,000 hazards (bench/kpi_scale.py), that pass 43 -> 20 ms. PostgreSQL groups them by hash, with the
same plan with or without the index: there it would only cost every hazard's write.

Revision ID: r23_open_hazards_by_customer
Revises: r22_indicator_year_runs
"""
import sqlalchemy as sa
from alembic import op

revision = 'r23_open_hazards_by_customer'
down_revision = 'r22_indicator_year_runs'
branch_labels = None
depends_on = None

COLUMNS = ['customer_id', 'opened_at', 'closed_at', 'cancelled_at', 'status', 'deadline', 'notified_at', 'severity',
           'team_id', 'branch_id']


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.create_index('ix_hazard_open_by_customer', 'hazard', COLUMNS, unique=False,
                        sqlite_where=sa.text('closed_at IS NULL'))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.drop_index('ix_hazard_open_by_customer', table_name='hazard')
