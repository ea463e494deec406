"""file_chunk: photos, signatures and documents stored in the database (used on PostgreSQL), addressed by
SHA-256, in chunks so that a download is streamed.

Revision ID: h18b_file_chunks
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = 'h18b_file_chunks'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('file_chunk',
                    sa.Column('sha256', sa.String(length=64), nullable=False),
                    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('data', sa.LargeBinary(), nullable=False),
                    sa.PrimaryKeyConstraint('sha256', 'seq', name=op.f('pk_file_chunk')))
    if op.get_bind().dialect.name == 'postgresql':
        # photos and .docx are compressed already: store the chunks out of line without compressing again
        op.execute('ALTER TABLE file_chunk ALTER COLUMN data SET STORAGE EXTERNAL')


def downgrade():
    op.drop_table('file_chunk')
