"""team inbox: the queue index also holds assignee, lane, created_at and id, so that counting and ordering
an inspector's "my teams'" tasks reads only the index (measured in bench/inbox_scale.py)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 10:40:00
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_team_queue')
        batch_op.create_index('ix_human_task_team_queue',
                              ['status', 'candidate_team', 'assignee', 'lane', 'due_at', 'created_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_team_queue')
        batch_op.create_index('ix_human_task_team_queue', ['status', 'candidate_team', 'due_at'], unique=False)
