"""attachment links: which object refers to which attachment (with its branch and team), so that
serving a photo asks one indexed question; back-filled from the hazards and inspections that exist

Revision ID: l12_work_attachment_links
Revises: 0009
Create Date: 2026-12-06 14:00:00
"""
import re

import sqlalchemy as sa
from alembic import op


revision = 'l12_work_attachment_links'
down_revision = '0009'
branch_labels = None
depends_on = None

DIGEST = re.compile(r"^[0-9a-f]{64}$")


def upgrade():
    op.create_table('attachment_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.String(length=64), nullable=False),
    sa.Column('object_kind', sa.String(length=16), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment_link')),
    sa.UniqueConstraint('attachment_id', 'object_kind', 'object_id', name=op.f('uq_attachment_link_attachment_id'))
    )
    _backfill(op.get_bind())


def downgrade():
    op.drop_table('attachment_link')


def _digests(value, found):
    if isinstance(value, str):
        if DIGEST.match(value):
            found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _digests(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _digests(item, found)
    return found


def _backfill(bind):
    """Links of the hazards (photos, after-photos, and what their timeline events name) and of the
    inspections (their recorded result), with the branch and team that decide who sees them."""
    meta = sa.MetaData()
    attachment = sa.Table('attachment', meta, sa.Column('id', sa.String(64)))
    hazard = sa.Table('hazard', meta, sa.Column('id', sa.Integer), sa.Column('branch_id', sa.Integer),
                      sa.Column('team_id', sa.Integer), sa.Column('photos', sa.JSON),
                      sa.Column('after_photos', sa.JSON))
    event = sa.Table('hazard_event', meta, sa.Column('hazard_id', sa.Integer), sa.Column('detail', sa.JSON))
    inspection = sa.Table('inspection', meta, sa.Column('id', sa.Integer), sa.Column('customer_id', sa.Integer),
                          sa.Column('team_id', sa.Integer), sa.Column('result', sa.JSON))
    customer = sa.Table('customer', meta, sa.Column('id', sa.Integer), sa.Column('branch_id', sa.Integer))
    link = sa.Table('attachment_link', meta, sa.Column('attachment_id', sa.String(64)),
                    sa.Column('object_kind', sa.String(16)), sa.Column('object_id', sa.String(64)),
                    sa.Column('branch_id', sa.Integer), sa.Column('team_id', sa.Integer))
    stored = set(bind.execute(sa.select(attachment.c.id)).scalars())
    if not stored:
        return
    refs: dict = {}
    for row in bind.execute(sa.select(hazard)):
        refs[("hazard", row.id)] = (row.branch_id, row.team_id,
                                    _digests([row.photos or [], row.after_photos or []], set()))
    for row in bind.execute(sa.select(event.c.hazard_id, event.c.detail)):
        if ("hazard", row.hazard_id) in refs:
            _digests(row.detail or {}, refs[("hazard", row.hazard_id)][2])
    for row in bind.execute(sa.select(inspection.c.id, inspection.c.team_id, inspection.c.result,
                                      customer.c.branch_id).join(customer, customer.c.id == inspection.c.customer_id)):
        refs[("inspection", row.id)] = (row.branch_id, row.team_id, _digests(row.result or {}, set()))
    rows = [{"attachment_id": digest, "object_kind": kind, "object_id": str(object_id), "branch_id": branch_id,
             "team_id": team_id}
            for (kind, object_id), (branch_id, team_id, digests) in refs.items()
            for digest in sorted(digests & stored)]
    for start in range(0, len(rows), 1000):
        bind.execute(link.insert(), rows[start:start + 1000])
