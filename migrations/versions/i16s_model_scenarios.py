"""model_scenarios: the process scenarios (tests) a process owner edits in the browser

Revision ID: i16s_model_scenarios
Revises: h18b_file_chunks
"""
import sqlalchemy as sa
from alembic import op

revision = 'i16s_model_scenarios'
down_revision = 'h18b_file_chunks'
branch_labels = None
depends_on = None

def upgrade():
    op.create_table('model_scenarios',
                    sa.Column('name', sa.String(length=200), nullable=False),
                    sa.Column('source', sa.Text(), nullable=False),
                    sa.Column('updated_by', sa.String(length=100), nullable=False),
                    sa.Column('updated_at', sa.DateTime(), nullable=False),
                    sa.Column('lock_version', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('name', name=op.f('pk_model_scenarios')))

def downgrade():
    op.drop_table('model_scenarios')
