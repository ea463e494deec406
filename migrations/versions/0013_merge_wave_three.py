"""Join the migration branches of the third wave: month-end indicator snapshots, process scenarios, versioned forms and the worksheet approval.

Revision ID: 0013
Revises: m19_indicator_months, i16s_model_scenarios, i16f_form_versions, i13_worksheet_approval
"""
revision = "0013"
down_revision = ("m19_indicator_months", "i16s_model_scenarios", "i16f_form_versions", "i13_worksheet_approval")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
