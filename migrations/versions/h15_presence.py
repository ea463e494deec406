"""inspections whose visit is to be verified (proof of presence flags)

Revision ID: h15_presence
Revises: h15_task_submission
Create Date: 2026-12-06 16:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'h15_presence'
down_revision = 'h15_task_submission'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspection') as batch:
        batch.add_column(sa.Column('needs_verification', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index(batch.f('ix_inspection_needs_verification'), ['needs_verification'], unique=False)


def downgrade():
    with op.batch_alter_table('inspection') as batch:
        batch.drop_index(batch.f('ix_inspection_needs_verification'))
        batch.drop_column('needs_verification')
