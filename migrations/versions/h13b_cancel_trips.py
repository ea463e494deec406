"""cancellation requests and customer trips: a hazard is cancelled when a request with a reason is
approved, and counts nowhere from that moment (hazard.cancelled_at, back-filled from the timeline's
"cancelled" event); grid trips caused by customers are recorded per customer

Revision ID: h13b_cancel_trips
Revises: 0011
Create Date: 2026-12-06 15:57:58.111563
"""
from alembic import op
import sqlalchemy as sa


revision = 'h13b_cancel_trips'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('customer_trip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('cause', sa.Text(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=60), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_trip_customer_id_customer')),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazard.id'], name=op.f('fk_customer_trip_hazard_id_hazard')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_trip'))
    )
    with op.batch_alter_table('customer_trip', schema=None) as batch_op:
        batch_op.create_index('ix_customer_trip_customer', ['customer_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_customer_trip_occurred', ['occurred_at'], unique=False)

    op.create_table('hazard_cancellation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_by', sa.String(length=60), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=60), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazard.id'], name=op.f('fk_hazard_cancellation_hazard_id_hazard')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_cancellation'))
    )
    with op.batch_alter_table('hazard_cancellation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hazard_cancellation_hazard_id'), ['hazard_id'], unique=False)
        batch_op.create_index('ix_hazard_cancellation_status', ['status', 'requested_at'], unique=False)

    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
    _backfill()


def _backfill():
    """Hazards cancelled before requests existed: cancelled when their timeline says so."""
    hazard = sa.table('hazard', sa.column('id', sa.Integer), sa.column('status', sa.String),
                      sa.column('cancelled_at', sa.DateTime()))
    event = sa.table('hazard_event', sa.column('hazard_id', sa.Integer), sa.column('kind', sa.String),
                     sa.column('at', sa.DateTime()))
    when = (sa.select(sa.func.max(event.c.at)).where(event.c.hazard_id == hazard.c.id, event.c.kind == 'cancelled')
            .scalar_subquery())
    op.get_bind().execute(hazard.update().where(hazard.c.status == 'cancelled').values(cancelled_at=when))


def downgrade():
    # a plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch copy of the table would drop and
    # recreate it, which the foreign keys of the rows that refer to it refuse
    op.execute('ALTER TABLE hazard DROP COLUMN cancelled_at')

    with op.batch_alter_table('hazard_cancellation', schema=None) as batch_op:
        batch_op.drop_index('ix_hazard_cancellation_status')
        batch_op.drop_index(batch_op.f('ix_hazard_cancellation_hazard_id'))

    op.drop_table('hazard_cancellation')
    with op.batch_alter_table('customer_trip', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_trip_occurred')
        batch_op.drop_index('ix_customer_trip_customer')

    op.drop_table('customer_trip')
