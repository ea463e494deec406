"""audit_event.request_id: the web request or scheduler tick that wrote the event, to join the trail
with the JSON log lines of that request.

Revision ID: h18_audit_request_id
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = 'h18_audit_request_id'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('audit_event', sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('request_id')
