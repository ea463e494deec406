"""customers, dictionary, hazards, documents, notifications, grades

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 07:05:17.389434
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_hazard_id'), ['hazard_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_number'), ['number'], unique=False)
        batch_op.create_index('ix_document_subject', ['kind', 'subject', 'version'], unique=False)

    op.create_table('file_counter',
    sa.Column('scope', sa.String(length=60), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_file_counter'))
    )
    op.create_table('hazard_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('category_en', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('default_severity', sa.String(length=12), nullable=False),
    sa.Column('top_severity', sa.String(length=12), nullable=False),
    sa.Column('deadline_days', sa.Integer(), nullable=False),
    sa.Column('interim_required', sa.Boolean(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_item')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_hazard_item_code'))
    )
    with op.batch_alter_table('hazard_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hazard_item_code'), ['code'], unique=False)

    op.create_table('report_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('delivery', sa.String(length=40), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by', sa.String(length=60), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_report_log_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_log'))
    )
    with op.batch_alter_table('report_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_log_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_log_hazard_id'), ['hazard_id'], unique=False)

    op.create_table('customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('importance', sa.String(length=12), nullable=True),
    sa.Column('temporary_from', sa.Date(), nullable=True),
    sa.Column('temporary_to', sa.Date(), nullable=True),
    sa.Column('high_risk', sa.Boolean(), nullable=False),
    sa.Column('industry', sa.String(length=100), nullable=True),
    sa.Column('legal_representative', sa.String(length=60), nullable=True),
    sa.Column('contacts', sa.JSON(), nullable=False),
    sa.Column('default_team_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_customer_branch_id_branch')),
    sa.ForeignKeyConstraint(['default_team_id'], ['team.id'], name=op.f('fk_customer_default_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('number', name=op.f('uq_customer_number'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_default_team_id'), ['default_team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_importance'), ['importance'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_inbox', ['user_id', 'read_at', 'created_at'], unique=False)

    op.create_table('customer_grade',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('drivers', sa.JSON(), nullable=False),
    sa.Column('model_version', sa.String(length=60), nullable=False),
    sa.Column('reason', sa.String(length=60), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('open_hazards', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_grade_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_grade'))
    )
    with op.batch_alter_table('customer_grade', schema=None) as batch_op:
        batch_op.create_index('ix_customer_grade_current', ['customer_id', 'current'], unique=False)
        batch_op.create_index('ix_customer_grade_list', ['current', 'grade', 'score'], unique=False)

    op.create_table('hazard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_number', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('item_code', sa.String(length=10), nullable=False),
    sa.Column('item', sa.JSON(), nullable=False),
    sa.Column('severity', sa.String(length=12), nullable=False),
    sa.Column('severity_reason', sa.Text(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('equipment', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('interim_measures', sa.Text(), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('after_photos', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('deadline', sa.DateTime(), nullable=False),
    sa.Column('original_deadline', sa.DateTime(), nullable=False),
    sa.Column('supervision_count', sa.Integer(), nullable=False),
    sa.Column('refused_to_sign', sa.Boolean(), nullable=False),
    sa.Column('reported_to_government', sa.Boolean(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('inspection_id', sa.Integer(), nullable=True),
    sa.Column('opened_by', sa.String(length=60), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.Column('reported_at', sa.DateTime(), nullable=True),
    sa.Column('rectified_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_reason', sa.Text(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_hazard_branch_id_branch')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_hazard_customer_id_customer')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_hazard_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard')),
    sa.UniqueConstraint('file_number', name=op.f('uq_hazard_file_number'))
    )
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_branch_status', ['branch_id', 'status', 'opened_at'], unique=False)
        batch_op.create_index('ix_hazard_customer', ['customer_id', 'opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_hazard_item', ['item_code'], unique=False)
        batch_op.create_index('ix_hazard_opened', ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_severity'), ['severity'], unique=False)
        batch_op.create_index('ix_hazard_status_deadline', ['status', 'deadline'], unique=False)
        batch_op.create_index('ix_hazard_team_status', ['team_id', 'status', 'opened_at'], unique=False)

    op.create_table('hazard_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('status_before', sa.String(length=20), nullable=True),
    sa.Column('status_after', sa.String(length=20), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazard.id'], name=op.f('fk_hazard_event_hazard_id_hazard')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_event'))
    )
    with op.batch_alter_table('hazard_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hazard_event_hazard_id'), ['hazard_id'], unique=False)



def downgrade():
    with op.batch_alter_table('hazard_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hazard_event_hazard_id'))

    op.drop_table('hazard_event')
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.drop_index('ix_hazard_team_status')
        batch_op.drop_index('ix_hazard_status_deadline')
        batch_op.drop_index(batch_op.f('ix_hazard_severity'))
        batch_op.drop_index('ix_hazard_opened')
        batch_op.drop_index('ix_hazard_item')
        batch_op.drop_index(batch_op.f('ix_hazard_instance_id'))
        batch_op.drop_index(batch_op.f('ix_hazard_inspection_id'))
        batch_op.drop_index('ix_hazard_customer')
        batch_op.drop_index('ix_hazard_branch_status')

    op.drop_table('hazard')
    with op.batch_alter_table('customer_grade', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_grade_list')
        batch_op.drop_index('ix_customer_grade_current')

    op.drop_table('customer_grade')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_inbox')

    op.drop_table('notification')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_importance'))
        batch_op.drop_index(batch_op.f('ix_customer_default_team_id'))
        batch_op.drop_index(batch_op.f('ix_customer_branch_id'))

    op.drop_table('customer')
    with op.batch_alter_table('report_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_log_hazard_id'))
        batch_op.drop_index(batch_op.f('ix_report_log_customer_id'))

    op.drop_table('report_log')
    with op.batch_alter_table('hazard_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hazard_item_code'))

    op.drop_table('hazard_item')
    op.drop_table('file_counter')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_subject')
        batch_op.drop_index(batch_op.f('ix_document_number'))
        batch_op.drop_index(batch_op.f('ix_document_hazard_id'))
        batch_op.drop_index(batch_op.f('ix_document_customer_id'))

    op.drop_table('document')
