"""hazard: the rectification deadline (整改期限, from the notice's delivery) apart from the deadline in
force, the refusal to rectify (拒不整改) and a missed 督导单 deadline (both raise the severity in
grading); risk_warning: the hazards a grade-A report covered, so that an unchanged set is not reported
twice.

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
    # plain ALTER TABLE ... ADD COLUMN: a batch rebuild of `hazard` on SQLite would drop a table that
    # hazard_event refers to, which SQLite refuses with foreign keys on; the defaults fill existing rows
    op.add_column("hazard", sa.Column("rectification_deadline", sa.DateTime(), nullable=True))
    op.add_column("hazard", sa.Column("refused_to_rectify", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("hazard", sa.Column("supervision_failed", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE hazard SET supervision_failed = TRUE WHERE status = 'overdue' AND supervision_count > 0")
    op.execute("UPDATE hazard SET rectification_deadline = CASE WHEN status IN ('overdue', 'supervising') "
               "THEN original_deadline ELSE deadline END WHERE notified_at IS NOT NULL")
    op.add_column("risk_warning", sa.Column("hazard_ids", sa.JSON(), nullable=True))


def downgrade():
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), for the same reason
    op.drop_column("risk_warning", "hazard_ids")
    for name in ("supervision_failed", "refused_to_rectify", "rectification_deadline"):
        op.drop_column("hazard", name)
