"""engine tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 06:20:20.746097
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_chain',
    sa.Column('chain', sa.String(length=100), nullable=False),
    sa.Column('audit_seq', sa.Integer(), nullable=False),
    sa.Column('audit_hash', sa.String(length=64), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chain'))
    )
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=100), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('element_id', sa.String(length=200), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('chain', 'seq', name=op.f('uq_audit_event_chain'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_instance', ['instance_id', 'seq'], unique=False)

    op.create_table('model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('spec_json', sa.JSON(), nullable=True),
    sa.Column('process_ids', sa.JSON(), nullable=False),
    sa.Column('dependencies', sa.JSON(), nullable=False),
    sa.Column('deployed_at', sa.DateTime(), nullable=False),
    sa.Column('deployed_by', sa.String(length=100), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_version')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_model_version_name'))
    )
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.create_index('ix_model_version_name_hash', ['name', 'content_hash'], unique=False)

    op.create_table('scheduler_beat',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('last_tick_at', sa.DateTime(), nullable=False),
    sa.Column('last_duration_ms', sa.Integer(), nullable=False),
    sa.Column('fired', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_beat'))
    )
    op.create_table('definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('definition_id', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=True),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_version.id'], name=op.f('fk_definition_model_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_definition'))
    )
    with op.batch_alter_table('definition', schema=None) as batch_op:
        batch_op.create_index('ix_definition_lookup', ['kind', 'definition_id', 'model_version_id'], unique=False)

    op.create_table('process_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('business_key', sa.String(length=200), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('next_wake_at', sa.DateTime(), nullable=True),
    sa.Column('started_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('error_element', sa.String(length=200), nullable=True),
    sa.Column('error_task_id', sa.String(length=36), nullable=True),
    sa.Column('error_traceback', sa.Text(), nullable=True),
    sa.Column('suspended_reason', sa.Text(), nullable=True),
    sa.Column('audit_seq', sa.Integer(), nullable=False),
    sa.Column('audit_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_version.id'], name=op.f('fk_process_instance_model_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_instance'))
    )
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instance_business_key'), ['business_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_model_version_id'), ['model_version_id'], unique=False)
        batch_op.create_index('ix_process_instance_process_status', ['process_id', 'status'], unique=False)
        batch_op.create_index('ix_process_instance_status_started', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_process_instance_wake', ['next_wake_at'], unique=False)

    op.create_table('human_task',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('lane', sa.String(length=100), nullable=True),
    sa.Column('candidate_team', sa.String(length=100), nullable=True),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('form', sa.String(length=200), nullable=True),
    sa.Column('ui_form', sa.String(length=200), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('business_key', sa.String(length=200), nullable=True),
    sa.Column('instructions', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('completed_by', sa.String(length=100), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_human_task_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_human_task'))
    )
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_assignee_queue', ['status', 'assignee', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_human_task_lane_queue', ['status', 'lane', 'due_at'], unique=False)
        batch_op.create_index('ix_human_task_team_queue', ['status', 'candidate_team', 'due_at'], unique=False)

    op.create_table('message_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('message_name', sa.String(length=200), nullable=False),
    sa.Column('correlation_key', sa.String(length=200), nullable=True),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_message_subscription_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_subscription'))
    )
    with op.batch_alter_table('message_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_subscription_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_message_subscription_lookup', ['message_name', 'correlation_key'], unique=False)

    _append_only("audit_event")


def _append_only(table):
    """The audit trail refuses UPDATE and DELETE; tampering needs raw file or superuser access,
    and then `gridsafe audit verify` shows it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql""")
        op.execute(f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
                       FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
                           BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""")


def downgrade():
    with op.batch_alter_table('message_subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_message_subscription_lookup')
        batch_op.drop_index(batch_op.f('ix_message_subscription_instance_id'))

    op.drop_table('message_subscription')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_team_queue')
        batch_op.drop_index('ix_human_task_lane_queue')
        batch_op.drop_index(batch_op.f('ix_human_task_instance_id'))
        batch_op.drop_index('ix_human_task_assignee_queue')

    op.drop_table('human_task')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_process_instance_wake')
        batch_op.drop_index('ix_process_instance_status_started')
        batch_op.drop_index('ix_process_instance_process_status')
        batch_op.drop_index(batch_op.f('ix_process_instance_model_version_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_business_key'))

    op.drop_table('process_instance')
    with op.batch_alter_table('definition', schema=None) as batch_op:
        batch_op.drop_index('ix_definition_lookup')

    op.drop_table('definition')
    op.drop_table('scheduler_beat')
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.drop_index('ix_model_version_name_hash')

    op.drop_table('model_version')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_instance')

    op.drop_table('audit_event')
    op.drop_table('audit_chain')
