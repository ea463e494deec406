"""The inspections of a short period read on their due and completion dates (records.kpi.inspections_concerned:
a month's, and the rest of a longer period after its closed months, which is now composed from the
months' snapshots like the hazards': records/kpi_compose.py), and the periodic inspections completed after
a moment (records.kpi_conditions: a customer's inspection overdue then) on completed_on.
Snapshots written before count as another version (records.snapshots.VERSION 3: each month also keeps its
inspections open when it closed, and the hazards of its overdue, acceptance-due and reported sets that a
longer period counts again): the scheduler counts those months again.

Revision ID: r21_inspection_period_indexes
Revises: r20_indicator_composition
"""
from alembic import op

revision = 'r21_inspection_period_indexes'
down_revision = 'r20_indicator_composition'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_due', ['due_date'], unique=False)
        batch_op.create_index('ix_inspection_completed', ['completed_on'], unique=False)


def downgrade():
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_completed')
        batch_op.drop_index('ix_inspection_due')
