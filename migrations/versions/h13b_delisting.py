"""customers off the plan: a customer can be delisted (account closed...) with a reason and relisted

Revision ID: h13b_delisting
Revises: h13b_cancel_trips
Create Date: 2026-12-06 16:19:17.547356
"""
from alembic import op
import sqlalchemy as sa


revision = 'h13b_delisting'
down_revision = 'h13b_cancel_trips'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delisted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('delisted_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('delisted_by', sa.String(length=60), nullable=True))



def downgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('delisted_by')
        batch_op.drop_column('delisted_reason')
        batch_op.drop_column('delisted_at')

