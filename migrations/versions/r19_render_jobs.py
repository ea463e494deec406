"""Documents rendered after the step's commit: a document row may wait for its bytes (sha256 and size
empty), and render_job holds the snapshot the worker renders it from.

Revision ID: r19_render_jobs
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = 'r19_render_jobs'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('size', existing_type=sa.Integer(), nullable=True)
    op.create_table('render_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_render_job_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_render_job')),
    sa.UniqueConstraint('document_id', name=op.f('uq_render_job_document_id'))
    )
    op.create_index('ix_render_job_due', 'render_job', ['status', 'next_attempt_at'], unique=False)


def downgrade():
    op.drop_index('ix_render_job_due', table_name='render_job')
    op.drop_table('render_job')
    op.execute("DELETE FROM document WHERE sha256 IS NULL")
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('size', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=False)
