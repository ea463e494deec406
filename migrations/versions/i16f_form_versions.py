"""form_version: user-task forms versioned in the database; model_version.forms: the form versions a
diagram version shows (so an instance keeps the form it started with)

Revision ID: i16f_form_versions
Revises: h18b_file_chunks
"""
import sqlalchemy as sa
from alembic import op


revision = 'i16f_form_versions'
down_revision = 'h18b_file_chunks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_version',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('name', sa.String(length=200), nullable=False),
                    sa.Column('version', sa.Integer(), nullable=False),
                    sa.Column('content_hash', sa.String(length=64), nullable=False),
                    sa.Column('content', sa.Text(), nullable=False),
                    sa.Column('origin', sa.String(length=16), nullable=False),
                    sa.Column('deployed_at', sa.DateTime(), nullable=False),
                    sa.Column('deployed_by', sa.String(length=100), nullable=False),
                    sa.Column('comment', sa.Text(), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_version')),
                    sa.UniqueConstraint('name', 'version', name=op.f('uq_form_version_name')))
    op.create_index('ix_form_version_name_hash', 'form_version', ['name', 'content_hash'], unique=False)
    with op.batch_alter_table('model_version') as batch_op:
        batch_op.add_column(sa.Column('forms', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('model_version', 'forms')
    op.drop_index('ix_form_version_name_hash', table_name='form_version')
    op.drop_table('form_version')
