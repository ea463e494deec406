"""request keys: opening a hazard carries an idempotency key, so a retried request files it once

Revision ID: h17w_request_keys
Revises: h17w_sessions
Create Date: 2026-12-06 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'h17w_request_keys'
down_revision = 'h17w_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'request_key',
        sa.Column('actor', sa.String(length=60), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('actor', 'key', name=op.f('pk_request_key')),
    )


def downgrade():
    op.drop_table('request_key')
