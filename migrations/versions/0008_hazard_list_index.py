"""hazard list: indexes that serve "this status / this severity, newest first" without sorting

Revision ID: 0008
Revises: 0004, 0005, 0006, 0007
Create Date: 2026-11-28 07:45:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = ('0004', '0005', '0006', '0007')   # merges the feature branches
branch_labels = None
depends_on = None


def upgrade():
    # 0002 declared team.head_id -> app_user.id with use_alter (the two tables refer to each other);
    # create_table leaves such a constraint out, so on PostgreSQL it was never made. SQLite has it inline.
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" and not any(
            fk["referred_table"] == "app_user" for fk in sa.inspect(bind).get_foreign_keys("team")):
        op.create_foreign_key("fk_team_head_id_app_user", "team", "app_user", ["head_id"], ["id"])
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_status_opened', ['status', 'opened_at'], unique=False)
        batch_op.drop_index('ix_hazard_severity')
        batch_op.create_index('ix_hazard_severity_opened', ['severity', 'opened_at'], unique=False)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_team_head_id_app_user", "team", type_="foreignkey")
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.drop_index('ix_hazard_severity_opened')
        batch_op.create_index('ix_hazard_severity', ['severity'], unique=False)
        batch_op.drop_index('ix_hazard_status_opened')
