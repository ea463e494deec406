"""Join the migration branches of the third wave: month-end indicator snapshots and process scenarios.

Revision ID: 0013
Revises: m19_indicator_months, i16s_model_scenarios
"""
revision = "0013"
down_revision = ("m19_indicator_months", "i16s_model_scenarios")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
