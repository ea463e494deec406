"""The 用电检查工作单 is approved before the visit (domain.md §6.1): who approved it and when, and the
reason of the last refusal that sent it back to preparation. The planner's 保电 visits of a temporary
customer are unique per customer and date.

Revision ID: i13_worksheet_approval
Revises: h18b_file_chunks
"""
from alembic import op
import sqlalchemy as sa


revision = 'i13_worksheet_approval'
down_revision = 'h18b_file_chunks'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('inspection', sa.Column('approved_by', sa.String(length=60), nullable=True))
    op.add_column('inspection', sa.Column('approved_at', sa.DateTime(), nullable=True))
    op.add_column('inspection', sa.Column('returned_reason', sa.Text(), nullable=True))
    where = sa.text("kind = 'assurance' AND created_by = 'planner'")
    op.create_index('uq_inspection_assurance_visit', 'inspection', ['customer_id', 'due_date'], unique=True,
                    sqlite_where=where, postgresql_where=where)


def downgrade():
    op.drop_index('uq_inspection_assurance_visit', table_name='inspection')
    op.drop_column('inspection', 'returned_reason')
    op.drop_column('inspection', 'approved_at')
    op.drop_column('inspection', 'approved_by')
