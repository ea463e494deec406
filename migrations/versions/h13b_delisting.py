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
    # a plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch copy of the table would drop and
    # recreate it, which the foreign keys of the rows that refer to it refuse
    op.execute('ALTER TABLE customer DROP COLUMN delisted_by')
    op.execute('ALTER TABLE customer DROP COLUMN delisted_reason')
    op.execute('ALTER TABLE customer DROP COLUMN delisted_at')

