"""pending findings: a submitted inspection's findings wait here for their hazard files, each opened in a
transaction of its own and exactly once

Revision ID: i17f_pending_findings
Revises: h18b_file_chunks
Create Date: 2026-12-06 19:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'i17f_pending_findings'
down_revision = 'h18b_file_chunks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_finding',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('actor', sa.String(length=60), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('file_number', sa.String(length=40), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('filed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'],
                                name=op.f('fk_pending_finding_inspection_id_inspection')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_finding')),
        sa.UniqueConstraint('inspection_id', 'position', name='uq_pending_finding_position'),
        sa.UniqueConstraint('instance_id', name=op.f('uq_pending_finding_instance_id')),
    )
    op.create_index(op.f('ix_pending_finding_inspection_id'), 'pending_finding', ['inspection_id'])
    op.create_index(op.f('ix_pending_finding_status'), 'pending_finding', ['status'])


def downgrade():
    op.drop_index(op.f('ix_pending_finding_status'), table_name='pending_finding')
    op.drop_index(op.f('ix_pending_finding_inspection_id'), table_name='pending_finding')
    op.drop_table('pending_finding')
