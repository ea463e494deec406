"""government reports name their branch: the subject of a periodic summary or annual report becomes
"<period>/<branch code>" ("2026-03/JA-JZ"; the period alone for the whole organisation) instead of its
number, so that access can tell whose report it is (services/access.py) and versions keep counting

Revision ID: l12_kpi_0010
Revises: 0009
Create Date: 2026-12-02 10:00:00
"""
import re

import sqlalchemy as sa
from alembic import op


revision = 'l12_kpi_0010'
down_revision = '0009'
branch_labels = None
depends_on = None

KINDS = ('periodic_summary', 'annual_report')
# YHTJ-<branch>-2026-03, YHTJ-2026-Q1, YHNB-<branch>-2026 (branch codes may hold hyphens)
NUMBER = re.compile(r'^(?:YHTJ|YHNB)-(?:(?P<branch>.+)-)?(?P<label>\d{4}(?:-\d{2}|-Q[1-4])?)$')
document = sa.table('document', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                    sa.column('number', sa.String), sa.column('subject', sa.String))


def _rewrite(to_subject) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(document.c.id, document.c.number, document.c.subject)
                        .where(document.c.kind.in_(KINDS))).all()
    for row in rows:
        subject = to_subject(row.number)
        if subject and subject != row.subject:
            bind.execute(sa.update(document).where(document.c.id == row.id).values(subject=subject))


def _new_subject(number: str):
    found = NUMBER.match(number or '')
    if found is None:
        return None
    return f"{found['label']}/{found['branch']}" if found['branch'] else found['label']


def upgrade():
    _rewrite(_new_subject)


def downgrade():
    _rewrite(lambda number: number)
