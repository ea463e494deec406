"""A snapshot's key holds a run of months counted as one besides a month (records/snapshots.py: each year's
months up to its last closed one, '2026-01~2026-10'), so that the year to date reads one run and the few
hazards pending at its end instead of ten months and every hazard pending at any of their ends: measured
at 200,000 hazards (bench/kpi_scale.py), SQLite 102 -> 82 ms, PostgreSQL 139 -> 94 ms. The months' keys
stay as they were; the scheduler writes the runs on its next round.

Revision ID: r22_indicator_year_runs
Revises: r21_inspection_period_indexes
"""
import sqlalchemy as sa
from alembic import op

revision = 'r22_indicator_year_runs'
down_revision = 'r21_inspection_period_indexes'
branch_labels = None
depends_on = None

TABLES = ('indicator_month', 'indicator_count', 'indicator_pending')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('month', existing_type=sa.String(length=7), type_=sa.String(length=15),
                                  existing_nullable=False)


def downgrade():
    for table in TABLES:                          # the runs do not fit the months' column: gone
        op.execute(sa.text(f"DELETE FROM {table} WHERE month LIKE '%~%'"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('month', existing_type=sa.String(length=15), type_=sa.String(length=7),
                                  existing_nullable=False)
