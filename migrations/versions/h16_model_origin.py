"""model origin: whether a version was shipped from files (the bpmn folder, `gridsafe bpmn deploy`) or
deployed in the modeler, so that a restart keeps a process owner's newer version

Revision ID: h16_model_origin
Revises: 0011
Create Date: 2026-12-06 16:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "h16_model_origin"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("model_version") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=16), nullable=True))
    # Until now only the start (and the benchmarks) deployed as "system"; everyone else used the modeler.
    op.execute("UPDATE model_version SET origin = CASE WHEN deployed_by = 'system' THEN 'file' "
               "ELSE 'modeler' END")


def downgrade():
    # in place (SQLite 3.35+ drops a column itself): a batch copy of the table is refused while other
    # tables refer to it with foreign keys on
    op.drop_column("model_version", "origin")
