"""Join the migration branches of the second wave: the audit trail's request ids, where a model
version came from (file or modeler), and the branches merged after them.

Revision ID: 0012
Revises: h18_audit_request_id, h16_model_origin
"""
revision = "0012"
down_revision = ("h18_audit_request_id", "h16_model_origin")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
