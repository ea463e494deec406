"""job rows: an import's rows are read from the file once and kept per job, each step reads its own

Revision ID: h17w_import_rows
Revises: 0011
Create Date: 2026-12-06 16:10:00
"""
import sqlalchemy as sa
from alembic import op


revision = 'h17w_import_rows'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_row',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_row_job_id_job'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', 'seq', name=op.f('pk_job_row')),
    )


def downgrade():
    op.drop_table('job_row')
