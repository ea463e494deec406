"""An index on the hazards' notified_at: the indicators count the notices delivered in a period (告知书签收率)
over the hazards notified in it, found on this index, instead of over every hazard the period concerns
(records/kpi.py, NARROWER).

Revision ID: r20_hazard_notified_index
Revises: r19_kpi_state_index
"""
from alembic import op

revision = 'r20_hazard_notified_index'
down_revision = 'r19_kpi_state_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_notified', ['notified_at'], unique=False)


def downgrade():
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.drop_index('ix_hazard_notified')
