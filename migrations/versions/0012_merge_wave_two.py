"""Join the migration branches of the second wave: the audit trail's request ids and the field app's submissions and presence, where a model
version came from (file or modeler), import rows, server-side sessions and request keys, the hazards' delivery and rectification deadlines, inspectors' posts and 检查证 numbers, cancellations, trips and delisting.

Revision ID: 0012
Revises: h15_presence, h16_model_origin, h17w_request_keys, h13a_deadlines, h14_people_warrant, h13b_delisting
"""
revision = "0012"
down_revision = ("h15_presence", "h16_model_origin", "h17w_request_keys", "h13a_deadlines",
                 "h14_people_warrant", "h13b_delisting")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
