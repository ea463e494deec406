"""server-side web sessions and sign-in attempts (a rate limit shared by every worker and process)

Revision ID: h17w_sessions
Revises: h17w_import_rows
Create Date: 2026-12-06 16:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = 'h17w_sessions'
down_revision = 'h17w_import_rows'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'web_session',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_web_session_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_session')),
    )
    op.create_index(op.f('ix_web_session_user_id'), 'web_session', ['user_id'], unique=False)
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('account', sa.String(length=60), nullable=False),
        sa.Column('address', sa.String(length=45), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt')),
    )
    op.create_index(op.f('ix_login_attempt_at'), 'login_attempt', ['at'], unique=False)
    op.create_index(op.f('ix_login_attempt_account'), 'login_attempt', ['account'], unique=False)
    op.create_index(op.f('ix_login_attempt_address'), 'login_attempt', ['address'], unique=False)


def downgrade():
    op.drop_table('login_attempt')
    op.drop_table('web_session')
