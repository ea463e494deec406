"""A period of several months read from its closed months' snapshots (records/kpi_compose.py), and the
passes it narrows to a few hazards:
- indicator_count.grain: each month also keeps its counts summed per dimension and in total, so that a
  query with one filter or grouping, or none, sums a handful of rows (the rows per combination have "");
- indicator_pending: the hazards of a month that may still join a set after its end;
- an index on hazard.notified_at (the notices delivered in a period are counted over the hazards
  notified in it) and on hazard.cancelled_at, of the cancelled only (the few cancelled since a month
  closed; a full index would be SQLite's path to every hazard not cancelled).
Snapshots written before count as another version (records.snapshots.VERSION): the scheduler counts
those months again.

Revision ID: r20_indicator_composition
Revises: r19_kpi_state_index
"""
from alembic import op
import sqlalchemy as sa

revision = 'r20_indicator_composition'
down_revision = 'r19_kpi_state_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_notified', ['notified_at'], unique=False)
        batch_op.create_index('ix_hazard_cancelled', ['cancelled_at'], unique=False,
                              sqlite_where=sa.text('cancelled_at IS NOT NULL'),
                              postgresql_where=sa.text('cancelled_at IS NOT NULL'))
    with op.batch_alter_table('indicator_count', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grain', sa.String(length=12), server_default='', nullable=False))
        batch_op.drop_index('ix_indicator_count_month')
        batch_op.create_index('ix_indicator_count_month', ['month', 'kind', 'grain'], unique=False)
    op.create_table('indicator_pending',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('month', sa.String(length=7), nullable=False),
                    sa.Column('name', sa.String(length=24), nullable=False),
                    sa.Column('hazard_id', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_pending')))
    with op.batch_alter_table('indicator_pending', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_pending', ['month', 'name', 'hazard_id'], unique=False)


def downgrade():
    with op.batch_alter_table('indicator_pending', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_pending')
    op.drop_table('indicator_pending')
    with op.batch_alter_table('indicator_count', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_count_month')
        batch_op.create_index('ix_indicator_count_month', ['month', 'kind'], unique=False)
        batch_op.drop_column('grain')
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.drop_index('ix_hazard_cancelled')
        batch_op.drop_index('ix_hazard_notified')
