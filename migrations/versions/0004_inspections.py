"""inspections, customer profile, jobs, task prefill

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 07:24:00.836201
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('selection', sa.JSON(), nullable=False),
    sa.Column('customer_ids', sa.JSON(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    op.create_table('periodic_run',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('name', 'period', name=op.f('pk_periodic_run'))
    )
    op.create_table('inspection_cycle',
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=60), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_inspection_cycle'))
    )
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    op.create_table('inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('full_inspection', sa.Boolean(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('planned_from', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('checklist_template', sa.String(length=40), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('hazard_numbers', sa.JSON(), nullable=False),
    sa.Column('worksheet_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('overdue_warned_at', sa.DateTime(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_inspection_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_inspection_customer_id_customer')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_inspection_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection')),
    sa.UniqueConstraint('number', name=op.f('uq_inspection_number'))
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_customer', ['customer_id', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_inspection_status_due', ['status', 'due_date'], unique=False)
        batch_op.create_index('ix_inspection_team_status', ['team_id', 'status', 'due_date'], unique=False)
        batch_op.create_index('uq_inspection_open_periodic', ['customer_id'], unique=True, sqlite_where=sa.text("kind = 'periodic' AND status IN ('planned', 'assigned', 'in_progress')"), postgresql_where=sa.text("kind = 'periodic' AND status IN ('planned', 'assigned', 'in_progress')"))

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('government_list_ref', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('supply_voltage_kv', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('power_sources', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('supply_mode', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('capacity_kva', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('security_load_kw', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('emergency_power_kw', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('emergency_power_type', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('interlock_status', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('non_electrical_measures', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('emergency_plan', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('electricians', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('gps_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('gps_lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('cycle_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_inspected_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('next_inspection_due', sa.Date(), nullable=True))

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prefill', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('prefill')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('next_inspection_due')
        batch_op.drop_column('last_inspected_on')
        batch_op.drop_column('cycle_months')
        batch_op.drop_column('gps_lon')
        batch_op.drop_column('gps_lat')
        batch_op.drop_column('electricians')
        batch_op.drop_column('emergency_plan')
        batch_op.drop_column('non_electrical_measures')
        batch_op.drop_column('interlock_status')
        batch_op.drop_column('emergency_power_type')
        batch_op.drop_column('emergency_power_kw')
        batch_op.drop_column('security_load_kw')
        batch_op.drop_column('capacity_kva')
        batch_op.drop_column('supply_mode')
        batch_op.drop_column('power_sources')
        batch_op.drop_column('supply_voltage_kv')
        batch_op.drop_column('government_list_ref')

    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index('uq_inspection_open_periodic', sqlite_where=sa.text("kind = 'periodic' AND status IN ('planned', 'assigned', 'in_progress')"), postgresql_where=sa.text("kind = 'periodic' AND status IN ('planned', 'assigned', 'in_progress')"))
        batch_op.drop_index('ix_inspection_team_status')
        batch_op.drop_index('ix_inspection_status_due')
        batch_op.drop_index(batch_op.f('ix_inspection_instance_id'))
        batch_op.drop_index('ix_inspection_customer')

    op.drop_table('inspection')
    op.drop_table('job')
    op.drop_table('inspection_cycle')
    op.drop_table('periodic_run')
    op.drop_table('campaign')
