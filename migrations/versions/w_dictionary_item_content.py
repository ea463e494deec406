"""hazard dictionary: each item carries its consequences, requirements, suggested measures, interim
measures (with the days allowed) and its rules as data, so that the notice prints the item's own and the
grading reads the rules. Existing versions are not filled in here: `gridsafe init` adds new versions.

Revision ID: w_dictionary_item_content
Revises: 0009
Create Date: 2026-12-06 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'w_dictionary_item_content'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hazard_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interim_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('consequences', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('requirements', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('measures', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('interim_measures', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rules', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('hazard_item', schema=None) as batch_op:
        for name in ('rules', 'interim_measures', 'measures', 'requirements', 'consequences', 'interim_days'):
            batch_op.drop_column(name)
