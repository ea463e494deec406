"""Join the migration branches of the first restructuring: attachment links, the dictionary's content,
the summaries' subjects.

Revision ID: 0011
Revises: l12_kpi_0010, l12_work_attachment_links, w_dictionary_item_content
"""
revision = "0011"
down_revision = ("l12_kpi_0010", "l12_work_attachment_links", "w_dictionary_item_content")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
