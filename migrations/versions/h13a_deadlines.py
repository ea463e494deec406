"""hazard: the rectification deadline (整改期限, from the notice's delivery) apart from the deadline in
force, the refusal to rectify (拒不整改) and a missed 督导单 deadline (both raise the severity in grading); risk_warning: the hazards a grade-A report covered, so that
an unchanged set is not reported twice.

Existing delivered hazards get their rectification deadline from what they have: the original deadline
while overdue or under supervision (a 督导单 moved `deadline`), else the deadline in force.

Revision ID: h13a_deadlines
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = "h13a_deadlines"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hazard", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rectification_deadline", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("refused_to_rectify", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("supervision_failed", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("hazard", schema=None) as batch_op:
        batch_op.alter_column("refused_to_rectify", server_default=None)
        batch_op.alter_column("supervision_failed", server_default=None)
    op.execute("UPDATE hazard SET supervision_failed = TRUE WHERE status = 'overdue' AND supervision_count > 0")
    op.execute("UPDATE hazard SET rectification_deadline = CASE WHEN status IN ('overdue', 'supervising') "
               "THEN original_deadline ELSE deadline END WHERE notified_at IS NOT NULL")
    with op.batch_alter_table("risk_warning", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hazard_ids", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("risk_warning", schema=None) as batch_op:
        batch_op.drop_column("hazard_ids")
    with op.batch_alter_table("hazard", schema=None) as batch_op:
        batch_op.drop_column("supervision_failed")
        batch_op.drop_column("refused_to_rectify")
        batch_op.drop_column("rectification_deadline")
