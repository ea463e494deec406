"""task submissions by idempotency key (a submission sent again completes nothing twice)

Revision ID: h15_task_submission
Revises: h18_audit_request_id
Create Date: 2026-12-06 16:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'h15_task_submission'
down_revision = 'h18_audit_request_id'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('task_submission',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_task_submission_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_task_submission'))
    )
    op.create_index(op.f('ix_task_submission_task_id'), 'task_submission', ['task_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_task_submission_task_id'), table_name='task_submission')
    op.drop_table('task_submission')
