"""Join the migration branches of the third wave: month-end indicator snapshots, process scenarios, versioned forms, the worksheet approval and the findings waiting to be filed.

Revision ID: 0013
Revises: m19_indicator_months, i16s_model_scenarios, i16f_form_versions, i13_worksheet_approval,
    i17f_pending_findings
"""
revision = "0013"
down_revision = ("m19_indicator_months", "i16s_model_scenarios", "i16f_form_versions", "i13_worksheet_approval",
                 "i17f_pending_findings")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
