"""people: a user's post (职务) and inspection warrant number (用电检查证号), printed on official documents
beside the name (domain.md §6.1, §6.2).

Revision ID: h14_people_warrant
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = 'h14_people_warrant'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('warrant_number', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('warrant_number')
        batch_op.drop_column('post')
